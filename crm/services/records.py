"""Helpers shared by the services of contacts, companies and deals."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower

from accounts.models import Workspace
from crm.models import Label, Tag
from crm.normalize import normalize_phone

ADDRESS_KEYS = ("street", "city", "state", "zip", "country")


def clean_address(value: Any) -> dict[str, str]:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise ValidationError(
            {"address": ["Must be an object with street, city, state, zip and country."]}
        )
    unknown = sorted(set(value) - set(ADDRESS_KEYS))
    if unknown:
        raise ValidationError({"address": [f"Unknown address fields: {', '.join(unknown)}."]})
    cleaned = {}
    for key in ADDRESS_KEYS:
        item = value.get(key)
        if item in (None, ""):
            continue
        if not isinstance(item, str) or len(item) > 200:
            raise ValidationError({"address": [f"{key} must be text of at most 200 characters."]})
        cleaned[key] = item.strip()
    return cleaned


def clean_social_profiles(value: Any) -> list[dict[str, str]]:
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise ValidationError({"social_profiles": ["Must be a list of {platform, url}."]})
    from django.core.validators import URLValidator

    validate_url = URLValidator(schemes=["http", "https"])
    cleaned = []
    for item in value:
        if not isinstance(item, dict) or not item.get("platform") or not item.get("url"):
            raise ValidationError({"social_profiles": ["Each needs a platform and a url."]})
        try:
            validate_url(str(item["url"]))
        except ValidationError:
            raise ValidationError(
                {"social_profiles": [f"{item['url']!r} is not a valid URL."]}
            ) from None
        cleaned.append({"platform": str(item["platform"]).strip()[:50], "url": str(item["url"])})
    return cleaned


def clean_labelled_values(
    value: Any, *, field: str, normalize: Any, require_one_primary: bool = True
) -> list[dict[str, Any]]:
    """``[{"value","label","is_primary"}]`` normalised, de-duplicated, with one primary."""
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise ValidationError({field: ["Must be a list of {value, label, is_primary}."]})
    cleaned: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, item in enumerate(value):
        if isinstance(item, str):
            item = {"value": item}
        if not isinstance(item, dict) or not item.get("value"):
            raise ValidationError({field: [f"Item {index} needs a value."]})
        try:
            normalized = normalize(str(item["value"]))
        except ValidationError as error:
            raise ValidationError({field: [f"Item {index}: {error.messages[0]}"]}) from None
        label = item.get("label") or Label.WORK
        if label not in Label.values:
            raise ValidationError(
                {field: [f"Item {index}: label must be one of {', '.join(Label.values)}."]}
            )
        if normalized.lower() in seen:
            continue
        seen.add(normalized.lower())
        cleaned.append(
            {"value": normalized, "label": label, "is_primary": bool(item.get("is_primary"))}
        )
    primaries = [item for item in cleaned if item["is_primary"]]
    if len(primaries) > 1:
        raise ValidationError({field: ["Only one may be primary."]})
    if cleaned and not primaries and require_one_primary:
        cleaned[0]["is_primary"] = True
    return cleaned


def clean_phones(value: Any) -> list[dict[str, Any]]:
    return clean_labelled_values(value, field="phones", normalize=normalize_phone)


def resolve_tags(*, workspace: Workspace, names: Iterable[str] | None) -> list[Tag]:
    """The workspace's tags of these names (case-insensitive), creating the missing ones."""
    wanted: dict[str, str] = {}
    for name in names or []:
        if not isinstance(name, str) or not name.strip():
            raise ValidationError({"tags": ["Tags must be non-empty text."]})
        if len(name.strip()) > 64:
            raise ValidationError({"tags": ["A tag has at most 64 characters."]})
        wanted.setdefault(name.strip().lower(), name.strip())
    if not wanted:
        return []
    existing = {
        tag.name.lower(): tag
        for tag in Tag.objects.for_workspace(workspace)
        .annotate(lname=Lower("name"))
        .filter(lname__in=list(wanted))
    }
    missing = [
        Tag(workspace=workspace, name=name) for key, name in wanted.items() if key not in existing
    ]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {
            tag.name.lower(): tag
            for tag in Tag.objects.for_workspace(workspace)
            .annotate(lname=Lower("name"))
            .filter(lname__in=list(wanted))
        }
    return [existing[key] for key in wanted]


def set_tags(*, instance: models.Model, tags: list[Tag]) -> dict[str, Any] | None:
    """Replace a record's tags; the change for the timeline, or None if nothing changed."""
    before = sorted(tag.name for tag in instance.tags.all())
    after = sorted(tag.name for tag in tags)
    if before == after:
        return None
    instance.tags.set(tags)
    return {"field": "tags", "from": before, "to": after}
