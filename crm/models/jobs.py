from __future__ import annotations

from django.conf import settings
from django.db import models

from accounts.models import TenantModel
from crm.models.common import SubjectType


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class BulkOperation(models.TextChoices):
    UPDATE = "update", "Update"
    DELETE = "delete", "Delete"


class BulkJob(TenantModel):
    """A bulk update or delete too big to run inside the request; its state lives here, and
    the worker resumes after ``last_id`` if it is restarted."""

    object_type = models.CharField(max_length=10, choices=SubjectType.choices)
    operation = models.CharField(max_length=10, choices=BulkOperation.choices)
    ids = models.JSONField(null=True, blank=True)
    query = models.JSONField(null=True, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    last_id = models.UUIDField(null=True, blank=True)
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
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=JobStatus.values), name="bulkjob_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(operation__in=BulkOperation.values),
                name="bulkjob_operation_valid",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="bulkjob_status_idx")]

    def __str__(self) -> str:
        return f"bulk {self.operation} of {self.object_type}s ({self.status})"
