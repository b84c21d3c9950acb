"""Exports of a filtered list to CSV or Excel, run in the background for big lists."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from accounts.models import TenantModel
from crm.models.common import SubjectType
from crm.models.jobs import JobStatus


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel (.xlsx)"


class ExportJob(TenantModel):
    """One export: the list's filters and sort (``params``) and columns, its progress, and
    the file once written (downloaded only through an authorised view)."""

    object_type = models.CharField(max_length=10, choices=SubjectType.choices)
    format = models.CharField(max_length=4, choices=ExportFormat.choices)
    params = models.JSONField(default=dict, blank=True, help_text="The list's query string")
    columns = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="exports/%Y/%m/", max_length=300, blank=True)
    filename = models.CharField(max_length=255, blank=True)
    message = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=JobStatus.values), name="exportjob_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(format__in=ExportFormat.values), name="exportjob_format_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.filename or f"{self.object_type} export"

    @property
    def percent(self) -> int:
        if self.status == JobStatus.SUCCEEDED:
            return 100
        return min(100, self.processed * 100 // self.total) if self.total else 0
