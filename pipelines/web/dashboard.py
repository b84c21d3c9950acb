"""The dashboard page: the same figures as ``GET /api/v1/dashboard`` (``crm.dashboard`` with the
deal section from ``pipelines.dashboard``), plus the signed-in user's tasks due today and
overdue, and the workspace's recent activity.

Every block is a fixed number of queries, however many records the workspace holds.
"""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from crm import selectors
from crm.dashboard import DashboardNotFound, dashboard_get, workspace_tz
from crm.models import Task
from crm.web.tasks import annotate_tasks
from pipelines.models import Pipeline

TASK_LIMIT = 8
EVENT_LIMIT = 10


def _due_tasks(request: HttpRequest, now: datetime.datetime, tz) -> dict[str, list[Task]]:
    """The user's open tasks due before the end of today (their time zone: the workspace's),
    split into overdue and due later today; at most ``TASK_LIMIT`` of each, soonest first."""
    today = now.astimezone(tz).date()
    end_of_today = datetime.datetime.combine(
        today + datetime.timedelta(days=1), datetime.time(), tzinfo=tz
    )
    open_tasks = Task.objects.for_workspace(request.workspace).filter(
        assignee=request.user, completed_at__isnull=True, archived_at__isnull=True
    )
    overdue = list(open_tasks.filter(due_at__lt=now).order_by("due_at", "pk")[:TASK_LIMIT])
    today_tasks = list(
        open_tasks.filter(due_at__gte=now, due_at__lt=end_of_today).order_by("due_at", "pk")[
            :TASK_LIMIT
        ]
    )
    annotate_tasks(request, overdue + today_tasks, now, tz)
    return {"overdue": overdue, "today": today_tasks}


def _chart_data(figures: dict[str, Any] | None, new_contacts: list[dict[str, Any]]) -> dict:
    """What static/js/dashboard.js draws, passed with ``json_script``."""
    data: dict[str, Any] = {
        "newContacts": {
            "labels": [row["week"] for row in new_contacts],
            "counts": [row["count"] for row in new_contacts],
        }
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


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """This month's figures for one pipeline (``?pipeline=<id>``, default: the default one)."""
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
    try:
        figures = dashboard_get(
            workspace=workspace, user=request.user, period="month", options=options, now=now
        )
        deal_figures: dict[str, Any] | None = figures
    except DashboardNotFound:
        # A workspace without any pipeline: only the contact and task figures.
        figures = {"new_contacts_per_week": [], "tasks": {"due_today": 0, "overdue": 0}}
        deal_figures = None
    new_contacts = figures["new_contacts_per_week"]
    context = {
        "figures": figures,
        "deal_figures": deal_figures,
        "pipelines": pipelines,
        "current_pipeline_id": deal_figures["pipeline"]["id"] if deal_figures else "",
        "month": now.astimezone(tz),
        "new_contacts_total": sum(row["count"] for row in new_contacts),
        "due": _due_tasks(request, now, tz),
        "recent_events": selectors.recent_events(workspace=workspace, limit=EVENT_LIMIT),
        "chart_data": _chart_data(deal_figures, new_contacts),
        "can_write": request.membership.role != "viewer",
    }
    with timezone.override(tz):
        return render(request, "pipelines/dashboard.html", context)
