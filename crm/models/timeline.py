from __future__ import annotations

from django.conf import settings
from django.db import models

from accounts.models import TenantModel
from crm.models.common import SubjectMixin, SubjectType


class Verb(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    STAGE_CHANGED = "stage_changed", "Stage changed"
    NOTE_ADDED = "note_added", "Note added"
    NOTE_UPDATED = "note_updated", "Note updated"
    NOTE_ARCHIVED = "note_archived", "Note archived"
    TASK_ADDED = "task_added", "Task added"
    TASK_COMPLETED = "task_completed", "Task completed"
    ACTIVITY_LOGGED = "activity_logged", "Activity logged"
    COMPANY_LINKED = "company_linked", "Company linked"
    COMPANY_UNLINKED = "company_unlinked", "Company unlinked"
    CONTACT_LINKED = "contact_linked", "Contact linked"
    CONTACT_UNLINKED = "contact_unlinked", "Contact unlinked"
    MERGED = "merged", "Merged"
    IMPORTED = "imported", "Imported"


class TimelineEvent(TenantModel, SubjectMixin):
    """One thing that happened to a record, written by the service that did it.

    ``changes`` holds ``[{"field", "from", "to"}]`` for updates; ``data`` holds what the verb
    needs to be shown (the note's excerpt, the stages of a move…).
    """

    verb = models.CharField(max_length=20, choices=Verb.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_api_key = models.ForeignKey(
        "accounts.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=list, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(verb__in=Verb.values), name="timelineevent_verb_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(subject_type__in=SubjectType.values),
                name="timelineevent_subject_type_valid",
            ),
        ]
        indexes = [
            models.Index(
                fields=["workspace", "subject_type", "subject_id", "-created_at", "-id"],
                name="timeline_subject_idx",
            ),
            models.Index(fields=["workspace", "-created_at"], name="timeline_ws_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.subject_type} {self.subject_id}: {self.verb}"
