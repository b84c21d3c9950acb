"""The tasks page: the signed-in user's open tasks by due date, everyone's, or the completed
ones; complete (or reopen) with one click; add a task.

Writes go through ``crm.services.activity`` with the member as actor; viewers see no buttons
and get 403 on POST. Every action is a plain form POST that htmx enhances (the row swaps).
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from accounts.services.common import Actor
from crm import selectors
from crm.dashboard import workspace_tz
from crm.models import Task
from crm.models.activity import Priority
from crm.services.activity import task_complete, task_create, task_reopen

SHOW = {"mine": "My open tasks", "all": "All open tasks", "completed": "Completed"}
LIST_LIMIT = 200
SUBJECT_PATHS = {"contact": "/contacts/", "company": "/companies/", "deal": "/deals/"}


class TaskForm(forms.Form):
    title = forms.CharField(max_length=255, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    due_at = forms.DateTimeField(
        label="Due",
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    priority = forms.ChoiceField(choices=Priority.choices, initial=Priority.MEDIUM)


def _can_write(request: HttpRequest) -> bool:
    return request.membership.role != "viewer"


def _task_or_404(request: HttpRequest, task_id) -> Task:
    task = (
        Task.objects.for_workspace(request.workspace)
        .filter(pk=task_id, archived_at__isnull=True)
        .select_related("assignee")
        .first()
    )
    if task is None:
        raise Http404("No such task.")
    return task


def annotate_tasks(
    request: HttpRequest, tasks: list[Task], now: datetime.datetime, tz
) -> list[Task]:
    """Add ``subject_title``/``subject_url`` (one query per kind) and ``due_state``."""
    titles = selectors.subject_titles(
        workspace=request.workspace,
        refs=[(t.subject_type, t.subject_id) for t in tasks if t.subject_id],
    )
    today = now.astimezone(tz).date()
    for task in tasks:
        task.subject_title = titles.get((task.subject_type, task.subject_id), "")
        task.subject_url = (
            f"{SUBJECT_PATHS[task.subject_type]}{task.subject_id}/"
            if task.subject_id and task.subject_type in SUBJECT_PATHS
            else ""
        )
        task.due_state = _due_state(task, now, today, tz)
    return tasks


def _due_state(task: Task, now: datetime.datetime, today: datetime.date, tz) -> str:
    if task.due_at is None:
        return "none"
    if task.completed_at is not None:
        return "done"
    if task.due_at < now:
        return "overdue"
    if task.due_at.astimezone(tz).date() == today:
        return "today"
    return "upcoming"


def _groups(tasks: list[Task]) -> list[dict[str, Any]]:
    labels = [
        ("overdue", "Overdue"),
        ("today", "Today"),
        ("upcoming", "Upcoming"),
        ("none", "No due date"),
    ]
    return [
        {"key": key, "label": label, "tasks": [t for t in tasks if t.due_state == key]}
        for key, label in labels
    ]


def _render_list(
    request: HttpRequest, form: TaskForm | None = None, status: int = 200
) -> HttpResponse:
    workspace = request.workspace
    show = request.GET.get("show", "mine")
    if show not in SHOW:
        show = "mine"
    tz = workspace_tz(workspace)
    now = timezone.now()
    tasks = Task.objects.for_workspace(workspace).filter(archived_at__isnull=True)
    if show == "completed":
        tasks = tasks.filter(completed_at__isnull=False).order_by("-completed_at", "pk")
    else:
        tasks = tasks.filter(completed_at__isnull=True).order_by(
            F("due_at").asc(nulls_last=True), "created_at", "pk"
        )
        if show == "mine":
            tasks = tasks.filter(assignee=request.user)
    rows = annotate_tasks(
        request, list(tasks.select_related("assignee")[: LIST_LIMIT + 1]), now, tz
    )
    context = {
        "show": show,
        "filters": SHOW.items(),
        "title": SHOW[show],
        "tasks": rows[:LIST_LIMIT],
        "truncated": len(rows) > LIST_LIMIT,
        "groups": _groups(rows[:LIST_LIMIT]) if show != "completed" else [],
        "form": form or TaskForm(),
        "can_write": _can_write(request),
        "next_url": request.get_full_path(),
    }
    with timezone.override(tz):
        return render(request, "crm/tasks/list.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def task_list(request: HttpRequest) -> HttpResponse:
    """GET: the list (``?show=mine|all|completed``). POST: add a task assigned to oneself."""
    if not request.workspace:
        return render(request, "crm/no_workspace.html")
    if request.method == "GET":
        return _render_list(request)
    if not _can_write(request):
        raise PermissionDenied
    tz = workspace_tz(request.workspace)
    with timezone.override(tz):
        form = TaskForm(request.POST)
        if form.is_valid():
            try:
                task = task_create(
                    workspace=request.workspace,
                    actor=Actor.for_membership(request.membership),
                    title=form.cleaned_data["title"],
                    due_at=form.cleaned_data["due_at"],
                    priority=form.cleaned_data["priority"],
                    assignee=request.user,
                )
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, f"Task “{task.title}” added.")
                return redirect(request.get_full_path())
    return _render_list(request, form=form, status=422 if not request.htmx else 200)


def _after_write(request: HttpRequest, task: Task) -> HttpResponse:
    """htmx: the task's row again (the caller swaps it in). Plain POST: back to ``next``."""
    if request.htmx:
        tz = workspace_tz(request.workspace)
        now = timezone.now()
        annotate_tasks(request, [task], now, tz)
        context = {"task": task, "can_write": True, "next_url": request.POST.get("next", "")}
        with timezone.override(tz):
            return render(request, "crm/tasks/list.html#task-row", context)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/tasks/"
    return redirect(target)


@login_required
@require_POST
def task_complete_view(request: HttpRequest, task_id) -> HttpResponse:
    if not request.workspace:
        raise Http404
    task = _task_or_404(request, task_id)
    if not _can_write(request):
        raise PermissionDenied
    task = task_complete(task=task, actor=Actor.for_membership(request.membership))
    return _after_write(request, task)


@login_required
@require_POST
def task_reopen_view(request: HttpRequest, task_id) -> HttpResponse:
    if not request.workspace:
        raise Http404
    task = _task_or_404(request, task_id)
    if not _can_write(request):
        raise PermissionDenied
    task = task_reopen(task=task, actor=Actor.for_membership(request.membership))
    return _after_write(request, task)
