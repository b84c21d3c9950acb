"""The JSON query language of lists, exports and bulk actions, compiled to Django ``Q`` objects.

An expression is a JSON object. Each of its entries is either a combinator or a condition on a
field, and the entries of one object are AND-ed together::

    {"and": [expr, ...]}   {"or": [expr, ...]}   {"not": expr}
    {"<field>": {"<operator>": value, ...}}      (several operators on one field: AND)

``{"and": []}`` and ``{}`` match every record, ``{"or": []}`` none. Fields are the ones
registered for the object type (``register_query_fields``) plus ``custom.<key>`` for the
workspace's custom field definitions; each field has a ``QueryType`` that decides which
operators it takes (``OPERATORS``) and what values they need.

What ``compile_query`` promises:

- The result is a ``Q`` for the record model, built from ORM lookups and expressions: values
  travel as query parameters, no SQL text is ever built from the input.
- It never duplicates rows. A condition that crosses a to-many relation (emails, phones, tags,
  a deal's contacts) is compiled to ``pk IN (subquery)``, so the ``Q`` can be given to
  ``.filter()`` without ``.distinct()``.
- Logic is two-valued: every condition is true or false for every record, never SQL NULL.
  ``{"not": e}`` therefore matches exactly the records ``e`` does not, including the ones where
  the value is missing (no owner, no company, a custom field never set). Negative operators
  (``is_not``, ``not_contains``, ``not_in``, ``not_in_range``, ``not_in_the_last``) are the
  ``not`` of their positive twin, and so include records without a value.
- Text matching ignores case and accents (PostgreSQL ``unaccent``): ``"čar"`` finds ``"Car"``.
- It does not scope by workspace: callers apply the ``Q`` to ``Model.objects.for_workspace(ws)``.
  The workspace passed in decides which custom fields exist, the time zone of dates, and
  scopes the subqueries.
- Any problem with the expression is a ``QueryError`` whose message names the field (and the
  operator) at fault; the API answers it as a 400.

Dates and times: a date value given to a date-time field means that whole day in the
workspace's time zone (``{"is": "2026-01-05"}`` is the day, ``{"lte": "2026-01-05"}`` includes
it). ``in_the_last`` ``{"unit": "day|week|month|year", "quantity": n}`` means from ``n`` units
before now up to now, inclusive (for date fields: before today, up to today, in the
workspace's time zone). Months and years are calendar months and years, not 30 or 365 days:
one month before 31 March is the last day of February.
"""

from __future__ import annotations

import calendar
import datetime
import decimal
import functools
import json
import operator
import uuid
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import models
from django.db.models import Case, Func, Q, When
from django.db.models.expressions import Expression
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.db.models.lookups import IsNull, Regex
from django.utils import timezone

from crm import registry
from crm.models import (
    ContactSource,
    ContactStatus,
    CustomField,
    FieldType,
    Lifecycle,
    Relationship,
)

if TYPE_CHECKING:
    from accounts.models import User, Workspace

__all__ = [
    "MAX_CONDITIONS",
    "MAX_DEPTH",
    "OPERATORS",
    "QueryError",
    "QueryField",
    "QueryType",
    "compile_query",
    "query_fields",
    "register_query_fields",
]

MAX_DEPTH = 10
"""How deeply ``and``/``or``/``not`` may nest."""
MAX_CONDITIONS = 200
"""How many (field, operator) conditions one expression may hold."""
MAX_LIST_VALUES = 500
MAX_TEXT_LENGTH = 1_000
MAX_JSON_LENGTH = 100_000
MAX_QUANTITY = 100_000

CUSTOM_PREFIX = "custom."


class QueryError(ValueError):
    """A query the language does not accept. ``field`` names the field at fault, if any."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class QueryType(StrEnum):
    TEXT = "text"
    CHOICE = "choice"
    NUMBER = "number"  # whole numbers
    DECIMAL = "decimal"
    DATE = "date"
    DATETIME = "datetime"
    REFERENCE = "reference"  # the id of another record
    USER = "user"  # a user id, "me" or "unassigned"
    TAGS = "tags"
    BOOLEAN = "boolean"
    MULTI_SELECT = "multi_select"
    ANY = "any"  # text over several fields at once


_COMPARISONS = frozenset({"is", "is_not", "gt", "gte", "lt", "lte", "range", "not_in_range"})
OPERATORS: dict[QueryType, frozenset[str]] = {
    QueryType.TEXT: frozenset(
        {"is", "is_not", "contains", "not_contains", "starts_with", "in", "not_in", "is_empty"}
    ),
    QueryType.ANY: frozenset({"is", "is_not", "contains", "not_contains", "starts_with"}),
    QueryType.CHOICE: frozenset({"is", "is_not", "in", "not_in", "is_empty"}),
    QueryType.NUMBER: _COMPARISONS | {"in", "not_in", "is_empty"},
    QueryType.DECIMAL: _COMPARISONS | {"in", "not_in", "is_empty"},
    QueryType.DATE: _COMPARISONS | {"is_empty", "in_the_last", "not_in_the_last"},
    QueryType.DATETIME: _COMPARISONS | {"is_empty", "in_the_last", "not_in_the_last"},
    QueryType.REFERENCE: frozenset({"is", "is_not", "in", "not_in", "is_empty"}),
    QueryType.USER: frozenset({"is", "is_not", "in", "not_in", "is_empty"}),
    QueryType.TAGS: frozenset({"has", "is_empty"}),
    QueryType.BOOLEAN: frozenset({"is", "is_not", "is_empty"}),
    QueryType.MULTI_SELECT: frozenset({"has", "is_empty"}),
}
"""The operators each type of field takes."""

_ALL_OPERATORS = frozenset().union(*OPERATORS.values())
_NEGATIONS = {
    "is_not": "is",
    "not_contains": "contains",
    "not_in": "in",
    "not_in_range": "range",
    "not_in_the_last": "in_the_last",
}
_TYPE_LABELS = {
    QueryType.ANY: "text",
    QueryType.DECIMAL: "number",
    QueryType.MULTI_SELECT: "multi-select",
}
_UNITS = ("day", "week", "month", "year")
_PLURALS = {"contact": "contacts", "company": "companies", "deal": "deals"}
_ALIASES = {plural: singular for singular, plural in _PLURALS.items()}

# Matches always / never, and keep doing so under negation (an empty Q() would not).
_ALL = Q(pk__isnull=False)
_NONE = Q(pk__in=[])


@dataclass(frozen=True)
class QueryField:
    """One field the language can filter on.

    ``path`` is the ORM lookup path from the record model (``"first_name"``,
    ``"company__name"``, ``"tags__name"``); an ``ANY`` field gives several. Whether a path
    reaches into another table is read from the model's metadata, and such conditions are
    compiled to ``pk IN (subquery)``. With ``json_key`` the value is that key of the
    ``JSONField`` at ``path`` (``address`` → ``city``, ``custom_fields`` → a custom key).
    ``choices`` are the valid values of a ``CHOICE`` or ``MULTI_SELECT`` field.
    """

    name: str
    type: QueryType
    path: str | tuple[str, ...]
    choices: tuple[str, ...] = ()
    json_key: str | None = None

    @property
    def paths(self) -> tuple[str, ...]:
        return (self.path,) if isinstance(self.path, str) else tuple(self.path)


_registry: dict[str, dict[str, QueryField]] = {}
_JSON_TYPES = frozenset(
    {
        QueryType.TEXT,
        QueryType.NUMBER,
        QueryType.DECIMAL,
        QueryType.DATE,
        QueryType.CHOICE,
        QueryType.BOOLEAN,
        QueryType.MULTI_SELECT,
    }
)


def register_query_fields(object_type: str, fields: Iterable[QueryField]) -> None:
    """Make ``fields`` filterable on ``object_type`` (``contact``, ``company``, ``deal``).

    Apps call this from ``AppConfig.ready()`` (``pipelines`` registers deals), so ``crm`` never
    imports them. Registering a name again replaces the earlier definition.
    """
    table = _registry.setdefault(object_type, {})
    for query_field in fields:
        if not query_field.name or query_field.name.startswith(CUSTOM_PREFIX):
            raise ImproperlyConfigured(f"Bad query field name {query_field.name!r}.")
        if query_field.type in (QueryType.CHOICE, QueryType.MULTI_SELECT) and not (
            query_field.choices
        ):
            raise ImproperlyConfigured(f"Query field {query_field.name!r} needs choices.")
        if query_field.json_key is not None and query_field.type not in _JSON_TYPES:
            raise ImproperlyConfigured(
                f"Query field {query_field.name!r}: {query_field.type} cannot live in JSON."
            )
        table[query_field.name] = query_field


def query_fields(object_type: str) -> dict[str, QueryField]:
    """The built-in fields of ``object_type`` by name (custom fields not included)."""
    return dict(_registry.get(_ALIASES.get(object_type, object_type), {}))


def compile_query(
    expression: dict[str, Any] | str | bytes,
    *,
    object_type: str,
    workspace: Workspace,
    user: User | None = None,
    now: datetime.datetime | None = None,
) -> Q:
    """Compile an expression (a dict, or its JSON text) to a ``Q`` on the record model.

    ``object_type`` is ``contact``, ``company`` or ``deal`` (plurals are accepted too);
    ``workspace`` (a ``Workspace``) supplies the custom field definitions and the time zone;
    ``user`` is who ``"me"`` means; ``now`` (default ``timezone.now()``) anchors
    ``in_the_last`` (an aware date-time). Raises ``QueryError`` for anything the language
    does not accept, and ``LookupError`` for an object type nothing registered.
    """
    workspace_id = getattr(workspace, "pk", workspace)
    if workspace_id is None:
        raise ValueError("compile_query needs the workspace the query runs in.")
    object_type = _ALIASES.get(object_type, object_type)
    fields = _registry.get(object_type)
    if fields is None:
        raise LookupError(f"No query fields are registered for {object_type!r}.")
    if isinstance(expression, str | bytes):
        if len(expression) > MAX_JSON_LENGTH:
            raise QueryError(f"The query is longer than {MAX_JSON_LENGTH:,} characters.")
        try:
            expression = json.loads(expression)
        except (ValueError, RecursionError) as error:
            raise QueryError(f"The query is not valid JSON: {error}.") from None
    if not isinstance(expression, dict):
        raise QueryError('The query must be a JSON object, such as {"status": {"is": "lead"}}.')
    tz_name = getattr(workspace, "timezone", None)
    try:
        tz = zoneinfo.ZoneInfo(tz_name) if tz_name else timezone.get_current_timezone()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = timezone.get_current_timezone()
    context = _Context(
        object_type=object_type,
        model=registry.subject_kind(object_type).model,
        workspace_id=workspace_id,
        user_id=getattr(user, "pk", user),
        tz=tz,
        now=now or timezone.now(),
        fields=fields,
    )
    return _compile_node(expression, context, depth=0)


# --- Compilation ---------------------------------------------------------------------------


@dataclass
class _Context:
    object_type: str
    model: type[models.Model]
    workspace_id: Any
    user_id: Any
    tz: datetime.tzinfo
    now: datetime.datetime
    fields: dict[str, QueryField]
    conditions: int = 0
    custom: dict[str, QueryField] | None = None

    @property
    def plural(self) -> str:
        return _PLURALS.get(self.object_type, f"{self.object_type}s")

    def field(self, name: str) -> QueryField:
        if name.startswith(CUSTOM_PREFIX):
            if self.custom is None:
                self.custom = _custom_fields(self.workspace_id, self.object_type)
            found = self.custom.get(name)
            if found is None:
                raise QueryError(f"Unknown custom field '{name}' for {self.plural}.", field=name)
            return found
        found = self.fields.get(name)
        if found is None:
            raise QueryError(f"Unknown field '{name}' for {self.plural}.", field=name)
        return found

    def count_condition(self) -> None:
        self.conditions += 1
        if self.conditions > MAX_CONDITIONS:
            raise QueryError(f"The query has more than {MAX_CONDITIONS} conditions.")

    def subquery(self, condition: Q) -> Q:
        """``pk IN (records of this workspace matching condition)``: joins stay inside."""
        manager = self.model._default_manager
        rows = manager.filter(workspace_id=self.workspace_id).filter(condition).values("pk")
        return Q(pk__in=rows)

    def start_of(self, day: datetime.date) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time.min, tzinfo=self.tz)

    @property
    def today(self) -> datetime.date:
        return self.now.astimezone(self.tz).date()


def _combine(parts: list[Q], connector: str) -> Q:
    if not parts:
        return _ALL if connector == "and" else _NONE
    return functools.reduce(operator.and_ if connector == "and" else operator.or_, parts)


def _compile_node(node: Any, context: _Context, depth: int) -> Q:
    if not isinstance(node, dict):
        raise QueryError("Each expression must be a JSON object.")
    parts: list[Q] = []
    for key, value in node.items():
        if key in ("and", "or", "not"):
            if depth >= MAX_DEPTH:
                raise QueryError(f"The query nests deeper than {MAX_DEPTH} levels.")
            if key == "not":
                parts.append(~_compile_node(value, context, depth + 1))
                continue
            if not isinstance(value, list):
                raise QueryError(f"'{key}' takes a list of expressions.")
            children = [_compile_node(child, context, depth + 1) for child in value]
            parts.append(_combine(children, key))
        else:
            parts.append(_compile_condition(str(key), value, context))
    return _combine(parts, "and")


def _compile_condition(name: str, spec: Any, context: _Context) -> Q:
    query_field = context.field(name)
    if not isinstance(spec, dict) or not spec:
        raise QueryError(
            f"The condition on '{name}' must be an object of operator and value, "
            'such as {"is": …}.',
            field=name,
        )
    parts = []
    for op, value in spec.items():
        context.count_condition()
        if op not in _ALL_OPERATORS:
            raise QueryError(f"Unknown operator '{op}' on field '{name}'.", field=name)
        if op not in OPERATORS[query_field.type]:
            label = _TYPE_LABELS.get(query_field.type, query_field.type.value)
            raise QueryError(
                f"Operator '{op}' does not apply to {label} field '{name}'.", field=name
            )
        parts.append(_compile_operator(query_field, op, value, context))
    return _combine(parts, "and")


def _compile_operator(query_field: QueryField, op: str, value: Any, context: _Context) -> Q:
    if op in _NEGATIONS:
        return ~_compile_operator(query_field, _NEGATIONS[op], value, context)
    source = _source(query_field, context)
    if op == "is_empty":
        if not isinstance(value, bool):
            raise QueryError(
                f"'is_empty' on '{query_field.name}' takes true or false.", field=query_field.name
            )
        empty = source.missing()
        if query_field.type in (QueryType.TEXT, QueryType.CHOICE):
            empty |= source.match("exact", "")
        return empty if value else ~empty
    return _HANDLERS[query_field.type](query_field, source, op, value, context)


# --- Where a value lives -------------------------------------------------------------------


class _Source:
    """Where a field's value lives; ``match`` gives a two-valued condition on it."""

    def match(self, lookup: str, value: Any) -> Q:
        raise NotImplementedError

    def missing(self) -> Q:
        """The record has no value at all."""
        raise NotImplementedError


@dataclass
class _PathSource(_Source):
    """Model fields reached by ORM paths (several for an ``any`` field: OR-ed).

    Paths that cross a relation are matched inside ``pk IN (subquery)``, so the outer query
    never joins: rows are never duplicated, and Django's join promotion cannot turn the LEFT
    JOIN that a negation needs into an INNER one when the same relation appears in several
    branches. Columns of the record itself rely on Django's negation, which adds the
    ``IS NOT NULL`` checks that keep nullable columns two-valued.
    """

    paths: tuple[str, ...]
    related: bool
    context: _Context

    def match(self, lookup: str, value: Any) -> Q:
        condition = _combine([Q(**{f"{path}__{lookup}": value}) for path in self.paths], "or")
        return self.context.subquery(condition) if self.related else condition

    def missing(self) -> Q:
        if self.related:
            present = _combine([Q(**{f"{path}__isnull": False}) for path in self.paths], "or")
            return ~self.context.subquery(present)
        return _combine([Q(**{f"{path}__isnull": True}) for path in self.paths], "and")


class _ToNumeric(Func):
    template = "(%(expressions)s)::numeric"
    output_field = models.DecimalField()


_NUMERIC_TEXT = r"^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$"
_DATE_TEXT = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


@dataclass
class _JsonExpressionSource(_Source):
    """A key of a JSON column read as text, a number or a date.

    The cast only happens when the text has the right shape (a CASE guard), so one odd stored
    value yields "no value" for that record instead of an error for the whole query. Every
    match also requires the value to be present, which keeps it two-valued.
    """

    column: str
    key: str
    kind: str  # "text" | "number" | "date"

    def expression(self) -> Expression:
        text = Cast(KT(f"{self.column}__{self.key}"), models.TextField())
        if self.kind == "number":
            return Case(
                When(Regex(text, _NUMERIC_TEXT), then=_ToNumeric(text)),
                default=None,
                output_field=models.DecimalField(),
            )
        if self.kind == "date":
            return Case(
                When(Regex(text, _DATE_TEXT), then=Cast(text, models.DateField())),
                default=None,
                output_field=models.DateField(),
            )
        return text

    def match(self, lookup: str, value: Any) -> Q:
        expression = self.expression()
        *transforms, lookup_name = lookup.split("__")
        for name in transforms:
            expression = expression.get_transform(name)(expression)
        condition = expression.get_lookup(lookup_name)(expression, value)
        return Q(condition) & Q(IsNull(self.expression(), False))

    def missing(self) -> Q:
        return Q(IsNull(self.expression(), True))


@dataclass
class _JsonValueSource(_Source):
    """A key of a JSON column compared as JSON by containment (``@>``, GIN-indexed)."""

    column: str
    key: str

    def match(self, lookup: str, value: Any) -> Q:
        if lookup == "in":
            return _combine([self.match("exact", item) for item in value], "or")
        if lookup == "has":
            value = [value]
        elif lookup != "exact":
            raise ValueError(f"Unsupported JSON lookup {lookup!r}.")
        return Q(**{f"{self.column}__contains": {self.key: value}})

    def missing(self) -> Q:
        return ~Q(**{f"{self.column}__has_key": self.key})


@dataclass
class _AnySource(_Source):
    sources: list[_Source]

    def match(self, lookup: str, value: Any) -> Q:
        return _combine([source.match(lookup, value) for source in self.sources], "or")

    def missing(self) -> Q:
        return _combine([source.missing() for source in self.sources], "and")


@functools.cache
def _crosses_relation(model: type[models.Model], path: str) -> bool:
    """Whether ``path`` reads a field of another table (``company__name``, ``tags__name``),
    as opposed to a column of the record itself (``first_name``, the ``owner`` id)."""
    parts = path.split("__")
    current = model
    for index, part in enumerate(parts):
        if part == "pk":
            return False
        try:
            model_field = current._meta.get_field(part)
        except FieldDoesNotExist:
            return False  # a transform: the relations are behind us
        if not model_field.is_relation:
            return False
        if model_field.many_to_many or model_field.one_to_many or index < len(parts) - 1:
            return True
        current = model_field.related_model
    return False


def _source(query_field: QueryField, context: _Context) -> _Source:
    if query_field.json_key is not None:
        column = query_field.paths[0]
        if query_field.type in (QueryType.CHOICE, QueryType.BOOLEAN, QueryType.MULTI_SELECT):
            return _JsonValueSource(column, query_field.json_key)
        kind = {QueryType.TEXT: "text", QueryType.DATE: "date"}.get(query_field.type, "number")
        return _JsonExpressionSource(column, query_field.json_key, kind)
    # Own columns together; related paths grouped by relation, one subquery each.
    groups: dict[str, list[str]] = {}
    for path in query_field.paths:
        related = _crosses_relation(context.model, path)
        groups.setdefault(path.split("__")[0] if related else "", []).append(path)
    sources: list[_Source] = [
        _PathSource(tuple(paths), bool(relation), context) for relation, paths in groups.items()
    ]
    return sources[0] if len(sources) == 1 else _AnySource(sources)


# --- Values --------------------------------------------------------------------------------


def _fail(query_field: QueryField, message: str) -> QueryError:
    return QueryError(message, field=query_field.name)


def _as_list(query_field: QueryField, op: str, value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(query_field, f"'{op}' on '{query_field.name}' takes a list of values.")
    if len(value) > MAX_LIST_VALUES:
        raise _fail(
            query_field, f"'{op}' on '{query_field.name}' takes at most {MAX_LIST_VALUES} values."
        )
    return value


def _text(query_field: QueryField, value: Any, *, allow_blank: bool = True) -> str:
    if not isinstance(value, str):
        raise _fail(query_field, f"'{query_field.name}' needs text, not {json.dumps(value)}.")
    if len(value) > MAX_TEXT_LENGTH:
        raise _fail(query_field, f"Text for '{query_field.name}' is longer than {MAX_TEXT_LENGTH}.")
    if not allow_blank and not value:
        raise _fail(query_field, f"Give some text to look for in '{query_field.name}'.")
    if "\x00" in value:
        raise _fail(query_field, f"Text for '{query_field.name}' cannot hold a NUL character.")
    return value


def _choice(query_field: QueryField, value: Any) -> str:
    if not isinstance(value, str) or value not in query_field.choices:
        raise _fail(
            query_field,
            f"{json.dumps(value)} is not a choice of '{query_field.name}'; "
            f"use one of: {', '.join(query_field.choices)}.",
        )
    return value


def _number(query_field: QueryField, value: Any) -> int | decimal.Decimal:
    number: decimal.Decimal | None = None
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        try:
            number = decimal.Decimal(str(value).strip())
        except decimal.InvalidOperation:
            number = None
    if number is None or not number.is_finite():
        raise _fail(query_field, f"'{query_field.name}' needs a number, not {json.dumps(value)}.")
    if query_field.type == QueryType.NUMBER:
        if number != number.to_integral_value():
            raise _fail(query_field, f"'{query_field.name}' needs a whole number.")
        return int(number)
    return number


def _date_or_datetime(
    query_field: QueryField, value: Any, context: _Context
) -> datetime.date | datetime.datetime:
    """A date (``YYYY-MM-DD``), or for date-time fields also an ISO 8601 date-time (a time
    without an offset is in the workspace's time zone)."""
    if isinstance(value, str) and len(value) <= 64:
        try:
            if len(value) == 10:
                return datetime.date.fromisoformat(value)
            if query_field.type == QueryType.DATETIME:
                moment = datetime.datetime.fromisoformat(value)
                if timezone.is_naive(moment):
                    moment = moment.replace(tzinfo=context.tz)
                return moment
        except ValueError:
            pass
    wanted = "a date as YYYY-MM-DD"
    if query_field.type == QueryType.DATETIME:
        wanted += " or an ISO 8601 date-time"
    raise _fail(query_field, f"'{query_field.name}' needs {wanted}, not {json.dumps(value)}.")


def _reference(query_field: QueryField, value: Any, context: _Context) -> uuid.UUID | None:
    """An id; for user fields also ``"me"`` (the current user) and ``"unassigned"`` (None)."""
    if query_field.type == QueryType.USER:
        if value == "me":
            if context.user_id is None:
                raise _fail(query_field, f"'me' in '{query_field.name}' needs a signed-in user.")
            return context.user_id
        if value == "unassigned":
            return None
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        return uuid.UUID(value)
    except ValueError:
        extra = ', "me" or "unassigned"' if query_field.type == QueryType.USER else ""
        raise _fail(
            query_field, f"'{query_field.name}' needs an id{extra}, not {json.dumps(value)}."
        ) from None


def _names(query_field: QueryField, value: Any) -> list[str]:
    """``has`` takes one value or a non-empty list of them (all must be present)."""
    values = value if isinstance(value, list) else [value]
    if not values or len(values) > MAX_LIST_VALUES:
        raise _fail(query_field, f"'has' on '{query_field.name}' needs one value or a list.")
    for item in values:
        if not isinstance(item, str) or not item.strip() or "\x00" in item:
            raise _fail(
                query_field, f"'has' on '{query_field.name}' needs text, not {json.dumps(item)}."
            )
    return values


def _shift_back(moment: datetime.date, unit: str, quantity: int) -> datetime.date:
    """``moment`` minus ``quantity`` units; months and years are calendar ones, and a day
    that the target month lacks becomes its last day (31 March - 1 month = 28/29 February).
    Works on dates and (aware) date-times alike, keeping the time of day."""
    if unit == "day":
        return moment - datetime.timedelta(days=quantity)
    if unit == "week":
        return moment - datetime.timedelta(weeks=quantity)
    months = quantity * (12 if unit == "year" else 1)
    year, month_index = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    month = month_index + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


# --- Operators by type ---------------------------------------------------------------------

_TEXT_LOOKUPS = {
    "is": "unaccent__iexact",
    "contains": "unaccent__icontains",
    "starts_with": "unaccent__istartswith",
}


def _compile_text(
    query_field: QueryField, source: _Source, op: str, value: Any, context: _Context
) -> Q:
    if op == "in":
        values = [_text(query_field, item) for item in _as_list(query_field, op, value)]
        return _combine([source.match("unaccent__iexact", item) for item in values], "or")
    text = _text(query_field, value, allow_blank=op == "is")
    return source.match(_TEXT_LOOKUPS[op], text)


def _compile_choice(
    query_field: QueryField, source: _Source, op: str, value: Any, context: _Context
) -> Q:
    if op == "in":
        values = [_choice(query_field, item) for item in _as_list(query_field, op, value)]
        return source.match("in", values) if values else _NONE
    return source.match("exact", _choice(query_field, value))


def _compile_number(
    query_field: QueryField, source: _Source, op: str, value: Any, context: _Context
) -> Q:
    if op == "in":
        values = [_number(query_field, item) for item in _as_list(query_field, op, value)]
        return source.match("in", values) if values else _NONE
    if op == "range":
        return _range(
            query_field, value, lambda bound, item: source.match(bound, _number(query_field, item))
        )
    return source.match("exact" if op == "is" else op, _number(query_field, value))


def _compile_date(
    query_field: QueryField, source: _Source, op: str, value: Any, context: _Context
) -> Q:
    def compare(op: str, value: Any) -> Q:
        moment = _date_or_datetime(query_field, value, context)
        if query_field.type == QueryType.DATETIME and not isinstance(moment, datetime.datetime):
            # A day given to a date-time field: that whole day in the workspace's time zone.
            try:
                start, end = (
                    context.start_of(moment),
                    context.start_of(moment + datetime.timedelta(days=1)),
                )
            except OverflowError:
                raise _fail(
                    query_field, f"'{query_field.name}': that date is out of range."
                ) from None
            if op == "is":
                return source.match("gte", start) & source.match("lt", end)
            lookup, bound = {
                "gt": ("gte", end),
                "gte": ("gte", start),
                "lt": ("lt", start),
                "lte": ("lt", end),
            }[op]
            return source.match(lookup, bound)
        return source.match("exact" if op == "is" else op, moment)

    if op == "range":
        return _range(query_field, value, compare)
    if op == "in_the_last":
        unit, quantity = _period(query_field, value)
        latest: datetime.date = (
            context.now if query_field.type == QueryType.DATETIME else context.today
        )
        if isinstance(latest, datetime.datetime):
            latest = latest.astimezone(context.tz)
        try:
            earliest = _shift_back(latest, unit, quantity)
        except (ValueError, OverflowError):
            raise _fail(query_field, f"'{query_field.name}': that is too far back.") from None
        return source.match("gte", earliest) & source.match("lte", latest)
    return compare(op, value)


def _period(query_field: QueryField, value: Any) -> tuple[str, int]:
    if (
        not isinstance(value, dict)
        or set(value) != {"unit", "quantity"}
        or value["unit"] not in _UNITS
        or not isinstance(value["quantity"], int)
        or isinstance(value["quantity"], bool)
        or not 1 <= value["quantity"] <= MAX_QUANTITY
    ):
        raise _fail(
            query_field,
            f"'{query_field.name}' needs a period such as "
            '{"unit": "day", "quantity": 3}: unit day, week, month or year, '
            "and a whole quantity of at least 1.",
        )
    return value["unit"], value["quantity"]


def _range(query_field: QueryField, value: Any, compare: Callable[[str, Any], Q]) -> Q:
    """``{"gte"|"gt": low, "lte"|"lt": high}``; one side may be left open."""
    if (
        not isinstance(value, dict)
        or not value
        or not set(value) <= {"gt", "gte", "lt", "lte"}
        or {"gt", "gte"} <= set(value)
        or {"lt", "lte"} <= set(value)
    ):
        raise _fail(
            query_field,
            f"'range' on '{query_field.name}' takes a lower bound (gt or gte) and an upper "
            'bound (lt or lte), such as {"gte": 1, "lt": 10}.',
        )
    return _combine([compare(bound, item) for bound, item in value.items()], "and")


def _compile_reference(
    query_field: QueryField, source: _Source, op: str, value: Any, context: _Context
) -> Q:
    if op == "in":
        ids = [_reference(query_field, item, context) for item in _as_list(query_field, op, value)]
        present = [item for item in ids if item is not None]
        condition = source.match("in", present) if present else _NONE
        return condition | source.missing() if None in ids else condition
    found = _reference(query_field, value, context)
    return source.missing() if found is None else source.match("exact", found)


def _compile_boolean(
    query_field: QueryField, source: _Source, op: str, value: Any, context: _Context
) -> Q:
    if not isinstance(value, bool):
        raise _fail(query_field, f"'{query_field.name}' needs true or false.")
    return source.match("exact", value)


def _compile_tags(
    query_field: QueryField, source: _Source, op: str, value: Any, context: _Context
) -> Q:
    names = _names(query_field, value)
    return _combine([source.match("iexact", name.strip()) for name in names], "and")


def _compile_multi_select(
    query_field: QueryField, source: _Source, op: str, value: Any, context: _Context
) -> Q:
    values = [_choice(query_field, item) for item in _names(query_field, value)]
    return _combine([source.match("has", item) for item in values], "and")


_HANDLERS = {
    QueryType.TEXT: _compile_text,
    QueryType.ANY: _compile_text,
    QueryType.CHOICE: _compile_choice,
    QueryType.NUMBER: _compile_number,
    QueryType.DECIMAL: _compile_number,
    QueryType.DATE: _compile_date,
    QueryType.DATETIME: _compile_date,
    QueryType.REFERENCE: _compile_reference,
    QueryType.USER: _compile_reference,
    QueryType.BOOLEAN: _compile_boolean,
    QueryType.TAGS: _compile_tags,
    QueryType.MULTI_SELECT: _compile_multi_select,
}


# --- Custom fields -------------------------------------------------------------------------

_CUSTOM_TYPES = {
    FieldType.TEXT: QueryType.TEXT,
    FieldType.EMAIL: QueryType.TEXT,
    FieldType.PHONE: QueryType.TEXT,
    FieldType.URL: QueryType.TEXT,
    FieldType.NUMBER: QueryType.DECIMAL,
    FieldType.CURRENCY: QueryType.DECIMAL,
    FieldType.DATE: QueryType.DATE,
    FieldType.BOOLEAN: QueryType.BOOLEAN,
    FieldType.SELECT: QueryType.CHOICE,
    FieldType.MULTI_SELECT: QueryType.MULTI_SELECT,
}


def _custom_fields(workspace_id: Any, object_type: str) -> dict[str, QueryField]:
    """The workspace's custom fields of this object type, as ``custom.<key>`` query fields."""
    definitions = CustomField.objects.for_workspace(workspace_id).filter(object_type=object_type)
    return {
        f"{CUSTOM_PREFIX}{definition.key}": QueryField(
            name=f"{CUSTOM_PREFIX}{definition.key}",
            type=_CUSTOM_TYPES[FieldType(definition.type)],
            path="custom_fields",
            json_key=definition.key,
            choices=tuple(definition.options or ()),
        )
        for definition in definitions.only("key", "type", "options")
    }


# --- Contacts and companies ----------------------------------------------------------------


def _common_fields() -> list[QueryField]:
    return [
        QueryField("id", QueryType.REFERENCE, "pk"),
        QueryField("owner", QueryType.USER, "owner"),
        QueryField("tags", QueryType.TAGS, "tags__name"),
        QueryField("last_activity_at", QueryType.DATETIME, "last_activity_at"),
        QueryField("created_at", QueryType.DATETIME, "created_at"),
        QueryField("updated_at", QueryType.DATETIME, "updated_at"),
        QueryField("city", QueryType.TEXT, "address", json_key="city"),
        QueryField("country", QueryType.TEXT, "address", json_key="country"),
    ]


CONTACT_FIELDS: tuple[QueryField, ...] = (
    *_common_fields(),
    QueryField("first_name", QueryType.TEXT, "first_name"),
    QueryField("last_name", QueryType.TEXT, "last_name"),
    QueryField("full_name", QueryType.TEXT, "full_name"),
    QueryField("email", QueryType.TEXT, "email"),
    QueryField("job_title", QueryType.TEXT, "job_title"),
    QueryField("status", QueryType.CHOICE, "status", choices=tuple(ContactStatus.values)),
    QueryField("source", QueryType.CHOICE, "source", choices=tuple(ContactSource.values)),
    QueryField("company", QueryType.TEXT, "company__name"),
    QueryField("company_id", QueryType.REFERENCE, "company"),
    QueryField("engagement_score", QueryType.NUMBER, "engagement_score"),
    QueryField(
        "any",
        QueryType.ANY,
        (
            "first_name",
            "last_name",
            "full_name",
            "email",
            "emails__value",
            "phones__value",
            "company__name",
            "company__domain",
        ),
    ),
)

COMPANY_FIELDS: tuple[QueryField, ...] = (
    *_common_fields(),
    QueryField("name", QueryType.TEXT, "name"),
    QueryField("domain", QueryType.TEXT, "domain"),
    QueryField("industry", QueryType.TEXT, "industry"),
    QueryField(
        "relationship", QueryType.CHOICE, "relationship", choices=tuple(Relationship.values)
    ),
    QueryField("lifecycle", QueryType.CHOICE, "lifecycle", choices=tuple(Lifecycle.values)),
    QueryField("size", QueryType.NUMBER, "size"),
    QueryField("annual_revenue", QueryType.DECIMAL, "annual_revenue"),
    QueryField("any", QueryType.ANY, ("name", "domain", "phones__value")),
)

register_query_fields("contact", CONTACT_FIELDS)
register_query_fields("company", COMPANY_FIELDS)
