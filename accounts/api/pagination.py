"""Keyset (cursor) pagination with ``sort``: fast at any depth, stable under inserts."""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import F, Q, QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.request import Request

DEFAULT_LIMIT = 25
MAX_LIMIT = 100
EXACT_TOTAL_UP_TO = 10_000


@dataclass(frozen=True)
class SortKey:
    name: str  # as the API spells it
    path: str  # ORM path
    descending: bool


def parse_sort(value: str | None, *, allowed: dict[str, str], default: str) -> list[SortKey]:
    """``sort=-last_name,first_name`` → keys, always ending with the id as the tie-breaker."""
    keys: list[SortKey] = []
    for part in (value or default).split(","):
        part = part.strip()
        if not part:
            continue
        descending = part.startswith("-")
        name = part.lstrip("-+")
        if name not in allowed:
            raise ValidationError(
                {"sort": [f"Cannot sort by {name!r}. Sortable: {', '.join(sorted(allowed))}."]}
            )
        if any(k.name == name for k in keys):
            continue
        keys.append(SortKey(name, allowed[name], descending))
    if not keys:
        keys = parse_sort(default, allowed=allowed, default=default)[:-1]
    if keys[-1].name != "id":
        keys.append(SortKey("id", "id", keys[0].descending))
    return keys


class _CursorEncoder(DjangoJSONEncoder):
    """Like Django's, but datetimes keep their microseconds: a cursor rounded to the
    millisecond would skip rows created within the same millisecond as the page's last."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.datetime):
            return o.isoformat()
        return super().default(o)


def encode_cursor(values: list[Any]) -> str:
    """The opaque cursor for a row whose sort values are ``values``."""
    raw = json.dumps(values, cls=_CursorEncoder, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ValidationError({"cursor": ["Invalid cursor."]}) from None
    if not isinstance(values, list) or len(values) != size:
        raise ValidationError({"cursor": ["Invalid cursor (it belongs to another sort)."]})
    return values


def _after(keys: list[SortKey], values: list[Any]) -> Q:
    """Rows strictly after ``values`` in the order of ``keys`` (NULLs sort last both ways)."""
    result = Q(pk__in=[])
    equal = Q()
    for key, value in zip(keys, values, strict=True):
        alias = f"_sort_{key.name}"
        if value is None:
            beyond = Q(pk__in=[])  # nothing sorts after NULL but other NULLs
            same = Q(**{f"{alias}__isnull": True})
        else:
            op = "lt" if key.descending else "gt"
            beyond = Q(**{f"{alias}__{op}": value}) | Q(**{f"{alias}__isnull": True})
            same = Q(**{alias: value})
        result |= equal & beyond
        equal &= same
    return result


@dataclass
class Page:
    rows: list[Any]
    meta: dict[str, Any]


def clamp_limit(request: Request) -> int:
    raw = request.query_params.get("limit")
    if raw in (None, ""):
        return DEFAULT_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        raise ValidationError({"limit": ["Must be a whole number."]}) from None
    if limit < 1:
        raise ValidationError({"limit": ["Must be at least 1."]})
    return min(limit, MAX_LIMIT)


def count_total(queryset: QuerySet) -> tuple[int, bool]:
    """(total, is_estimate): exact up to 10,000 rows, then the planner's estimate."""
    exact = queryset.order_by()[: EXACT_TOTAL_UP_TO + 1].count()
    if exact <= EXACT_TOTAL_UP_TO:
        return exact, False
    plan = json.loads(queryset.order_by().explain(format="json"))
    estimate = int(plan[0]["Plan"]["Plan Rows"])
    return max(estimate, exact), True


def paginate(queryset: QuerySet, request: Request, keys: list[SortKey]) -> Page:
    """One page of ``queryset`` in ``keys`` order, after the request's cursor if any."""
    limit = clamp_limit(request)
    annotated = queryset.alias(**{f"_sort_{k.name}": F(k.path) for k in keys})
    ordering = [_order(queryset.model, k) for k in keys]
    total, estimate = count_total(queryset)
    page_query = annotated
    cursor = request.query_params.get("cursor")
    if cursor:
        page_query = page_query.filter(_after(keys, decode_cursor(cursor, len(keys))))
    page_query = page_query.annotate(**{f"_cursor_{k.name}": F(k.path) for k in keys})
    rows = list(page_query.order_by(*ordering)[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if has_more and rows:
        last = rows[-1]
        next_cursor = encode_cursor([_value(last, f"_cursor_{k.name}") for k in keys])
    meta: dict[str, Any] = {
        "limit": limit,
        "next_cursor": next_cursor,
        "has_more": has_more,
        "total": total,
    }
    if estimate:
        meta["total_is_estimate"] = True
    return Page(rows, meta)


def _nullable(model: Any, path: str) -> bool:
    """Whether the column at ``path`` can be NULL (a nullable hop makes it nullable)."""
    for part in path.split("__"):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return True  # an annotation: assume the worst
        if not hasattr(field, "null"):
            return True
        if field.null:
            return True
        model = field.related_model
        if model is None:
            return False
    return False


def _order(model: Any, key: SortKey) -> Any:
    """ORDER BY term. NULLS LAST only where NULLs can occur: on a NOT NULL column the plain
    direction lets PostgreSQL walk the (workspace, column, id) index instead of sorting."""
    expression = F(f"_sort_{key.name}")
    if not _nullable(model, key.path):
        return expression.desc() if key.descending else expression.asc()
    return expression.desc(nulls_last=True) if key.descending else expression.asc(nulls_last=True)


def _value(row: Any, name: str) -> Any:
    return row[name] if isinstance(row, dict) else getattr(row, name)


class EnvelopeSchema(BasePagination):
    """Not used to paginate (``paginate`` does): tells the OpenAPI document that every list
    answers ``{"data": [...], "meta": {...}}``."""

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["data", "meta"],
            "properties": {
                "data": schema,
                "meta": {
                    "type": "object",
                    "required": ["limit", "next_cursor", "has_more", "total"],
                    "properties": {
                        "limit": {"type": "integer", "example": DEFAULT_LIMIT},
                        "next_cursor": {"type": ["string", "null"]},
                        "has_more": {"type": "boolean"},
                        "total": {"type": "integer"},
                        "total_is_estimate": {"type": "boolean"},
                    },
                },
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return []  # documented with each list (LIST_PARAMETERS)
