"""Custom field definitions, and the typed validation of values on every write."""

from __future__ import annotations

import datetime
import decimal
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.expressions import CombinedExpression

from accounts.models import Workspace
from accounts.services.common import ConflictError, ServiceError, model_update
from crm.models import CustomField, FieldType
from crm.normalize import normalize_email, normalize_phone
from crm.registry import subject_kind

_url_validator = URLValidator(schemes=["http", "https"])
_KEY_RE = re.compile(r"[a-z][a-z0-9_]{0,62}")


def _validate_key(key: Any) -> str:
    # The format is a check constraint in the database; answer a bad key as a 400.
    if not isinstance(key, str) or not _KEY_RE.fullmatch(key):
        raise ValidationError(
            {"key": ["Use lower_snake_case: a letter, then letters, digits or _ (at most 63)."]}
        )
    return key


def _validate_options(field_type: str, options: Any) -> list[str]:
    if field_type not in (FieldType.SELECT, FieldType.MULTI_SELECT):
        return []
    if (
        not isinstance(options, list)
        or not options
        or not all(isinstance(o, str) and o.strip() for o in options)
    ):
        raise ValidationError({"options": ["A select field needs a list of non-empty options."]})
    cleaned = [o.strip() for o in options]
    if len(set(cleaned)) != len(cleaned):
        raise ValidationError({"options": ["Options must be different from each other."]})
    return cleaned


@transaction.atomic
def custom_field_create(
    *,
    workspace: Workspace,
    object_type: str,
    key: str,
    label: str,
    type: str,
    required: bool = False,
    unique: bool = False,
    options: list[str] | None = None,
    position: int | None = None,
) -> CustomField:
    key = _validate_key(key)
    if (
        CustomField.objects.for_workspace(workspace)
        .filter(object_type=object_type, key=key)
        .exists()
    ):
        existing = CustomField.objects.for_workspace(workspace).get(
            object_type=object_type, key=key
        )
        raise ConflictError(
            f"A {object_type} field with key {key!r} exists.", field="key", conflict_id=existing.pk
        )
    if position is None:
        position = (
            CustomField.objects.for_workspace(workspace).filter(object_type=object_type).count()
        )
    field = CustomField(
        workspace=workspace,
        object_type=object_type,
        key=key,
        label=label.strip(),
        type=type,
        required=required,
        unique=unique,
        position=position,
    )
    field.full_clean(exclude=["options"], validate_unique=False, validate_constraints=False)
    field.options = _validate_options(type, options or [])
    field.save()
    return field


@transaction.atomic
def custom_field_update(*, field: CustomField, data: dict[str, Any]) -> CustomField:
    if "options" in data:
        data = {**data, "options": _validate_options(field.type, data["options"])}
    field, _ = model_update(
        instance=field, fields=["label", "required", "unique", "options", "position"], data=data
    )
    return field


def custom_field_usage(*, field: CustomField) -> int:
    model = subject_kind(field.object_type).model
    return (
        model.objects.for_workspace(field.workspace_id)
        .filter(custom_fields__has_key=field.key)
        .count()
    )


@transaction.atomic
def custom_field_delete(*, field: CustomField, force: bool = False) -> None:
    """Delete a definition; with ``force`` also drop its values from every record."""
    model = subject_kind(field.object_type).model
    in_use = model.objects.for_workspace(field.workspace_id).filter(
        custom_fields__has_key=field.key
    )
    if in_use.exists():
        if not force:
            raise ServiceError(
                f"{in_use.count()} records use the field {field.key!r}; delete with force."
            )
        # jsonb - text: drop the key in one UPDATE, whatever the number of records.
        in_use.update(custom_fields=CombinedExpression(F("custom_fields"), "-", Value(field.key)))
    field.delete()


def custom_value_coerce(field: CustomField, value: Any) -> Any:
    """The stored form of one value, or ValidationError with a message for the user."""
    kind = field.type
    if kind == FieldType.TEXT:
        if not isinstance(value, str):
            raise ValidationError("Must be text.")
        if len(value) > 10_000:
            raise ValidationError("Must be at most 10,000 characters.")
        return value
    if kind in (FieldType.NUMBER, FieldType.CURRENCY):
        if isinstance(value, bool):
            raise ValidationError("Must be a number.")
        try:
            number = decimal.Decimal(str(value).strip())
        except decimal.InvalidOperation:
            raise ValidationError("Must be a number.") from None
        if not number.is_finite():
            raise ValidationError("Must be a finite number.")
        if kind == FieldType.CURRENCY:
            try:
                return str(number.quantize(decimal.Decimal("0.01")))
            except decimal.InvalidOperation:
                # More digits than the decimal context holds (28).
                raise ValidationError("Must be a smaller amount.") from None
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == FieldType.EMAIL:
        return normalize_email(str(value))
    if kind == FieldType.PHONE:
        return normalize_phone(str(value))
    if kind == FieldType.URL:
        _url_validator(str(value))
        return str(value)
    if kind == FieldType.DATE:
        try:
            return datetime.date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise ValidationError("Must be a date as YYYY-MM-DD.") from None
    if kind == FieldType.BOOLEAN:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"true", "yes", "1"}:
            return True
        if text in {"false", "no", "0"}:
            return False
        raise ValidationError("Must be true or false.")
    if kind == FieldType.SELECT:
        if value not in field.options:
            raise ValidationError(f"Must be one of: {', '.join(field.options)}.")
        return value
    if kind == FieldType.MULTI_SELECT:
        if not isinstance(value, list):
            raise ValidationError("Must be a list.")
        unknown = [v for v in value if v not in field.options]
        if unknown:
            raise ValidationError(f"Unknown options: {', '.join(map(str, unknown))}.")
        return list(dict.fromkeys(value))
    raise ValidationError(f"Unsupported field type {kind}.")


def custom_fields_clean(
    *,
    workspace: Workspace,
    object_type: str,
    values: dict[str, Any] | None,
    existing: dict[str, Any] | None = None,
    record_id: Any = None,
) -> dict[str, Any]:
    """Validate ``values`` against the definitions and merge them into ``existing``.

    ``None`` (or ``""``) removes a value. Raises ValidationError keyed ``custom_fields.<key>``.
    """
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise ValidationError({"custom_fields": ["Must be an object of key → value."]})
    definitions = {
        f.key: f
        for f in CustomField.objects.for_workspace(workspace).filter(object_type=object_type)
    }
    result = dict(existing or {})
    errors: dict[str, list[str]] = {}
    for key, value in values.items():
        field = definitions.get(key)
        if field is None:
            errors[f"custom_fields.{key}"] = [f"Unknown custom field {key!r}."]
            continue
        if value is None or value == "" or value == []:
            result.pop(key, None)
            continue
        try:
            result[key] = custom_value_coerce(field, value)
        except ValidationError as error:
            errors[f"custom_fields.{key}"] = list(error.messages)
    for key, field in definitions.items():
        if field.required and key not in result and f"custom_fields.{key}" not in errors:
            errors[f"custom_fields.{key}"] = ["This field is required."]
    if not errors:
        model = subject_kind(object_type).model
        for key, field in definitions.items():
            if field.unique and key in result and (existing or {}).get(key) != result[key]:
                clash = (
                    model.objects.for_workspace(workspace)
                    .filter(Q(**{f"custom_fields__{key}": result[key]}))
                    .exclude(pk=record_id)
                    .values_list("pk", flat=True)
                    .first()
                )
                if clash is not None:
                    raise ConflictError(
                        f"Another record has {field.label} = {result[key]!r}.",
                        field=f"custom_fields.{key}",
                        conflict_id=clash,
                    )
    if errors:
        raise ValidationError(errors)
    return result
