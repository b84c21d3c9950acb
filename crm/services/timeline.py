"""Writing the timeline: every service that changes a record calls this in its transaction."""

from __future__ import annotations

import uuid
from typing import Any

from accounts.models import Workspace
from accounts.services.common import Actor, jsonable
from crm.models import TimelineEvent, Verb


def timeline_record(
    *,
    workspace: Workspace,
    subject_type: str,
    subject_id: uuid.UUID,
    verb: str,
    actor: Actor,
    changes: list[dict[str, Any]] | None = None,
    data: dict[str, Any] | None = None,
) -> TimelineEvent:
    return TimelineEvent.objects.create(
        workspace=workspace,
        subject_type=subject_type,
        subject_id=subject_id,
        verb=verb,
        actor=actor.user,
        actor_api_key=actor.api_key,
        actor_name=actor.name,
        changes=jsonable(changes or []),
        data=jsonable(data or {}),
    )


def timeline_record_update(
    *, instance: Any, subject_type: str, actor: Actor, changes: list[dict[str, Any]], saved: bool
) -> None:
    """Close an update service: bump ``updated_at`` when only related rows changed (tags,
    emails…) and record the changes; nothing when nothing changed."""
    if not changes:
        return
    if not saved:
        instance.save(update_fields=["updated_at"])
    timeline_record(
        workspace=instance.workspace,
        subject_type=subject_type,
        subject_id=instance.pk,
        verb=Verb.UPDATED,
        actor=actor,
        changes=changes,
    )


def timeline_delete_for(*, workspace: Workspace, subject_type: str, subject_id: Any) -> None:
    """Remove a deleted record's events (and nothing of any other record)."""
    TimelineEvent.objects.for_workspace(workspace).filter(
        subject_type=subject_type, subject_id=subject_id
    ).delete()
