"""The record timeline and what is added to it from a record page: notes (with a Markdown
preview), tasks and logged calls, emails and meetings. Works for any registered subject
(contact, company, deal)."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.services.common import ServiceError
from crm.models import ActivityType, Direction, Priority
from crm.normalize import render_markdown
from crm.registry import subject_kind
from crm.services.activity import activity_create, note_create, task_create
from crm.web.records_common import (
    apply_service_errors,
    can_write,
    is_htmx,
    require_writer,
    timeline_context,
    workspace_page,
)


class NoteForm(forms.Form):
    body = forms.CharField(
        label="Note",
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "Write a note… Markdown works."}),
        max_length=50_000,
    )


class TaskForm(forms.Form):
    title = forms.CharField(label="Task", max_length=255)
    due_date = forms.DateField(
        label="Due", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    priority = forms.ChoiceField(choices=Priority.choices, initial=Priority.MEDIUM)


class ActivityForm(forms.Form):
    type = forms.ChoiceField(label="Type", choices=ActivityType.choices)
    subject = forms.CharField(label="Subject", max_length=255, required=False)
    body = forms.CharField(
        label="Summary", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    direction = forms.ChoiceField(
        label="Direction", choices=[("", "—"), *Direction.choices], required=False
    )
    duration_minutes = forms.IntegerField(
        label="Minutes", required=False, min_value=0, max_value=24 * 60
    )


COMPOSER_FORMS: dict[str, type[forms.Form]] = {
    "note": NoteForm,
    "task": TaskForm,
    "activity": ActivityForm,
}
SAVED_MESSAGES = {"note": "Note added.", "task": "Task added.", "activity": "Activity logged."}
COMPOSER_TITLES = {"note": "Add a note", "task": "Add a task", "activity": "Log an activity"}


def composer_forms(prefix_bound: dict[str, forms.Form] | None = None) -> dict[str, forms.Form]:
    found = {kind: cls(prefix=kind) for kind, cls in COMPOSER_FORMS.items()}
    found.update(prefix_bound or {})
    return found


def record_url(subject_type: str, subject_id: Any) -> str:
    return reverse(subject_kind(subject_type).url_name, args=[subject_id])


def _subject(request: HttpRequest, subject_type: str, pk: Any) -> Any:
    try:
        kind = subject_kind(subject_type)
    except LookupError:
        raise Http404 from None
    record = kind.model.objects.for_workspace(request.workspace).filter(pk=pk).first()
    if record is None:
        raise Http404
    return record


@workspace_page
@require_GET
def timeline(request: HttpRequest, subject_type: str, pk: Any) -> HttpResponse:
    """The next page of a record's timeline ("Load more")."""
    record = _subject(request, subject_type, pk)
    try:
        context = timeline_context(
            workspace=request.workspace,
            subject_type=subject_type,
            subject_id=record.pk,
            cursor=request.GET.get("cursor"),
        )
    except ValidationError:
        return HttpResponseBadRequest("Invalid cursor.")
    if is_htmx(request):
        return render(request, "crm/_record_timeline_items.html", context)
    return render(request, "crm/record_timeline_page.html", {**context, "record": record})


@workspace_page
@require_POST
def add(request: HttpRequest, subject_type: str, pk: Any, kind: str) -> HttpResponse:
    """Add a note, task or activity to a record; htmx gets the fresh form and the timeline
    (out of band), a plain post goes back to the record."""
    record = _subject(request, subject_type, pk)
    actor = require_writer(request)
    form = COMPOSER_FORMS[kind](request.POST, prefix=kind)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if kind == "note":
                note_create(
                    workspace=request.workspace,
                    actor=actor,
                    subject_type=subject_type,
                    subject_id=record.pk,
                    body=data["body"],
                )
            elif kind == "task":
                due = data.get("due_date")
                task_create(
                    workspace=request.workspace,
                    actor=actor,
                    title=data["title"],
                    priority=data["priority"],
                    due_at=(
                        timezone.make_aware(datetime.datetime.combine(due, datetime.time(17)))
                        if due
                        else None
                    ),
                    assignee=request.user,
                    subject_type=subject_type,
                    subject_id=record.pk,
                )
            else:
                activity_create(
                    workspace=request.workspace,
                    actor=actor,
                    type=data["type"],
                    subject_type=subject_type,
                    subject_id=record.pk,
                    subject=data["subject"],
                    body=data["body"],
                    direction=data["direction"],
                    duration_minutes=data["duration_minutes"],
                )
        except (ValidationError, ServiceError) as error:
            apply_service_errors(form, error)
    done = form.is_bound and not form.errors
    if not is_htmx(request):
        if done:
            messages.success(
                request, f"{COMPOSER_TITLES[kind].split(' ', 1)[1].capitalize()} added."
            )
            return redirect(record_url(subject_type, record.pk))
        return render(
            request,
            "crm/record_composer_page.html",
            {
                "record": record,
                "kind": kind,
                "form": form,
                "title": COMPOSER_TITLES[kind],
                "subject_type": subject_type,
                "record_url": record_url(subject_type, record.pk),
            },
        )
    context = {
        "kind": kind,
        "form": COMPOSER_FORMS[kind](prefix=kind) if done else form,
        "subject_type": subject_type,
        "subject_id": record.pk,
        "saved": done,
    }
    html = render_to_string("crm/_record_composer_form.html", context, request=request)
    if done:
        timeline = timeline_context(
            workspace=request.workspace, subject_type=subject_type, subject_id=record.pk
        )
        html += render_to_string(
            "crm/_record_timeline.html",
            {**timeline, "oob": True, "can_write": can_write(request)},
            request=request,
        )
    return HttpResponse(html)


@workspace_page
@require_POST
def markdown_preview(request: HttpRequest) -> HttpResponse:
    """The sanitised HTML a note's Markdown becomes (what the note will show)."""
    body = request.POST.get("note-body") or request.POST.get("body") or ""
    html = render_markdown(body[:50_000])
    return render(request, "crm/_record_markdown_preview.html", {"html": html, "body": body})
