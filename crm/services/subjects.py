"""What hangs off a contact, company or deal through its subject reference."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError

from accounts.models import Workspace
from crm.models import Activity, Note, Task, TimelineEvent
from crm.registry import get_subject, subject_kind


def subject_resolve(*, workspace: Workspace, subject_type: str, subject_id: Any) -> Any:
    """The subject in this workspace, or a ValidationError (an id elsewhere is unknown)."""
    try:
        subject_kind(subject_type)
    except LookupError:
        raise ValidationError({"subject_type": ["Must be contact, company or deal."]}) from None
    try:
        subject_id = uuid.UUID(str(subject_id))
        return get_subject(workspace.pk, subject_type, subject_id)
    except (ValueError, LookupError, subject_kind(subject_type).model.DoesNotExist):
        raise ValidationError({"subject_id": [f"No such {subject_type}."]}) from None


def subject_delete_attachments(*, workspace: Workspace, subject_type: str, subject_id: Any) -> None:
    """Remove the notes, tasks, activities and timeline of a record about to be deleted."""
    subjects_delete_attachments(
        workspace=workspace, subject_type=subject_type, subject_ids=[subject_id]
    )


def subjects_delete_attachments(
    *, workspace: Workspace, subject_type: str, subject_ids: list[Any]
) -> None:
    """The same for many records of one kind at once (a bulk delete, an import's revert)."""
    for model in (Note, Task, Activity, TimelineEvent):
        model.objects.for_workspace(workspace).filter(
            subject_type=subject_type, subject_id__in=subject_ids
        ).delete()


def subject_touch(*, workspace: Workspace, subject_type: str, subject_id: Any, when: Any) -> None:
    """Move a record's ``last_activity_at`` forward (never back)."""
    from django.db.models import Q

    model = subject_kind(subject_type).model
    model.objects.for_workspace(workspace).filter(pk=subject_id).filter(
        Q(last_activity_at__isnull=True) | Q(last_activity_at__lt=when)
    ).update(last_activity_at=when)
