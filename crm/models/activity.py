"""What happens around a record: notes, tasks and logged calls, emails and meetings."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from accounts.models import TenantModel
from crm.models.common import SubjectMixin, SubjectType


def _subject_index(name: str) -> models.Index:
    return models.Index(
        fields=["workspace", "subject_type", "subject_id", "-created_at"], name=name
    )


class Note(TenantModel, SubjectMixin):
    body = models.TextField(help_text="Markdown")
    body_html = models.TextField(blank=True, editable=False, help_text="Sanitised rendering")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    pinned = models.BooleanField(default=False)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pinned", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(subject_type__in=SubjectType.values),
                name="note_subject_type_valid",
            ),
            models.CheckConstraint(condition=~models.Q(body=""), name="note_body_not_empty"),
        ]
        indexes = [_subject_index("note_subject_idx")]

    def __str__(self) -> str:
        return self.body[:60]


class Priority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class Task(TenantModel):
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.MEDIUM)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    # A task may stand alone ("call the bank") or be about a record.
    subject_type = models.CharField(max_length=10, choices=SubjectType.choices, blank=True)
    subject_id = models.UUIDField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["completed_at", "due_at", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(priority__in=Priority.values), name="task_priority_valid"
            ),
            models.CheckConstraint(
                condition=(models.Q(subject_type="") & models.Q(subject_id__isnull=True))
                | (
                    models.Q(subject_type__in=SubjectType.values)
                    & models.Q(subject_id__isnull=False)
                ),
                name="task_subject_complete",
            ),
            models.CheckConstraint(condition=~models.Q(title=""), name="task_title_not_empty"),
        ]
        indexes = [
            _subject_index("task_subject_idx"),
            models.Index(
                fields=["workspace", "assignee", "completed_at", "due_at"],
                name="task_assignee_due_idx",
            ),
            models.Index(fields=["workspace", "due_at"], name="task_ws_due_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def completed(self) -> bool:
        return self.completed_at is not None


class ActivityType(models.TextChoices):
    CALL = "call", "Call"
    EMAIL = "email", "Email"
    MEETING = "meeting", "Meeting"
    NOTE = "note", "Note"
    OTHER = "other", "Other"


class Direction(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"


class Activity(TenantModel, SubjectMixin):
    type = models.CharField(max_length=10, choices=ActivityType.choices)
    subject = models.CharField(max_length=255, blank=True, help_text="A title for the activity")
    body = models.TextField(blank=True)
    occurred_at = models.DateTimeField()
    duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    direction = models.CharField(max_length=10, choices=Direction.choices, blank=True)
    outcome = models.CharField(max_length=100, blank=True)
    participants = models.ManyToManyField("crm.Contact", blank=True, related_name="activities")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-occurred_at"]
        verbose_name_plural = "activities"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(type__in=ActivityType.values), name="activity_type_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(direction__in=[*Direction.values, ""]),
                name="activity_direction_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(subject_type__in=SubjectType.values),
                name="activity_subject_type_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(duration_minutes__isnull=True)
                | models.Q(duration_minutes__lte=24 * 60),
                name="activity_duration_range",
            ),
        ]
        indexes = [
            models.Index(
                fields=["workspace", "subject_type", "subject_id", "-occurred_at"],
                name="activity_subject_idx",
            ),
            models.Index(fields=["workspace", "-occurred_at"], name="activity_ws_occurred_idx"),
        ]

    def __str__(self) -> str:
        return self.subject or self.get_type_display()
