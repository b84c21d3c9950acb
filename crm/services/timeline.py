"""Writing the timeline: every service that changes a record calls this in its transaction."""

from __future__ import annotations

import uuid
from typing import Any

from accounts.models import Workspace
from accounts.services.common import Actor, jsonable
from crm.models import TimelineEvent


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


def timeline_delete_for(*, workspace: Workspace, subject_type: str, subject_id: Any) -> None:
    """Remove a deleted record's events (and nothing of any other record)."""
    TimelineEvent.objects.for_workspace(workspace).filter(
        subject_type=subject_type, subject_id=subject_id
    ).delete()
