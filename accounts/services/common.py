"""What every service shares: who acts, the errors services raise, and ``model_update``."""

from __future__ import annotations

import datetime
import decimal
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models

if TYPE_CHECKING:
    from accounts.models import ApiKey, Membership, User

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class Actor:
    """Who performs a write: a signed-in user, an API key, or the system (imports, seeds)."""

    user: User | None = None
    api_key: ApiKey | None = None
    role: str | None = None

    @classmethod
    def system(cls) -> Actor:
        return cls()

    @classmethod
    def for_membership(cls, membership: Membership) -> Actor:
        return cls(user=membership.user, role=membership.role)

    @property
    def name(self) -> str:
        if self.user is not None:
            return self.user.name or self.user.email
        if self.api_key is not None:
            return f"API key {self.api_key.name}"
        return "System"

    @property
    def user_id(self) -> uuid.UUID | None:
        return self.user.pk if self.user is not None else None


class ServiceError(Exception):
    """A write that cannot be done as asked; ``code`` maps to an HTTP status."""

    code = 422

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConflictError(ServiceError):
    """A unique value is taken; ``conflict_id`` names the record that holds it."""

    code = 409

    def __init__(self, message: str, *, field: str, conflict_id: Any) -> None:
        super().__init__(message)
        self.field = field
        self.conflict_id = conflict_id


__all__ = [
    "Actor",
    "ConflictError",
    "PermissionDenied",
    "ServiceError",
    "ValidationError",
    "clean_bounded",
    "clean_color",
    "clean_name",
    "ensure_unique",
    "jsonable",
    "model_update",
]


def ensure_unique(
    queryset: models.QuerySet, *, field: str, message: str, exclude_id: Any = None, **lookup: Any
) -> None:
    """Raise ConflictError naming the record of ``queryset`` that already has the value."""
    clash = queryset.filter(**lookup).exclude(pk=exclude_id).values_list("pk", flat=True).first()
    if clash is not None:
        raise ConflictError(message, field=field, conflict_id=clash)


def clean_name(value: Any, *, message: str, field: str = "name") -> str:
    """A stripped, non-empty name (``message`` says what is missing)."""
    name = (value or "").strip() if isinstance(value, str) or value is None else str(value)
    if not name:
        raise ValidationError({field: [message]})
    return name


_HEX_COLOR_RE = re.compile(r"#[0-9a-fA-F]{6}")


def clean_color(value: Any, *, field: str = "color") -> str:
    """A ``#rrggbb`` colour. Only a check constraint guards the column, and ``full_clean``
    runs without constraints, so the services check it here (a 400, not an IntegrityError)."""
    if not isinstance(value, str) or not _HEX_COLOR_RE.fullmatch(value):
        raise ValidationError({field: ["Use a hex colour such as #3b82f6."]})
    return value


def clean_bounded(
    model: type[models.Model],
    name: str,
    value: Any,
    *,
    minimum: Any = None,
    maximum: Any = None,
) -> Any:
    """``value`` as the model field's Python type, within the bounds that only a database
    check constraint enforces. None and "" pass through for ``full_clean`` to judge."""
    if value is None or value == "":
        return value
    try:
        value = model._meta.get_field(name).to_python(value)
    except ValidationError as error:
        raise ValidationError({name: error.messages}) from None
    if minimum is not None and value < minimum:
        raise ValidationError({name: [f"Must be at least {minimum}."]})
    if maximum is not None and value > maximum:
        raise ValidationError({name: [f"Must be at most {maximum}."]})
    return value


def jsonable(value: Any) -> Any:
    """A value as it is written into a timeline change (JSON-safe, stable)."""
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    return value


def _field_value(instance: models.Model, name: str) -> Any:
    field = instance._meta.get_field(name)
    if isinstance(field, models.ForeignKey):
        return getattr(instance, field.attname)
    return getattr(instance, name)


def model_update[M: models.Model](
    *, instance: M, fields: Iterable[str], data: dict[str, Any], validate: bool = True
) -> tuple[M, list[dict[str, Any]]]:
    """Set the named ``fields`` present in ``data``, validate, and save only what changed.

    Returns the instance and the changes as ``[{"field", "from", "to"}]`` (foreign keys by
    id), which the caller records on the timeline. Nothing is written when nothing changed.
    """
    changes: list[dict[str, Any]] = []
    update_fields: list[str] = []
    for name in fields:
        if name not in data:
            continue
        field = instance._meta.get_field(name)
        new = data[name]
        old = _field_value(instance, name)
        if isinstance(field, models.ForeignKey):
            new_id = getattr(new, "pk", new)
            if old == new_id:
                continue
            if isinstance(new, models.Model) or new is None:
                setattr(instance, name, new)
            else:
                setattr(instance, field.attname, new_id)
            new = new_id
        else:
            # Compare in the field's own type: "2026-01-01" is no change to a stored date.
            try:
                new = field.to_python(new)
            except ValidationError as error:
                raise ValidationError({name: error.messages}) from None
            if old == new:
                continue
            setattr(instance, name, new)
        changes.append({"field": name, "from": jsonable(old), "to": jsonable(new)})
        update_fields.append(field.attname if isinstance(field, models.ForeignKey) else name)
    if not update_fields:
        return instance, []
    if validate:
        instance.full_clean(validate_unique=False, validate_constraints=False)
    if any(f.name == "updated_at" for f in instance._meta.concrete_fields):
        update_fields.append("updated_at")
    instance.save(update_fields=update_fields)
    return instance, changes
