"""What the list and record pages of contacts, companies and deals share: access checks,
filtered and keyset-paged lists, the record timeline, and turning service errors into form
errors.

``pipelines.web.deals`` builds on this module (imports go downwards only).
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from rest_framework.exceptions import ValidationError as ApiValidationError

from accounts.api.pagination import (
    SortKey,
    decode_cursor,
    encode_cursor,
    paginate,
    parse_sort,
)
from accounts.models import Role
from accounts.services.common import Actor, ServiceError
from crm.api.filters import apply_filters
from crm.models import CustomField, Note, TimelineEvent, Verb

PAGE_SIZE = 25
TIMELINE_PAGE_SIZE = 20


def workspace_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in and in a workspace (a user without one goes home, which explains)."""

    @login_required
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.workspace:
            return redirect("home")
        return view(request, *args, **kwargs)

    return wrapper


def can_write(request: HttpRequest) -> bool:
    membership = request.membership
    return bool(membership) and membership.role != Role.VIEWER


def require_writer(request: HttpRequest) -> Actor:
    """The actor for a write, or 403 for viewers."""
    if not can_write(request):
        raise PermissionDenied
    return Actor.for_membership(request.membership)


def member_choices(workspace: Any) -> list[tuple[str, str]]:
    users = (
        get_user_model()
        .objects.filter(memberships__workspace=workspace)
        .order_by("name", "email")
        .values_list("pk", "name", "email")
    )
    return [(str(pk), name or email) for pk, name, email in users]


def apply_service_errors(form: forms.Form, error: Exception) -> None:
    """Put a service's ValidationError/ConflictError next to the fields it names."""
    if isinstance(error, ServiceError):
        field = getattr(error, "field", None)
        form.add_error(field if field in form.fields else None, error.message)
        return
    assert isinstance(error, ValidationError)
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            name = field.removesuffix("_id")
            target = name if name in form.fields else None
            for message in messages:
                form.add_error(target, message if target else _prefixed(field, message))
    else:
        for message in error.messages:
            form.add_error(None, message)


def _prefixed(field: str, message: str) -> str:
    if field in ("non_field_errors", "__all__"):
        return message
    return f"{field.replace('_', ' ').capitalize()}: {message}"


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


# --- Lists --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column of a record list, built in or a custom field.

    ``value`` gives the cell as plain data (text, a number, a date) for the CSV export;
    ``field`` is the CustomField a custom column shows; ``prefetch`` is a relation the
    column reads, prefetched only while the column is shown.
    """

    key: str
    label: str
    sort: str | None = None  # the sort name, if the column sorts
    value: Callable[[Any], Any] | None = None
    default: bool = True  # shown until the user chooses columns
    required: bool = False  # the record's name: always shown
    prefetch: str | None = None
    field: Any = None


class _ApiParams:
    """``paginate`` reads ``request.query_params``; a page request has ``GET``."""

    def __init__(self, params: Any) -> None:
        self.query_params = params


def filter_and_sort(
    params: QueryDict,
    *,
    queryset: QuerySet,
    filterset_class: type,
    sorts: dict[str, str],
    default_sort: str,
    user: Any,
) -> tuple[QuerySet, list[SortKey]]:
    """The list's filters and sort keys applied the way the page and the export share.

    Raises rest_framework's ValidationError naming a bad filter or sort.
    """
    filtered = apply_filters(filterset_class, queryset, params, user)
    keys = parse_sort(params.get("sort"), allowed=sorts, default=default_sort)
    return filtered, keys


def sorted_by(queryset: QuerySet, keys: list[SortKey]) -> QuerySet:
    """``queryset`` in the order of ``keys``, NULLs last both ways (as ``paginate`` pages)."""
    return queryset.order_by(
        *(
            F(k.path).desc(nulls_last=True) if k.descending else F(k.path).asc(nulls_last=True)
            for k in keys
        )
    )


def list_context(
    request: HttpRequest,
    *,
    queryset: QuerySet,
    filterset_class: type,
    sorts: dict[str, str],
    default_sort: str,
    columns: list[Column],
    params: QueryDict | None = None,
    base_url: str = "",
) -> dict[str, Any]:
    """Rows of one page with the filters, sort headers and the next-page link.

    ``params`` are the list's query parameters (the request's GET unless given: a bulk
    action re-renders the list it was posted from, so links start with ``base_url``).
    """
    params = request.GET if params is None else params
    page_params = params.copy()
    page_params["limit"] = str(PAGE_SIZE)
    errors: list[str] = []
    rows: list[Any] = []
    meta: dict[str, Any] = {}
    try:
        filtered, keys = filter_and_sort(
            page_params,
            queryset=queryset,
            filterset_class=filterset_class,
            sorts=sorts,
            default_sort=default_sort,
            user=request.user,
        )
        page = paginate(filtered, _ApiParams(page_params), keys)
        rows, meta = page.rows, page.meta
    except ApiValidationError as error:
        errors = _flatten(error.detail)
    current = (params.get("sort") or default_sort).split(",")[0]
    headers = []
    for column in columns:
        header: dict[str, Any] = {"label": column.label, "sort": column.sort, "state": None}
        if column.sort:
            if current == column.sort:
                header["state"] = "ascending"
                target = f"-{column.sort}"
            elif current == f"-{column.sort}":
                header["state"] = "descending"
                target = column.sort
            else:
                target = column.sort
            header["url"] = f"{base_url}?" + _query(params, sort=target, cursor=None)
        headers.append(header)
    next_url = None
    if meta.get("next_cursor"):
        next_url = f"{base_url}?" + _query(params, cursor=meta["next_cursor"])
    filtered_by = any(params.get(k) for k in params if k not in ("sort", "cursor", "limit"))
    return {
        "rows": rows,
        "meta": meta,
        "list_errors": errors,
        "headers": headers,
        "columns": columns,
        "next_url": next_url,
        "is_filtered": filtered_by,
        "is_later_page": bool(params.get("cursor")),
        "first_page_url": f"{base_url}?" + _query(params, cursor=None),
        "members": member_choices(request.workspace),
        "params": params,
        "can_write": can_write(request),
    }


def _query(params: QueryDict, **changes: Any) -> str:
    params = params.copy()
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return params.urlencode()


def _flatten(detail: Any) -> list[str]:
    if isinstance(detail, dict):
        return [m for key, value in detail.items() for m in _prefix_all(key, _flatten(value))]
    if isinstance(detail, list):
        return [m for item in detail for m in _flatten(item)]
    return [str(detail)]


def _prefix_all(key: str, messages: list[str]) -> list[str]:
    return [f"{key.replace('_', ' ').capitalize()}: {m}" for m in messages]


# --- Record pages -------------------------------------------------------------------------


def custom_field_rows(workspace: Any, subject_type: str, values: dict[str, Any]) -> list[dict]:
    """The workspace's custom fields for this kind of record, each with the record's value."""
    fields = CustomField.objects.for_workspace(workspace).filter(object_type=subject_type)
    rows = []
    for field in fields.order_by("position", "label"):
        value = (values or {}).get(field.key)
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        elif isinstance(value, bool):
            value = "Yes" if value else "No"
        rows.append({"label": field.label, "value": value})
    return rows


SIMPLE_CHANGE_FIELDS = {
    "first_name",
    "last_name",
    "job_title",
    "status",
    "source",
    "email",
    "name",
    "domain",
    "industry",
    "relationship",
    "lifecycle",
    "size",
    "annual_revenue",
    "title",
    "amount",
    "currency",
    "probability",
    "expected_close_date",
    "lost_reason",
    "tags",
}


def _describe_changes(changes: list[Any]) -> list[dict[str, Any]]:
    described = []
    for change in changes or []:
        if not isinstance(change, dict) or "field" not in change:
            continue
        field = str(change["field"])
        item: dict[str, Any] = {"label": field.split(".")[-1].replace("_", " ")}
        if field in SIMPLE_CHANGE_FIELDS:
            item["from"] = _show(change.get("from"))
            item["to"] = _show(change.get("to"))
            item["values"] = True
        described.append(item)
    return described


def _show(value: Any) -> str:
    if value in (None, "", []):
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def timeline_context(
    *, workspace: Any, subject_type: str, subject_id: Any, cursor: str | None = None
) -> dict[str, Any]:
    """One page (newest first) of a record's timeline, notes' bodies included.

    Keyset on (created_at, id): "Load more" stays correct while new events arrive.
    A constant number of queries: the events (actor joined) and the notes they mention.
    """
    events_query = (
        TimelineEvent.objects.for_workspace(workspace)
        .filter(subject_type=subject_type, subject_id=subject_id)
        .select_related("actor")
        .order_by("-created_at", "-id")
    )
    if cursor:
        try:
            created, pk = decode_cursor(cursor, 2)
            created = datetime.datetime.fromisoformat(created)
        except (ApiValidationError, TypeError, ValueError):
            raise ValidationError("Invalid cursor.") from None
        events_query = events_query.filter(
            Q(created_at__lt=created) | Q(created_at=created, id__lt=pk)
        )
    events = list(events_query[: TIMELINE_PAGE_SIZE + 1])
    has_more = len(events) > TIMELINE_PAGE_SIZE
    events = events[:TIMELINE_PAGE_SIZE]
    note_ids = [
        e.data.get("note_id") for e in events if e.verb == Verb.NOTE_ADDED and e.data.get("note_id")
    ]
    notes = {}
    if note_ids:
        notes = {
            str(n.pk): n
            for n in Note.objects.for_workspace(workspace).filter(
                pk__in=note_ids, archived_at__isnull=True
            )
        }
    for event in events:
        event.note = notes.get(str(event.data.get("note_id")))
        event.change_list = _describe_changes(event.changes)
    next_cursor = None
    if has_more and events:
        last = events[-1]
        next_cursor = encode_cursor([last.created_at, str(last.pk)])
    return {
        "events": events,
        "next_cursor": next_cursor,
        "subject_type": subject_type,
        "subject_id": subject_id,
    }


def confirm_delete(
    request: HttpRequest,
    *,
    name: str,
    kind: str,
    consequence: str,
    delete: Callable[[Actor], None],
    list_url: str,
    cancel_url: str,
) -> HttpResponse:
    """GET asks first; POST deletes through ``delete(actor)`` and returns to the list."""
    actor = require_writer(request)
    if request.method == "POST":
        delete(actor)
        messages.success(request, f"{name} deleted.")
        return redirect(list_url)
    return render(
        request,
        "crm/record_confirm_delete.html",
        {"record_name": name, "kind": kind, "consequence": consequence, "cancel_url": cancel_url},
    )
