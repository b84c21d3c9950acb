"""The dashboard's figures: tasks due and overdue, new contacts per week, and whatever other
apps register (``pipelines`` adds the deal figures from ``pipelines/dashboard.py``).

Every figure is an SQL aggregate over the workspace, so the number of queries does not grow
with the number of rows. Periods and weeks follow the workspace's time zone.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone

from accounts.models import User, Workspace
from crm.models import Contact, Task

PERIODS = ("month", "quarter", "year")
WEEKS = 12


class DashboardNotFound(Exception):
    """An option names a record that is not in the workspace (the API answers 404)."""


class DashboardInvalid(Exception):
    """An option is malformed (the API answers 400 naming ``field``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class DashboardRequest:
    workspace: Workspace
    user: User | None
    period: str
    start: datetime.datetime  # inclusive, aware
    end: datetime.datetime  # exclusive, aware
    now: datetime.datetime
    tz: zoneinfo.ZoneInfo
    options: Mapping[str, str] = field(default_factory=dict)


Section = Callable[[DashboardRequest], dict[str, Any]]
_sections: list[Section] = []


def register_dashboard_section(section: Section) -> None:
    """Add a function whose dict of figures is merged into the dashboard."""
    if section not in _sections:
        _sections.append(section)


def workspace_tz(workspace: Workspace) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(workspace.timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def period_bounds(
    period: str, now: datetime.datetime, tz: zoneinfo.ZoneInfo
) -> tuple[datetime.datetime, datetime.datetime]:
    """The current month, quarter or year around ``now`` in ``tz``: ``[start, end)``."""
    local = now.astimezone(tz)
    if period == "month":
        first_month, months = local.month, 1
    elif period == "quarter":
        first_month, months = 3 * ((local.month - 1) // 3) + 1, 3
    elif period == "year":
        first_month, months = 1, 12
    else:
        raise DashboardInvalid("period", f"Use one of: {', '.join(PERIODS)}.")
    start = datetime.datetime(local.year, first_month, 1, tzinfo=tz)
    end_year, end_month = divmod(first_month - 1 + months, 12)
    end = datetime.datetime(local.year + end_year, end_month + 1, 1, tzinfo=tz)
    return start, end


def _tasks(request: DashboardRequest) -> dict[str, Any]:
    """Open tasks (not completed, not archived) of the credential's user, or of the whole
    workspace for an API key: ``overdue`` were due before now, ``due_today`` are due from now
    to the end of today (the two never overlap)."""
    today = request.now.astimezone(request.tz).date()
    end_of_today = datetime.datetime.combine(
        today + datetime.timedelta(days=1), datetime.time(), tzinfo=request.tz
    )
    tasks = Task.objects.for_workspace(request.workspace).filter(
        completed_at__isnull=True, archived_at__isnull=True, due_at__lt=end_of_today
    )
    if request.user is not None:
        tasks = tasks.filter(assignee=request.user)
    counts = tasks.aggregate(
        due_today=Count("pk", filter=Q(due_at__gte=request.now)),
        overdue=Count("pk", filter=Q(due_at__lt=request.now)),
    )
    return {
        "tasks": {
            "due_today": counts["due_today"],
            "overdue": counts["overdue"],
            "assignee": str(request.user.pk) if request.user is not None else None,
        }
    }


def _new_contacts(request: DashboardRequest) -> dict[str, Any]:
    """Contacts created per week (Monday-based, workspace time zone), the last ``WEEKS`` weeks
    including this one, oldest first, weeks without any as 0."""
    today = request.now.astimezone(request.tz).date()
    this_week = today - datetime.timedelta(days=today.weekday())
    weeks = [this_week - datetime.timedelta(weeks=n) for n in range(WEEKS - 1, -1, -1)]
    since = datetime.datetime.combine(weeks[0], datetime.time(), tzinfo=request.tz)
    rows = (
        Contact.objects.for_workspace(request.workspace)
        .filter(created_at__gte=since)
        .annotate(week=TruncWeek("created_at", tzinfo=request.tz))
        .values("week")
        .annotate(count=Count("pk"))
        .order_by()
    )
    counts = {row["week"].astimezone(request.tz).date(): row["count"] for row in rows}
    return {
        "new_contacts_per_week": [
            {"week": week.isoformat(), "count": counts.get(week, 0)} for week in weeks
        ]
    }


def dashboard_get(
    *,
    workspace: Workspace,
    user: User | None,
    period: str = "month",
    options: Mapping[str, str] | None = None,
    now: datetime.datetime | None = None,
) -> dict[str, Any]:
    """Every figure of the dashboard for ``period`` (this month, quarter or year)."""
    now = now or timezone.now()
    tz = workspace_tz(workspace)
    start, end = period_bounds(period, now, tz)
    request = DashboardRequest(
        workspace=workspace,
        user=user,
        period=period,
        start=start,
        end=end,
        now=now,
        tz=tz,
        options=dict(options or {}),
    )
    figures: dict[str, Any] = {}
    for section in _sections:
        figures.update(section(request))
    figures.update(_tasks(request))
    figures.update(_new_contacts(request))
    figures["period"] = {
        "name": period,
        "start": start,
        "end": end,
        "timezone": str(tz),
    }
    return figures
