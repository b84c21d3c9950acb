"""Reusable reads, each starting from one workspace."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.models import Workspace
from crm import registry
from crm.models import Company, Contact, Task, TimelineEvent


def workspace_counts(*, workspace: Workspace) -> dict[str, int]:
    counts = {
        "contacts": Contact.objects.for_workspace(workspace).count(),
        "companies": Company.objects.for_workspace(workspace).count(),
        "open_tasks": Task.objects.for_workspace(workspace)
        .filter(completed_at__isnull=True, archived_at__isnull=True)
        .count(),
    }
    deal_kind = registry.subject_kinds().get("deal")
    if deal_kind is not None:
        counts["open_deals"] = (
            deal_kind.model.objects.for_workspace(workspace).filter(status="open").count()
        )
    return counts


def recent_events(*, workspace: Workspace, limit: int = 20) -> list[dict[str, Any]]:
    """The newest timeline events of a workspace, each with its subject's title.

    Subjects are fetched in one query per kind, not one per event.
    """
    events = list(
        TimelineEvent.objects.for_workspace(workspace)
        .select_related("actor")
        .order_by("-created_at", "-id")[:limit]
    )
    titles = subject_titles(
        workspace=workspace, refs=[(e.subject_type, e.subject_id) for e in events]
    )
    return [
        {"event": event, "subject_title": titles.get((event.subject_type, event.subject_id), "")}
        for event in events
    ]


def subject_titles(
    *, workspace: Workspace, refs: list[tuple[str, Any]]
) -> dict[tuple[str, Any], str]:
    by_kind: dict[str, set[Any]] = {}
    for subject_type, subject_id in refs:
        by_kind.setdefault(subject_type, set()).add(subject_id)
    titles: dict[tuple[str, Any], str] = {}
    for subject_type, ids in by_kind.items():
        kind = registry.subject_kind(subject_type)
        rows: QuerySet = (
            kind.model.objects.for_workspace(workspace)
            .filter(pk__in=ids)
            .values_list("pk", kind.title_field)
        )
        for pk, title in rows:
            titles[(subject_type, pk)] = title or ""
    return titles
