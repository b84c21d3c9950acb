"""Merges of duplicate contacts or companies, kept so that each can be undone; duplicate
pairs a person has said are not duplicates; and batches of merges run as a job."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from accounts.models import TenantModel
from crm.models.jobs import JobStatus


class MergeObjectType(models.TextChoices):
    CONTACT = "contact", "Contact"
    COMPANY = "company", "Company"


class Merge(TenantModel):
    """One merge: ``secondary_id`` was merged into ``primary_id``.

    ``snapshot`` holds the merged-away record and every row that hung off it, as they were;
    ``primary_before`` the survivor's fields and the ids of its own rows; ``moved`` the ids of
    notes, tasks, activities, timeline events and attachments that changed hands. Undo puts all
    of it back.
    """

    object_type = models.CharField(max_length=10, choices=MergeObjectType.choices)
    primary_id = models.UUIDField()
    secondary_id = models.UUIDField()
    secondary_name = models.CharField(max_length=300, blank=True)
    strategy = models.CharField(max_length=20, default="prefer_primary")
    fields = models.JSONField(default=dict, blank=True, help_text="field → primary|secondary")
    snapshot = models.JSONField(default=dict)
    primary_before = models.JSONField(default=dict)
    moved = models.JSONField(default=dict)
    job = models.ForeignKey(
        "crm.MergeJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="merges"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(object_type__in=MergeObjectType.values),
                name="merge_object_type_valid",
            ),
        ]
        indexes = [
            models.Index(
                fields=["workspace", "object_type", "primary_id"], name="merge_primary_idx"
            ),
            models.Index(fields=["workspace", "secondary_id"], name="merge_secondary_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.object_type} {self.secondary_id} → {self.primary_id}"


class MergeJob(TenantModel):
    """Many pairs merged in the background (``POST /merges``), with progress."""

    object_type = models.CharField(max_length=10, choices=MergeObjectType.choices)
    pairs = models.JSONField(default=list)
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    api_key = models.ForeignKey(
        "accounts.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    undo_status = models.CharField(max_length=10, choices=JobStatus.choices, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=JobStatus.values), name="mergejob_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"merge job of {self.total} {self.object_type} pairs"


class NotDuplicate(TenantModel):
    """Two records someone reviewed and said are different: never proposed again."""

    object_type = models.CharField(max_length=10, choices=MergeObjectType.choices)
    first_id = models.UUIDField(help_text="The smaller of the two ids")
    second_id = models.UUIDField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "object_type", "first_id", "second_id"],
                name="notduplicate_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(first_id__lt=models.F("second_id")),
                name="notduplicate_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_id} ≠ {self.second_id}"
