"""The dashboard page: the deal figures of ``GET /api/v1/dashboard`` (``pipelines.dashboard``)
for a period the user picks (``?period=``: this month, last month, this quarter, the last 30
days, this year), new contacts over that period, the signed-in user's tasks due today and
overdue, and the workspace's recent activity.

Picking a period (or a pipeline) swaps the whole dashboard through htmx (the partial
``dashboard`` of the template) and puts the choice in the URL; without JavaScript the same
links and form load the page.

Every block is a fixed number of queries, however many records the workspace holds.
"""

from __future__ import annotations

import datetime
import uuid
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.db.models.functions import TruncWeek
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.models import Workspace
from crm import selectors
from crm.dashboard import (
    WEEKS,
    DashboardNotFound,
    DashboardRequest,
    period_bounds,
    workspace_tz,
)
from crm.models import Contact, Task
from crm.web.tasks import annotate_tasks
from pipelines.dashboard import deal_figures, other_currency_values
from pipelines.models import Pipeline

TASK_LIMIT = 8
EVENT_LIMIT = 10

# key: (label on the switcher, how a sentence names it)
PERIODS: dict[str, tuple[str, str]] = {
    "this_month": ("This month", "this month"),
    "last_month": ("Last month", "last month"),
    "this_quarter": ("This quarter", "this quarter"),
    "last_30_days": ("Last 30 days", "in the last 30 days"),
    "this_year": ("This year", "this year"),
}
DEFAULT_PERIOD = "this_month"
_CURRENT = {"this_month": "month", "this_quarter": "quarter", "this_year": "year"}


@dataclass(frozen=True)
class Period:
    key: str
    label: str
    phrase: str
    start: datetime.datetime  # inclusive, aware (workspace time zone)
    end: datetime.datetime  # exclusive

    @property
    def first_day(self) -> datetime.date:
        return self.start.date()

    @property
    def last_day(self) -> datetime.date:
        return (self.end - datetime.timedelta(microseconds=1)).date()


def period_get(key: str, now: datetime.datetime, tz: zoneinfo.ZoneInfo) -> Period:
    """The period ``key`` around ``now``, in whole days of the workspace's time zone; an
    unknown key is the default period (like the board's filters, a bad value still renders)."""
    key = key if key in PERIODS else DEFAULT_PERIOD
    if key == "last_month":
        this_month, _ = period_bounds("month", now, tz)
        start, end = period_bounds("month", this_month - datetime.timedelta(days=1), tz)
    elif key == "last_30_days":
        today = now.astimezone(tz).date()
        start = datetime.datetime.combine(today - datetime.timedelta(days=29), datetime.time(), tz)
        end = datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time(), tz)
    else:
        start, end = period_bounds(_CURRENT[key], now, tz)
    label, phrase = PERIODS[key]
    return Period(key=key, label=label, phrase=phrase, start=start, end=end)


def _due_tasks(request: HttpRequest, now: datetime.datetime, tz: zoneinfo.ZoneInfo) -> dict:
    """The user's open tasks due before the end of today (their time zone: the workspace's),
    split into overdue and due later today: how many of each, and at most ``TASK_LIMIT`` of
    each, soonest first."""
    today = now.astimezone(tz).date()
    end_of_today = datetime.datetime.combine(
        today + datetime.timedelta(days=1), datetime.time(), tzinfo=tz
    )
    open_tasks = Task.objects.for_workspace(request.workspace).filter(
        assignee=request.user, completed_at__isnull=True, archived_at__isnull=True
    )
    counts = open_tasks.filter(due_at__lt=end_of_today).aggregate(
        overdue=Count("pk", filter=Q(due_at__lt=now)),
        today=Count("pk", filter=Q(due_at__gte=now)),
    )
    overdue = list(open_tasks.filter(due_at__lt=now).order_by("due_at", "pk")[:TASK_LIMIT])
    today_tasks = list(
        open_tasks.filter(due_at__gte=now, due_at__lt=end_of_today).order_by("due_at", "pk")[
            :TASK_LIMIT
        ]
    )
    annotate_tasks(request, overdue + today_tasks, now, tz)
    return {
        "overdue": overdue,
        "today": today_tasks,
        "overdue_count": counts["overdue"],
        "today_count": counts["today"],
    }


def _new_contacts(
    workspace: Workspace, period: Period, today: datetime.date, tz: zoneinfo.ZoneInfo
) -> dict[str, Any]:
    """Contacts created per week (Monday-based, workspace time zone) over the weeks up to the
    one holding the period's last day (or today, for a period still running): at least
    ``WEEKS`` of them, so that a month still shows a trend, and every week of a longer period.
    Each week says whether the period touches it; ``total`` counts the contacts created within
    the period itself. One query."""
    last_day = min(period.last_day, today)
    last_week = last_day - datetime.timedelta(days=last_day.weekday())
    first_week = period.first_day - datetime.timedelta(days=period.first_day.weekday())
    count = max(WEEKS, (last_week - first_week).days // 7 + 1)
    weeks = [last_week - datetime.timedelta(weeks=n) for n in range(count - 1, -1, -1)]

    def midnight(day: datetime.date) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time(), tzinfo=tz)

    in_period = Q(created_at__gte=period.start, created_at__lt=period.end)
    rows = (
        Contact.objects.for_workspace(workspace)
        .filter(
            created_at__gte=midnight(weeks[0]),
            created_at__lt=midnight(last_week + datetime.timedelta(weeks=1)),
        )
        .annotate(week=TruncWeek("created_at", tzinfo=tz))
        .values("week")
        .annotate(count=Count("pk"), in_period=Count("pk", filter=in_period))
        .order_by()
    )
    counts = {row["week"].astimezone(tz).date(): row for row in rows}
    return {
        "weeks": [
            {
                "week": week.isoformat(),
                "count": counts[week]["count"] if week in counts else 0,
                "in_period": midnight(week) < period.end
                and midnight(week + datetime.timedelta(weeks=1)) > period.start,
            }
            for week in weeks
        ],
        "total": sum(row["in_period"] for row in counts.values()),
    }


def _money_list(amounts: Mapping[str, Decimal]) -> str:
    """``500.00 EUR · 20.00 GBP``, in the page's own money style."""
    return " · ".join(f"{floatformat(value, '2g')} {code}" for code, value in amounts.items())


def _chart_data(
    figures: dict[str, Any] | None, new_contacts: dict[str, Any], period: Period
) -> dict[str, Any]:
    """What static/js/dashboard.js draws, passed with ``json_script``."""
    weeks = new_contacts["weeks"]
    data: dict[str, Any] = {
        "period": period.label,
        "newContacts": {
            "labels": [row["week"] for row in weeks],
            "counts": [row["count"] for row in weeks],
            "inPeriod": [row["in_period"] for row in weeks],
        },
    }
    if figures is not None:
        stages = figures["pipeline_value_by_stage"]
        data["stages"] = {
            "currency": figures["currency"],
            "labels": [row["stage"] for row in stages],
            "kinds": [row["kind"] for row in stages],
            "values": [float(Decimal(row["value"])) for row in stages],
            "weighted": [float(Decimal(row["weighted_value"])) for row in stages],
            "counts": [row["deal_count"] for row in stages],
        }
    return data


def _deal_figures(request: DashboardRequest) -> dict[str, Any] | None:
    """The pipeline's figures with the other currencies' sums beside them (as text), or None
    for a workspace without any pipeline."""
    try:
        figures = deal_figures(request)
    except DashboardNotFound:
        return None
    others = other_currency_values(request, figures["pipeline"]["id"], figures["currency"])
    for row in figures["pipeline_value_by_stage"]:
        row["other_currencies"] = _money_list(others["stages"].get(row["stage_id"], {}))
    figures["won_other_currencies"] = _money_list(others["won"])
    figures["lost_other_currencies"] = _money_list(others["lost"])
    figures["has_other_currencies"] = bool(others["stages"])
    return figures


def _url(**params: str) -> str:
    query = urlencode({key: value for key, value in params.items() if value})
    return reverse("dashboard") + (f"?{query}" if query else "")


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """The figures for one pipeline (``?pipeline=<id>``, default: the default one) and one
    period (``?period=``, default: this month). An htmx request gets the dashboard partial."""
    workspace = request.workspace
    if not workspace:
        return render(request, "crm/no_workspace.html")
    pipelines = list(
        Pipeline.objects.for_workspace(workspace).order_by("-is_default", "position", "name")
    )
    options: dict[str, str] = {}
    raw = request.GET.get("pipeline", "").strip()
    if raw:
        try:
            uuid.UUID(raw)
        except ValueError:
            raise Http404("No such pipeline.") from None
        if not any(str(p.pk) == raw for p in pipelines):
            raise Http404("No such pipeline.")
        options["pipeline"] = raw
    now = timezone.now()
    tz = workspace_tz(workspace)
    period = period_get(request.GET.get("period", ""), now, tz)
    figures = _deal_figures(
        DashboardRequest(
            workspace=workspace,
            user=request.user,
            period=period.key,
            start=period.start,
            end=period.end,
            now=now,
            tz=tz,
            options=options,
        )
    )
    new_contacts = _new_contacts(workspace, period, now.astimezone(tz).date(), tz)
    pipeline_param = raw if options else ""
    period_param = "" if period.key == DEFAULT_PERIOD else period.key
    context = {
        "deal_figures": figures,
        "pipelines": pipelines,
        "current_pipeline_id": figures["pipeline"]["id"] if figures else "",
        "period": period,
        "period_param": period_param,
        "periods": [
            {
                "key": key,
                "label": label,
                "url": _url(pipeline=pipeline_param, period="" if key == DEFAULT_PERIOD else key),
                "current": key == period.key,
            }
            for key, (label, _) in PERIODS.items()
        ],
        "new_contacts": new_contacts,
        "due": _due_tasks(request, now, tz),
        "recent_events": selectors.recent_events(workspace=workspace, limit=EVENT_LIMIT),
        "chart_data": _chart_data(figures, new_contacts, period),
        "can_write": request.membership.role != "viewer",
    }
    template = "pipelines/dashboard.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#dashboard"
    with timezone.override(tz):
        return render(request, template, context)
