"""Tags of a workspace."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from accounts.models import Workspace
from accounts.services.common import clean_color, clean_name, ensure_unique, model_update
from crm.models import Tag
from crm.models.tags import DEFAULT_TAG_COLOR


def _check_name_free(workspace: Workspace, name: str, exclude_id: Any = None) -> str:
    name = clean_name(name, message="Give the tag a name.")
    ensure_unique(
        Tag.objects.for_workspace(workspace),
        field="name",
        message=f"The tag {name!r} exists.",
        exclude_id=exclude_id,
        name__iexact=name,
    )
    return name


@transaction.atomic
def tag_create(*, workspace: Workspace, name: str, color: str = DEFAULT_TAG_COLOR) -> Tag:
    tag = Tag(workspace=workspace, name=_check_name_free(workspace, name), color=clean_color(color))
    tag.full_clean(validate_unique=False, validate_constraints=False)
    tag.save()
    return tag


@transaction.atomic
def tag_update(*, tag: Tag, data: dict[str, Any]) -> Tag:
    data = dict(data)
    if "name" in data:
        data["name"] = _check_name_free(tag.workspace, data["name"], exclude_id=tag.pk)
    if "color" in data:
        data["color"] = clean_color(data["color"])
    tag, _ = model_update(instance=tag, fields=["name", "color"], data=data)
    return tag


@transaction.atomic
def tag_delete(*, tag: Tag) -> None:
    """Remove the tag from every record that has it, then the tag."""
    tag.delete()
