"""Imports of CSV/XLSX files: the job, the rows it rejected, and what it did to each record
(so that it can be reverted, and resumed without doing anything twice)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from accounts.models import TenantModel
from crm.models.common import SubjectType
from crm.models.jobs import JobStatus


class OnDuplicate(models.TextChoices):
    SKIP = "skip", "Skip the row"
    UPDATE = "update", "Update the existing record"
    CREATE = "create", "Create a new record anyway"


class ImportStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class ImportPhase(models.TextChoices):
    STAGING = "staging", "Reading the file"
    PROCESSING = "processing", "Writing records"
    DONE = "done", "Done"


class ImportJob(TenantModel):
    """One uploaded file and its import. Counters are written in the same transaction as the
    rows of each chunk, so a restarted worker continues after ``processed_rows`` exactly."""

    object_type = models.CharField(max_length=10, choices=SubjectType.choices)
    file = models.FileField(upload_to="imports/%Y/%m/", max_length=300)
    filename = models.CharField(max_length=255)
    size = models.BigIntegerField(default=0)
    format = models.CharField(max_length=4, blank=True)
    encoding = models.CharField(max_length=20, blank=True)
    delimiter = models.CharField(max_length=1, blank=True)
    headers = models.JSONField(default=list, blank=True)
    mapping = models.JSONField(default=dict, blank=True, help_text="column header → field")
    on_duplicate = models.CharField(
        max_length=6, choices=OnDuplicate.choices, default=OnDuplicate.SKIP
    )
    match_on = models.CharField(
        max_length=80, default="email", help_text="email, domain, or custom.<key> of a unique field"
    )
    options = models.JSONField(default=dict, blank=True)
    dry_run = models.BooleanField(default=False)
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    phase = models.CharField(
        max_length=10, choices=ImportPhase.choices, default=ImportPhase.STAGING
    )
    cancel_requested = models.BooleanField(default=False)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    companies_created = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True, help_text="Why the job failed, for the user")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    api_key = models.ForeignKey(
        "accounts.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_row = models.PositiveIntegerField(
        default=0, help_text="Rows up to this file row number are written (resume point)"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    revert_status = models.CharField(max_length=10, choices=JobStatus.choices, blank=True)
    reverted_rows = models.PositiveIntegerField(default=0)
    reverted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ImportStatus.values), name="importjob_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(object_type__in=SubjectType.values),
                name="importjob_object_type_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(on_duplicate__in=OnDuplicate.values),
                name="importjob_on_duplicate_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "-created_at"], name="importjob_ws_created_idx"),
            models.Index(fields=["status", "created_at"], name="importjob_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)

    @property
    def percent(self) -> int:
        if self.status == JobStatus.SUCCEEDED:
            return 100
        if not self.total_rows:
            return 0
        return min(100, self.processed_rows * 100 // self.total_rows)


class ImportRejectedRow(models.Model):
    """A row the import refused, and why. The error file takes the row's cells from the
    uploaded file itself, which the job keeps."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rejected_rows")
    row_number = models.PositiveIntegerField()
    reason = models.TextField()

    class Meta:
        ordering = ["job", "row_number"]
        constraints = [
            models.UniqueConstraint(fields=["job", "row_number"], name="importrejected_unique")
        ]

    def __str__(self) -> str:
        return f"row {self.row_number}: {self.reason}"


class ImportAction(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"


class ImportRecord(models.Model):
    """A record an import created or updated; ``before`` keeps the values it replaced."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="records")
    object_type = models.CharField(max_length=10, choices=SubjectType.choices)
    record_id = models.UUIDField()
    action = models.CharField(max_length=7, choices=ImportAction.choices)
    row_number = models.PositiveIntegerField(null=True, blank=True)
    before = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["job", "object_type", "record_id"], name="importrecord_unique"
            )
        ]
        indexes = [models.Index(fields=["object_type", "record_id"], name="importrecord_rec_idx")]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type} {self.record_id}"
