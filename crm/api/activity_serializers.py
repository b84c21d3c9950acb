"""Notes, tasks, activities and timeline events as the API shows and accepts them.

Output serializers build plain dicts from rows fetched by the views' querysets (no per-row
queries); the declared fields only describe the shape for the OpenAPI document.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from accounts.api.serializers import StrictInputSerializer
from crm.api.serializers import _iso
from crm.models import ActivityType, Direction, Priority, SubjectType


def _id(value: Any) -> str | None:
    return str(value) if value else None


# --- Notes --------------------------------------------------------------------------------------


class NoteSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    body = serializers.CharField(read_only=True, help_text="Markdown")
    body_html = serializers.CharField(read_only=True, help_text="Sanitised HTML rendering")
    subject_type = serializers.ChoiceField(choices=SubjectType.choices, read_only=True)
    subject_id = serializers.UUIDField(read_only=True)
    author = serializers.UUIDField(read_only=True, allow_null=True, help_text="User id")
    pinned = serializers.BooleanField(read_only=True)
    archived_at = serializers.DateTimeField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, note: Any) -> dict[str, Any]:
        return {
            "id": str(note.pk),
            "body": note.body,
            "body_html": note.body_html,
            "subject_type": note.subject_type,
            "subject_id": str(note.subject_id),
            "author": _id(note.author_id),
            "pinned": note.pinned,
            "archived_at": _iso(note.archived_at),
            "created_at": _iso(note.created_at),
            "updated_at": _iso(note.updated_at),
        }


NOTE_FIELDS = set(NoteSerializer().fields)


class NoteWriteSerializer(StrictInputSerializer):
    """Create needs ``body``, ``subject_type`` and ``subject_id``; a change may not move the note
    to another record."""

    ignored_fields = ("id", "body_html", "author", "archived_at", "created_at", "updated_at")
    body = serializers.CharField(max_length=100_000, trim_whitespace=False)
    pinned = serializers.BooleanField(required=False)
    subject_type = serializers.ChoiceField(choices=SubjectType.choices)
    subject_id = serializers.UUIDField()


class ContactNoteWriteSerializer(NoteWriteSerializer):
    """``POST /contacts/{id}/notes``: the subject is the contact of the path."""

    subject_type = serializers.ChoiceField(choices=SubjectType.choices, required=False)
    subject_id = serializers.UUIDField(required=False)


# --- Tasks --------------------------------------------------------------------------------------


class TaskSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    title = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    due_at = serializers.DateTimeField(read_only=True, allow_null=True)
    priority = serializers.ChoiceField(choices=Priority.choices, read_only=True)
    assignee = serializers.UUIDField(read_only=True, allow_null=True, help_text="User id")
    completed = serializers.BooleanField(read_only=True)
    completed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    subject_type = serializers.ChoiceField(
        choices=SubjectType.choices, read_only=True, allow_null=True
    )
    subject_id = serializers.UUIDField(read_only=True, allow_null=True)
    archived_at = serializers.DateTimeField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, task: Any) -> dict[str, Any]:
        return {
            "id": str(task.pk),
            "title": task.title,
            "description": task.description,
            "due_at": _iso(task.due_at),
            "priority": task.priority,
            "assignee": _id(task.assignee_id),
            "completed": task.completed_at is not None,
            "completed_at": _iso(task.completed_at),
            "subject_type": task.subject_type or None,
            "subject_id": _id(task.subject_id),
            "archived_at": _iso(task.archived_at),
            "created_at": _iso(task.created_at),
            "updated_at": _iso(task.updated_at),
        }


TASK_FIELDS = set(TaskSerializer().fields)


class TaskWriteSerializer(StrictInputSerializer):
    ignored_fields = ("id", "completed_at", "archived_at", "created_at", "updated_at")
    title = serializers.CharField(max_length=255)
    description = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    due_at = serializers.DateTimeField(required=False, allow_null=True)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    assignee = serializers.UUIDField(required=False, allow_null=True, help_text="User id")
    completed = serializers.BooleanField(required=False)
    subject_type = serializers.ChoiceField(
        choices=SubjectType.choices, required=False, allow_null=True, allow_blank=True
    )
    subject_id = serializers.UUIDField(required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "subject_type" in attrs and attrs["subject_type"] is None:
            attrs["subject_type"] = ""
        return attrs


# --- Activities ---------------------------------------------------------------------------------


class ActivitySerializer(serializers.Serializer):
    """Needs the participants prefetched (ids only)."""

    id = serializers.UUIDField(read_only=True)
    type = serializers.ChoiceField(choices=ActivityType.choices, read_only=True)
    subject = serializers.CharField(read_only=True, help_text="A title for the activity")
    body = serializers.CharField(read_only=True)
    occurred_at = serializers.DateTimeField(read_only=True)
    duration_minutes = serializers.IntegerField(read_only=True, allow_null=True)
    direction = serializers.ChoiceField(choices=Direction.choices, read_only=True, allow_null=True)
    outcome = serializers.CharField(read_only=True)
    subject_type = serializers.ChoiceField(choices=SubjectType.choices, read_only=True)
    subject_id = serializers.UUIDField(read_only=True)
    participants = serializers.ListField(
        child=serializers.UUIDField(), read_only=True, help_text="Contact ids"
    )
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, activity: Any) -> dict[str, Any]:
        return {
            "id": str(activity.pk),
            "type": activity.type,
            "subject": activity.subject,
            "body": activity.body,
            "occurred_at": _iso(activity.occurred_at),
            "duration_minutes": activity.duration_minutes,
            "direction": activity.direction or None,
            "outcome": activity.outcome,
            "subject_type": activity.subject_type,
            "subject_id": str(activity.subject_id),
            "participants": sorted(str(c.pk) for c in activity.participants.all()),
            "created_at": _iso(activity.created_at),
            "updated_at": _iso(activity.updated_at),
        }


ACTIVITY_FIELDS = set(ActivitySerializer().fields)


class ActivityWriteSerializer(StrictInputSerializer):
    ignored_fields = ("id", "created_at", "updated_at")
    type = serializers.ChoiceField(choices=ActivityType.choices)
    subject = serializers.CharField(max_length=255, required=False, allow_blank=True)
    body = serializers.CharField(max_length=100_000, required=False, allow_blank=True)
    occurred_at = serializers.DateTimeField(required=False)
    duration_minutes = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=24 * 60
    )
    direction = serializers.ChoiceField(
        choices=Direction.choices, required=False, allow_blank=True, allow_null=True
    )
    outcome = serializers.CharField(max_length=100, required=False, allow_blank=True)
    subject_type = serializers.ChoiceField(choices=SubjectType.choices)
    subject_id = serializers.UUIDField()
    participants = serializers.ListField(
        child=serializers.UUIDField(), required=False, max_length=100, help_text="Contact ids"
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "direction" in attrs and attrs["direction"] is None:
            attrs["direction"] = ""
        return attrs


# --- Timeline -----------------------------------------------------------------------------------


class TimelineActorSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["user", "api_key", "system"])
    id = serializers.UUIDField(allow_null=True)
    name = serializers.CharField()


class TimelineEventSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    verb = serializers.CharField(read_only=True)
    subject_type = serializers.ChoiceField(choices=SubjectType.choices, read_only=True)
    subject_id = serializers.UUIDField(read_only=True)
    actor = TimelineActorSerializer(read_only=True)
    changes = serializers.ListField(
        child=serializers.DictField(), read_only=True, help_text='[{"field", "from", "to"}]'
    )
    data = serializers.DictField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, event: Any) -> dict[str, Any]:
        if event.actor_id:
            actor = {"type": "user", "id": str(event.actor_id)}
        elif event.actor_api_key_id:
            actor = {"type": "api_key", "id": str(event.actor_api_key_id)}
        else:
            actor = {"type": "system", "id": None}
        actor["name"] = event.actor_name or ("System" if actor["type"] == "system" else "")
        return {
            "id": str(event.pk),
            "verb": event.verb,
            "subject_type": event.subject_type,
            "subject_id": str(event.subject_id),
            "actor": actor,
            "changes": event.changes or [],
            "data": event.data or {},
            "created_at": _iso(event.created_at),
        }


TIMELINE_FIELDS = set(TimelineEventSerializer().fields)


# --- A contact's deals and companies ------------------------------------------------------------


class ContactDealSerializer(serializers.Serializer):
    """A deal the contact is linked to, with the contact's role on it. Needs ``stage`` joined
    and ``contact_role`` annotated."""

    id = serializers.UUIDField(read_only=True)
    title = serializers.CharField(read_only=True)
    stage = serializers.UUIDField(read_only=True, help_text="Stage id")
    stage_name = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=["open", "won", "lost"], read_only=True)
    amount = serializers.DecimalField(
        max_digits=18, decimal_places=2, read_only=True, allow_null=True
    )
    currency = serializers.CharField(read_only=True)
    role = serializers.CharField(read_only=True, help_text="The contact's role on the deal")

    def to_representation(self, deal: Any) -> dict[str, Any]:
        return {
            "id": str(deal.pk),
            "title": deal.title,
            "stage": str(deal.stage_id),
            "stage_name": deal.stage.name,
            "status": deal.status,
            "amount": None if deal.amount is None else str(deal.amount),
            "currency": deal.currency,
            "role": deal.contact_role or "",
        }


CONTACT_DEAL_FIELDS = set(ContactDealSerializer().fields)


class ContactCompanySerializer(serializers.Serializer):
    """A company the contact belongs to, from the membership (``company`` joined)."""

    id = serializers.UUIDField(read_only=True, help_text="Company id")
    name = serializers.CharField(read_only=True)
    domain = serializers.CharField(read_only=True)
    role = serializers.CharField(read_only=True)
    is_primary = serializers.BooleanField(read_only=True)

    def to_representation(self, membership: Any) -> dict[str, Any]:
        company = membership.company
        return {
            "id": str(company.pk),
            "name": company.name,
            "domain": company.domain,
            "role": membership.role,
            "is_primary": membership.is_primary,
        }


CONTACT_COMPANY_FIELDS = set(ContactCompanySerializer().fields)
