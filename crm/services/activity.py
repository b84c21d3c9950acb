"""Notes, tasks and logged activities on a contact, company or deal."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Workspace
from accounts.selectors import workspace_member
from accounts.services.common import Actor, clean_bounded, model_update
from crm.models import Activity, Contact, Note, Task, Verb
from crm.normalize import render_markdown
from crm.services.subjects import subject_resolve, subject_touch
from crm.services.timeline import timeline_record

MAX_NOTE_LENGTH = 100_000
MAX_DURATION_MINUTES = 24 * 60


def _excerpt(text: str, length: int = 140) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[: length - 1] + "…"


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": ["Write something."]})
    if len(body) > MAX_NOTE_LENGTH:
        raise ValidationError({"body": [f"At most {MAX_NOTE_LENGTH:,} characters."]})
    return body


# --- Notes --------------------------------------------------------------------------------------


@transaction.atomic
def note_create(
    *,
    workspace: Workspace,
    actor: Actor,
    subject_type: str,
    subject_id: Any,
    body: str,
    pinned: bool = False,
) -> Note:
    """Add a note (Markdown; stored with its sanitised HTML) to a record."""
    subject = subject_resolve(workspace=workspace, subject_type=subject_type, subject_id=subject_id)
    body = _clean_body(body)
    note = Note.objects.create(
        workspace=workspace,
        subject_type=subject_type,
        subject_id=subject.pk,
        body=body,
        body_html=render_markdown(body),
        author=actor.user,
        pinned=pinned,
    )
    timeline_record(
        workspace=workspace,
        subject_type=subject_type,
        subject_id=subject.pk,
        verb=Verb.NOTE_ADDED,
        actor=actor,
        data={"note_id": note.pk, "excerpt": _excerpt(body)},
    )
    subject_touch(
        workspace=workspace, subject_type=subject_type, subject_id=subject.pk, when=note.created_at
    )
    return note


@transaction.atomic
def note_update(*, note: Note, actor: Actor, data: dict[str, Any]) -> Note:
    data = dict(data)
    if "body" in data:
        data["body"] = _clean_body(data["body"])
    note, changes = model_update(instance=note, fields=["body", "pinned"], data=data)
    if any(c["field"] == "body" for c in changes):
        note.body_html = render_markdown(note.body)
        note.save(update_fields=["body_html"])
        timeline_record(
            workspace=note.workspace,
            subject_type=note.subject_type,
            subject_id=note.subject_id,
            verb=Verb.NOTE_UPDATED,
            actor=actor,
            data={"note_id": note.pk, "excerpt": _excerpt(note.body)},
        )
    return note


@transaction.atomic
def note_archive(*, note: Note, actor: Actor) -> Note:
    """Notes are archived, not deleted: they can be listed with ``include_archived``."""
    if note.archived_at is None:
        note.archived_at = timezone.now()
        note.save(update_fields=["archived_at", "updated_at"])
        timeline_record(
            workspace=note.workspace,
            subject_type=note.subject_type,
            subject_id=note.subject_id,
            verb=Verb.NOTE_ARCHIVED,
            actor=actor,
            data={"note_id": note.pk, "excerpt": _excerpt(note.body)},
        )
    return note


# --- Tasks --------------------------------------------------------------------------------------


def _clean_task_subject(
    workspace: Workspace, subject_type: str | None, subject_id: Any
) -> tuple[str, Any]:
    if not subject_type and not subject_id:
        return "", None
    if not subject_type or not subject_id:
        raise ValidationError({"subject_type": ["Give both subject_type and subject_id."]})
    subject = subject_resolve(workspace=workspace, subject_type=subject_type, subject_id=subject_id)
    return subject_type, subject.pk


@transaction.atomic
def task_create(
    *,
    workspace: Workspace,
    actor: Actor,
    title: str,
    description: str = "",
    due_at: datetime.datetime | None = None,
    priority: str = "medium",
    assignee: Any = None,
    subject_type: str | None = None,
    subject_id: Any = None,
) -> Task:
    subject_type, subject_id = _clean_task_subject(workspace, subject_type, subject_id)
    task = Task(
        workspace=workspace,
        title=(title or "").strip(),
        description=description or "",
        due_at=due_at,
        priority=priority,
        assignee=workspace_member(workspace=workspace, user=assignee, field="assignee"),
        created_by=actor.user,
        subject_type=subject_type,
        subject_id=subject_id,
    )
    task.full_clean(validate_unique=False, validate_constraints=False)
    task.save()
    if subject_id:
        timeline_record(
            workspace=workspace,
            subject_type=subject_type,
            subject_id=subject_id,
            verb=Verb.TASK_ADDED,
            actor=actor,
            data={"task_id": task.pk, "title": task.title, "due_at": task.due_at},
        )
    return task


@transaction.atomic
def task_update(*, task: Task, actor: Actor, data: dict[str, Any]) -> Task:
    data = dict(data)
    if "assignee" in data:
        data["assignee"] = workspace_member(
            workspace=task.workspace, user=data["assignee"], field="assignee"
        )
    if "title" in data:
        data["title"] = (data["title"] or "").strip()
    if "subject_type" in data or "subject_id" in data:
        data["subject_type"], data["subject_id"] = _clean_task_subject(
            task.workspace,
            data.get("subject_type", task.subject_type),
            data.get("subject_id", task.subject_id),
        )
    completed = data.pop("completed", None)
    task, _ = model_update(
        instance=task,
        fields=[
            "title",
            "description",
            "due_at",
            "priority",
            "assignee",
            "subject_type",
            "subject_id",
        ],
        data=data,
    )
    if completed is True:
        task = task_complete(task=task, actor=actor)
    elif completed is False:
        task = task_reopen(task=task, actor=actor)
    return task


@transaction.atomic
def task_complete(*, task: Task, actor: Actor) -> Task:
    if task.completed_at is None:
        task.completed_at = timezone.now()
        task.save(update_fields=["completed_at", "updated_at"])
        if task.subject_id:
            timeline_record(
                workspace=task.workspace,
                subject_type=task.subject_type,
                subject_id=task.subject_id,
                verb=Verb.TASK_COMPLETED,
                actor=actor,
                data={"task_id": task.pk, "title": task.title},
            )
            subject_touch(
                workspace=task.workspace,
                subject_type=task.subject_type,
                subject_id=task.subject_id,
                when=task.completed_at,
            )
    return task


@transaction.atomic
def task_reopen(*, task: Task, actor: Actor) -> Task:
    if task.completed_at is not None:
        task.completed_at = None
        task.save(update_fields=["completed_at", "updated_at"])
    return task


@transaction.atomic
def task_archive(*, task: Task, actor: Actor) -> Task:
    if task.archived_at is None:
        task.archived_at = timezone.now()
        task.save(update_fields=["archived_at", "updated_at"])
    return task


# --- Activities ---------------------------------------------------------------------------------


def _participants(workspace: Workspace, ids: list[Any] | None) -> list[Contact]:
    ids = list(dict.fromkeys(str(i) for i in ids or []))
    if not ids:
        return []
    try:
        found = list(Contact.objects.for_workspace(workspace).filter(pk__in=ids))
    except (ValueError, ValidationError):
        raise ValidationError({"participants": ["Participants must be contact ids."]}) from None
    if len(found) != len(ids):
        raise ValidationError({"participants": ["Unknown contact among the participants."]})
    return found


@transaction.atomic
def activity_create(
    *,
    workspace: Workspace,
    actor: Actor,
    type: str,
    subject_type: str,
    subject_id: Any,
    subject: str = "",
    body: str = "",
    occurred_at: datetime.datetime | None = None,
    duration_minutes: int | None = None,
    direction: str = "",
    outcome: str = "",
    participants: list[Any] | None = None,
) -> Activity:
    """Log a call, email or meeting on a record."""
    record = subject_resolve(workspace=workspace, subject_type=subject_type, subject_id=subject_id)
    activity = Activity(
        workspace=workspace,
        type=type,
        subject_type=subject_type,
        subject_id=record.pk,
        subject=(subject or "").strip(),
        body=body or "",
        occurred_at=occurred_at or timezone.now(),
        duration_minutes=clean_bounded(
            Activity, "duration_minutes", duration_minutes, maximum=MAX_DURATION_MINUTES
        ),
        direction=direction or "",
        outcome=(outcome or "").strip(),
        created_by=actor.user,
    )
    activity.full_clean(validate_unique=False, validate_constraints=False)
    people = _participants(workspace, participants)
    activity.save()
    activity.participants.set(people)
    timeline_record(
        workspace=workspace,
        subject_type=subject_type,
        subject_id=record.pk,
        verb=Verb.ACTIVITY_LOGGED,
        actor=actor,
        data={
            "activity_id": activity.pk,
            "type": activity.type,
            "subject": activity.subject,
            "excerpt": _excerpt(activity.body),
        },
    )
    subject_touch(
        workspace=workspace,
        subject_type=subject_type,
        subject_id=record.pk,
        when=activity.occurred_at,
    )
    return activity


@transaction.atomic
def activity_update(*, activity: Activity, actor: Actor, data: dict[str, Any]) -> Activity:
    data = dict(data)
    if "duration_minutes" in data:
        data["duration_minutes"] = clean_bounded(
            Activity, "duration_minutes", data["duration_minutes"], maximum=MAX_DURATION_MINUTES
        )
    people = None
    if "participants" in data:
        people = _participants(activity.workspace, data.pop("participants"))
    activity, _ = model_update(
        instance=activity,
        fields=[
            "type",
            "subject",
            "body",
            "occurred_at",
            "duration_minutes",
            "direction",
            "outcome",
        ],
        data=data,
    )
    if people is not None:
        activity.participants.set(people)
    return activity


@transaction.atomic
def activity_delete(*, activity: Activity, actor: Actor) -> None:
    activity.delete()
