"""What the contact, company and deal lists share beyond paging: the columns each person
chooses (custom fields included), bulk actions on the selected rows, and the CSV export of
the filtered list.

- Columns: the choice is kept in the session, per workspace and kind of record, so the list
  looks the same whatever its URL. Custom-field cells come from the row's ``custom_fields``
  JSON: no query per row.
- Bulk actions go through ``crm.services.bulk`` (one service call per record, as the API's
  bulk endpoints do) and ``crm.services.lists``; ids outside the workspace are ignored.
  Deleting asks first, and like the API's ``bulk-delete`` needs the admin role.
- The export streams the whole filtered and sorted list in chunks, with the same filters as
  the page (``records_common.filter_and_sort``).

Views take the list's ``ListSpec`` as a URL keyword (see crm/web/records_urls.py).
"""

from __future__ import annotations

import csv
import datetime
import decimal
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.views.decorators.http import require_GET, require_POST
from rest_framework.exceptions import ValidationError as ApiValidationError

from accounts.models import Role
from accounts.services.common import Actor, ServiceError
from crm.models import BulkOperation, CustomField, FieldType, List
from crm.normalize import spreadsheet_safe
from crm.services import bulk
from crm.services.lists import list_create, list_members_add
from crm.web.records_common import (
    Column,
    filter_and_sort,
    is_htmx,
    list_context,
    member_choices,
    require_writer,
    sorted_by,
    workspace_page,
)

LIST_TARGET = "record-list"  # the id of the region a list's htmx actions swap
EXPORT_CHUNK = 500
UNASSIGNED = "unassigned"
MAX_TAG_LENGTH = 64  # as crm.services.records.resolve_tags allows


@dataclass(frozen=True)
class ListSpec:
    """One kind of record list: its rows, filters, sorts, columns and URLs.

    ``url_prefix`` names the URLs: ``<prefix>_list``, ``_columns``, ``_bulk``, ``_export``.
    ``filter_choices`` gives the choices the page's filter form offers.
    """

    object_type: str
    noun: str
    plural: str
    url_prefix: str
    template: str
    queryset: Callable[[Any], QuerySet]
    filterset_class: type
    sorts: dict[str, str]
    default_sort: str
    columns: tuple[Column, ...]
    filter_choices: Callable[[Any], dict[str, Any]] = field(default=lambda workspace: {})
    has_lists: bool = False  # contacts and companies can be put on static lists
    delete_consequence: str = "Their notes, tasks, activities and timeline go with them."

    def url(self, name: str) -> str:
        return reverse(f"{self.url_prefix}_{name}")

    def count(self, number: int) -> str:
        return f"{number} {self.noun if number == 1 else self.plural}"

    def title(self, record: Any) -> str:
        """The record's name, from the list's required column."""
        column = next(c for c in self.columns if c.required)
        return str(column.value(record)) if column.value else str(record)


SPECS: dict[str, ListSpec] = {}


def register_list(spec: ListSpec) -> ListSpec:
    """Make a list known by its object type (background exports rebuild it from there)."""
    SPECS[spec.object_type] = spec
    return spec


# --- Built-in columns every list has ------------------------------------------------------


def owner_name(record: Any) -> str:
    owner = record.owner
    return (owner.name or owner.email) if owner else ""


def tag_names(record: Any) -> str:
    return ", ".join(tag.name for tag in record.tags.all())


def owner_column() -> Column:
    return Column("owner", "Owner", value=owner_name)


def tags_column(*, default: bool = True) -> Column:
    return Column("tags", "Tags", value=tag_names, default=default, prefetch="tags")


def created_column(*, default: bool = True) -> Column:
    return Column("created", "Created", "created", value=lambda r: r.created_at, default=default)


# --- Custom-field columns -----------------------------------------------------------------


@dataclass(frozen=True)
class CustomCell:
    """A custom field's value as a list cell shows it."""

    text: str = ""
    href: str = ""
    items: tuple[str, ...] = ()
    number: bool = False


def _decimal(raw: Any) -> decimal.Decimal | None:
    if isinstance(raw, bool):
        return None
    try:
        number = decimal.Decimal(str(raw).strip())
    except decimal.InvalidOperation:
        return None
    return number if number.is_finite() else None


def _date(raw: Any) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(str(raw))
    except ValueError:
        return None


def custom_cell(custom_field: CustomField, raw: Any) -> CustomCell | None:
    """The display of one value by its field's type; None for no value."""
    if raw is None or raw == "" or raw == []:
        return None
    kind = custom_field.type
    if kind == FieldType.MULTI_SELECT and isinstance(raw, list):
        return CustomCell(text=", ".join(map(str, raw)), items=tuple(map(str, raw)))
    if kind in (FieldType.NUMBER, FieldType.CURRENCY):
        number = _decimal(raw)
        if number is not None:
            text = f"{number:,.2f}" if kind == FieldType.CURRENCY else f"{number:,}"
            return CustomCell(text=text, number=True)
    if kind == FieldType.BOOLEAN and isinstance(raw, bool):
        return CustomCell(text="Yes" if raw else "No")
    if kind == FieldType.DATE and (day := _date(raw)):
        return CustomCell(text=dateformat.format(day, "M j, Y"))
    text = str(raw)
    if kind == FieldType.EMAIL:
        return CustomCell(text=text, href=f"mailto:{text}")
    if kind == FieldType.PHONE:
        return CustomCell(text=text, href=f"tel:{text}")
    if kind == FieldType.URL and text.lower().startswith(("http://", "https://")):
        return CustomCell(text=text, href=text)
    return CustomCell(text=text)


def custom_export_value(custom_field: CustomField, raw: Any) -> Any:
    """A custom field's value for a spreadsheet: numbers stay numbers, dates ISO."""
    if raw is None or raw == "" or raw == []:
        return ""
    kind = custom_field.type
    if kind in (FieldType.NUMBER, FieldType.CURRENCY):
        number = _decimal(raw)
        if number is not None:
            return number
    if isinstance(raw, list):
        return ", ".join(map(str, raw))
    return raw


def custom_columns(workspace: Any, object_type: str) -> list[Column]:
    fields = CustomField.objects.for_workspace(workspace).filter(object_type=object_type)
    return [
        Column(
            f"cf:{f.key}",
            f.label,
            value=lambda record, f=f: custom_export_value(f, custom_value(record, f)),
            default=False,
            field=f,
        )
        for f in fields.order_by("position", "label")
    ]


def custom_value(record: Any, custom_field: CustomField) -> Any:
    return (record.custom_fields or {}).get(custom_field.key)


# --- The columns a person chose -----------------------------------------------------------


def _session_key(request: HttpRequest, spec: ListSpec) -> str:
    return f"list-columns:{request.workspace.pk}:{spec.object_type}"


def available_for(workspace: Any, spec: ListSpec) -> list[Column]:
    """Every column the list can show in this workspace: built-in, then custom fields."""
    return [*spec.columns, *custom_columns(workspace, spec.object_type)]


def available_columns(request: HttpRequest, spec: ListSpec) -> list[Column]:
    return available_for(request.workspace, spec)


def visible_columns(
    request: HttpRequest, spec: ListSpec, available: list[Column] | None = None
) -> list[Column]:
    """The chosen columns in their built-in order; the defaults until a choice is saved.
    Keys of deleted custom fields drop out by themselves."""
    available = available_columns(request, spec) if available is None else available
    chosen = request.session.get(_session_key(request, spec))
    if not isinstance(chosen, list):
        return [c for c in available if c.default or c.required]
    return [c for c in available if c.key in chosen or c.required]


def with_prefetches(queryset: QuerySet, columns: list[Column]) -> QuerySet:
    related = [c.prefetch for c in columns if c.prefetch]
    return queryset.prefetch_related(*related) if related else queryset


# --- The list page ------------------------------------------------------------------------


def _urlencoded(params: QueryDict, *drop: str) -> str:
    params = params.copy()
    for key in drop:
        params.pop(key, None)
    return params.urlencode()


def list_url(spec: ListSpec, params: QueryDict) -> str:
    query = params.urlencode()
    return spec.url("list") + (f"?{query}" if query else "")


def is_fragment(request: HttpRequest) -> bool:
    """An htmx request that swaps the list region (filters, actions, Cancel)."""
    return is_htmx(request) and request.headers.get("HX-Target") == LIST_TARGET


def is_admin(request: HttpRequest) -> bool:
    return bool(request.membership) and request.membership.role in (Role.OWNER, Role.ADMIN)


def list_page(
    request: HttpRequest,
    spec: ListSpec,
    *,
    params: QueryDict | None = None,
    bulk_state: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The list (the page, or its region for htmx), in the columns the person chose.

    ``bulk_state`` re-shows a bulk action that failed: its error, the rows that were
    selected and what was typed.
    """
    params = request.GET if params is None else params
    available = available_columns(request, spec)
    columns = visible_columns(request, spec, available)
    context = list_context(
        request,
        queryset=with_prefetches(spec.queryset(request.workspace), columns),
        filterset_class=spec.filterset_class,
        sorts=spec.sorts,
        default_sort=spec.default_sort,
        columns=columns,
        params=params,
        # A refused bulk action re-shows the list at the action's URL: links must say where.
        base_url=spec.url("list") if request.method == "POST" else "",
    )
    bulk_state = bulk_state or {}
    selected = bulk_state.get("selected", set())
    for row in context["rows"]:
        row.list_title = spec.title(row)
        row.list_selected = str(row.pk) in selected
        row.list_cells = [_cell(row, column) for column in columns]
    writer = context["can_write"]
    shown = {c.key for c in columns}
    context.update(
        spec.filter_choices(request.workspace),
        spec=spec,
        list_url=spec.url("list"),
        list_query=params.urlencode(),
        export_url=f"{spec.url('export')}?{_urlencoded(params, 'cursor', 'limit')}",
        export_start_url=spec.url("export_start"),
        export_params=_urlencoded(params, "cursor", "limit"),
        columns_url=spec.url("columns"),
        bulk_url=spec.url("bulk"),
        column_choices=[
            {
                "key": c.key,
                "label": c.label,
                "shown": c.key in shown,
                "required": c.required,
                "custom": c.field is not None,
            }
            for c in available
        ],
        bulk=bulk_state,
        has_custom_columns=any(c.field is not None for c in available),
        is_admin=is_admin(request),
        can_bulk_delete=writer and is_admin(request),
        record_lists=_record_lists(request, spec) if writer and spec.has_lists else [],
        fragment=is_fragment(request),
        list_target=LIST_TARGET,
    )
    template = f"{spec.template}#records" if context["fragment"] else spec.template
    return render(request, template, context, status=status)


def _cell(record: Any, column: Column) -> dict[str, Any]:
    if column.field is not None:
        return {
            "column": column,
            "custom": custom_cell(column.field, custom_value(record, column.field)),
        }
    return {"column": column, "value": column.value(record) if column.value else None}


def _record_lists(request: HttpRequest, spec: ListSpec) -> list[tuple[str, str]]:
    lists = List.objects.for_workspace(request.workspace).filter(object_type=spec.object_type)
    return [(str(pk), name) for pk, name in lists.order_by("name").values_list("pk", "name")]


def _posted_params(request: HttpRequest) -> QueryDict:
    """The query string of the list a form was posted from (filters, sort, page)."""
    return QueryDict(request.POST.get("list_params", ""))


def _back_to_list(request: HttpRequest, spec: ListSpec, params: QueryDict) -> HttpResponse:
    """htmx: the list region again (with the flash message). Plain POST: the list's URL."""
    if is_fragment(request):
        return list_page(request, spec, params=params)
    return redirect(list_url(spec, params))


# --- Choosing columns ---------------------------------------------------------------------


@workspace_page
@require_POST
def list_columns(request: HttpRequest, spec: ListSpec) -> HttpResponse:
    """Save the columns to show (``columns`` checkboxes), or forget them (``reset``)."""
    key = _session_key(request, spec)
    if request.POST.get("reset"):
        request.session.pop(key, None)
    else:
        wanted = set(request.POST.getlist("columns"))
        request.session[key] = [
            c.key for c in available_columns(request, spec) if c.key in wanted or c.required
        ]
    return _back_to_list(request, spec, _posted_params(request))


# --- Bulk actions -------------------------------------------------------------------------


class BulkRefused(Exception):
    """A bulk action that cannot run as asked; the message is for the person."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _selected_records(request: HttpRequest, spec: ListSpec, ids: list[str]) -> list[Any]:
    """The selected records of this workspace (tags prefetched for the tag action)."""
    if len(ids) > bulk.INLINE_LIMIT:
        raise BulkRefused(f"Select at most {bulk.INLINE_LIMIT:,} {spec.plural} at once.")
    try:
        records = list(
            bulk.targets(
                workspace=request.workspace, object_type=spec.object_type, ids=ids, query=None
            ).prefetch_related("tags")
        )
    except ValidationError:
        raise BulkRefused(f"Select the {spec.plural} again.") from None
    if not records:
        raise BulkRefused(f"Select at least one {spec.noun}.")
    return records


def _apply(
    request: HttpRequest,
    spec: ListSpec,
    *,
    operation: str,
    records: list[Any],
    actor: Actor,
    changes: dict[str, Any],
    done_message: Callable[[str], str],
) -> None:
    """Run the bulk service and flash how many records changed (and why others didn't)."""
    done, errors = bulk.apply(
        object_type=spec.object_type,
        operation=operation,
        records=records,
        actor=actor,
        changes=changes,
    )
    if done:
        messages.success(request, done_message(spec.count(done)))
    if errors:
        first = next(iter(errors[0]["errors"].values()), [""])
        reason = first[0] if first else ""
        messages.error(
            request,
            f"{spec.count(len(errors))} could not be changed" + (f": {reason}" if reason else "."),
        )


def _add_tag(request: HttpRequest, spec: ListSpec, actor: Actor, records: list[Any]) -> None:
    name = " ".join(request.POST.get("tag", "").split())
    if not name:
        raise BulkRefused("Type the tag to add.", field="tag")
    if len(name) > MAX_TAG_LENGTH:
        raise BulkRefused(f"A tag has at most {MAX_TAG_LENGTH} characters.", field="tag")
    _apply(
        request,
        spec,
        operation=BulkOperation.UPDATE,
        records=records,
        actor=actor,
        changes=bulk.clean_changes(spec.object_type, {"add_tags": [name]}),
        done_message=lambda count: f"Tag “{name}” added to {count}.",
    )


def _assign_owner(request: HttpRequest, spec: ListSpec, actor: Actor, records: list[Any]) -> None:
    value = request.POST.get("owner", "")
    members = dict(member_choices(request.workspace))
    if value != UNASSIGNED and value not in members:
        raise BulkRefused("Choose who will own them.", field="owner")
    owner = None if value == UNASSIGNED else value
    _apply(
        request,
        spec,
        operation=BulkOperation.UPDATE,
        records=records,
        actor=actor,
        changes=bulk.clean_changes(spec.object_type, {"owner": owner}),
        done_message=lambda count: (
            f"{count} assigned to {members[value]}." if owner else f"{count} unassigned."
        ),
    )


def _add_to_list(request: HttpRequest, spec: ListSpec, actor: Actor, records: list[Any]) -> None:
    if not spec.has_lists:
        raise BulkRefused(f"{spec.plural.capitalize()} cannot be put on lists.")
    new_name = request.POST.get("list_name", "").strip()
    lists = List.objects.for_workspace(request.workspace).filter(object_type=spec.object_type)
    with transaction.atomic():  # a new list only with its members
        if new_name:
            try:
                target = list_create(
                    workspace=request.workspace, name=new_name, object_type=spec.object_type
                )
            except ValidationError as error:
                raise BulkRefused(" ".join(error.messages), field="list_name") from None
        else:
            target = lists.filter(pk=_uuid_or_none(request.POST.get("list", ""))).first()
            if target is None:
                raise BulkRefused("Choose a list, or name a new one.", field="list")
        added = list_members_add(list_=target, ids=[r.pk for r in records])
    already = len(records) - added
    message = f"{spec.count(added)} added to “{target.name}”."
    if already:
        message += f" {spec.count(already)} {'was' if already == 1 else 'were'} on it already."
    messages.success(request, message)


def _uuid_or_none(value: str) -> str | None:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def _delete(request: HttpRequest, spec: ListSpec, actor: Actor, records: list[Any]) -> None:
    _apply(
        request,
        spec,
        operation=BulkOperation.DELETE,
        records=records,
        actor=actor,
        changes={},
        done_message=lambda count: f"{count} deleted.",
    )


HANDLERS: dict[str, Callable[[HttpRequest, ListSpec, Actor, list[Any]], None]] = {
    "tag": _add_tag,
    "owner": _assign_owner,
    "list": _add_to_list,
    "delete": _delete,
}


@workspace_page
@require_POST
def list_bulk(request: HttpRequest, spec: ListSpec) -> HttpResponse:
    """Act on the selected rows (``ids``): ``action`` is tag, owner, list or delete.

    Delete shows a confirmation (with the count) until ``confirm`` is posted. A refused
    action re-shows the list with the error and the selection kept.
    """
    actor = require_writer(request)
    action = request.POST.get("action", "")
    if action == "delete" and not is_admin(request):
        raise PermissionDenied("Deleting in bulk needs the admin role.")
    params = _posted_params(request)
    ids = request.POST.getlist("ids")
    try:
        if action not in HANDLERS:
            raise BulkRefused("Choose what to do with the selected rows.")
        records = _selected_records(request, spec, ids)
        if action == "delete" and not request.POST.get("confirm"):
            return _confirm_delete(request, spec, records, params)
        HANDLERS[action](request, spec, actor, records)
    except (BulkRefused, ServiceError, ValidationError) as error:
        message = " ".join(error.messages) if isinstance(error, ValidationError) else error.message
        state = {
            "error": message,
            "field": getattr(error, "field", ""),
            "selected": set(ids),
            "values": request.POST,
        }
        return list_page(
            request,
            spec,
            params=params,
            bulk_state=state,
            status=200 if is_fragment(request) else 422,
        )
    return _back_to_list(request, spec, params)


CONFIRM_NAMES_SHOWN = 10


def _confirm_delete(
    request: HttpRequest, spec: ListSpec, records: list[Any], params: QueryDict
) -> HttpResponse:
    context = {
        "spec": spec,
        "count": spec.count(len(records)),
        "consequence": spec.delete_consequence,
        "ids": [str(r.pk) for r in records],
        "names": [spec.title(r) for r in records[:CONFIRM_NAMES_SHOWN]],
        "more": max(len(records) - CONFIRM_NAMES_SHOWN, 0),
        "bulk_url": spec.url("bulk"),
        "cancel_url": list_url(spec, params),
        "list_query": params.urlencode(),
        "list_target": LIST_TARGET,
    }
    template = "crm/_record_list_confirm.html"
    return render(request, f"{template}#confirm" if is_fragment(request) else template, context)


# --- CSV export ---------------------------------------------------------------------------


def csv_cell(value: Any) -> Any:
    """A cell a spreadsheet shows as written: text that would start a formula gets a
    leading apostrophe; numbers stay numbers; times are local to the server's zone."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int | float | decimal.Decimal):
        return value
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value)
    return spreadsheet_safe(text)


class _Echo:
    """A file-like object whose ``write`` returns the line ``csv.writer`` formatted."""

    def write(self, value: str) -> str:
        return value


def csv_lines(records: Iterable[Any], columns: list[Column]) -> Iterator[str]:
    """The header (after a UTF-8 BOM, for Excel), then the records, a chunk at a time."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([csv_cell(c.label) for c in columns])
    chunk: list[str] = []
    for record in records:
        chunk.append(
            writer.writerow([csv_cell(c.value(record) if c.value else "") for c in columns])
        )
        if len(chunk) >= EXPORT_CHUNK:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)


@workspace_page
@require_GET
def list_export(request: HttpRequest, spec: ListSpec) -> HttpResponse:
    """The whole list as filtered and sorted on the page, in the chosen columns.

    Rows are read ``EXPORT_CHUNK`` at a time (relations prefetched per chunk), so the
    queries grow with the chunks, not the rows.
    """
    columns = visible_columns(request, spec)
    try:
        filtered, keys = filter_and_sort(
            request.GET,
            queryset=with_prefetches(spec.queryset(request.workspace), columns),
            filterset_class=spec.filterset_class,
            sorts=spec.sorts,
            default_sort=spec.default_sort,
            user=request.user,
        )
    except ApiValidationError:
        # The list page explains what is wrong with its filters.
        return redirect(list_url(spec, request.GET))
    records = sorted_by(filtered, keys).iterator(chunk_size=EXPORT_CHUNK)
    response = StreamingHttpResponse(
        csv_lines(records, columns), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="{spec.plural}-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response
