from crm.models.activity import Activity, ActivityType, Direction, Note, Priority, Task
from crm.models.attachments import Attachment, AttachmentSubject
from crm.models.common import Label, SubjectType
from crm.models.companies import Company, CompanyPhone, Lifecycle, Relationship
from crm.models.contacts import (
    CompanyMembership,
    Contact,
    ContactEmail,
    ContactPhone,
    ContactSource,
    ContactStatus,
)
from crm.models.custom_fields import CustomField, FieldType
from crm.models.exports import ExportFormat, ExportJob
from crm.models.imports import (
    ImportAction,
    ImportJob,
    ImportPhase,
    ImportRecord,
    ImportRejectedRow,
    ImportStatus,
    OnDuplicate,
)
from crm.models.jobs import BulkJob, BulkOperation, JobStatus
from crm.models.lists import List, ListMember, ListObjectType
from crm.models.merges import Merge, MergeJob, MergeObjectType, NotDuplicate
from crm.models.tags import Tag
from crm.models.timeline import TimelineEvent, Verb

__all__ = [
    "Activity",
    "ActivityType",
    "Attachment",
    "AttachmentSubject",
    "BulkJob",
    "BulkOperation",
    "Company",
    "CompanyMembership",
    "CompanyPhone",
    "Contact",
    "ContactEmail",
    "ContactPhone",
    "ContactSource",
    "ContactStatus",
    "CustomField",
    "Direction",
    "ExportFormat",
    "ExportJob",
    "FieldType",
    "ImportAction",
    "ImportJob",
    "ImportPhase",
    "ImportRecord",
    "ImportRejectedRow",
    "ImportStatus",
    "JobStatus",
    "Label",
    "Lifecycle",
    "List",
    "ListMember",
    "ListObjectType",
    "Merge",
    "MergeJob",
    "MergeObjectType",
    "NotDuplicate",
    "Note",
    "OnDuplicate",
    "Priority",
    "Relationship",
    "SubjectType",
    "Tag",
    "Task",
    "TimelineEvent",
    "Verb",
]
