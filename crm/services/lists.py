"""Static lists of contacts or companies."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Workspace
from accounts.services.common import clean_name, ensure_unique, model_update
from crm.models import Company, Contact, List, ListMember, ListObjectType

MAX_MEMBERS_PER_CALL = 1000


def _check_name_free(workspace: Workspace, name: str, exclude_id: Any = None) -> str:
    name = clean_name(name, message="Give the list a name.")
    ensure_unique(
        List.objects.for_workspace(workspace),
        field="name",
        message=f"A list named {name!r} exists.",
        exclude_id=exclude_id,
        name=name,
    )
    return name


@transaction.atomic
def list_create(*, workspace: Workspace, name: str, object_type: str) -> List:
    if object_type not in ListObjectType.values:
        raise ValidationError({"object_type": ["Must be contact or company."]})
    return List.objects.create(
        workspace=workspace, name=_check_name_free(workspace, name), object_type=object_type
    )


@transaction.atomic
def list_update(*, list_: List, data: dict[str, Any]) -> List:
    data = dict(data)
    if "name" in data:
        data["name"] = _check_name_free(list_.workspace, data["name"], exclude_id=list_.pk)
    list_, _ = model_update(instance=list_, fields=["name"], data=data)
    return list_


@transaction.atomic
def list_delete(*, list_: List) -> None:
    list_.delete()


def _members(list_: List, ids: list[Any]) -> list[Any]:
    ids = list(dict.fromkeys(str(i) for i in ids or []))
    if not ids:
        raise ValidationError({"ids": ["Give at least one id."]})
    if len(ids) > MAX_MEMBERS_PER_CALL:
        raise ValidationError({"ids": [f"At most {MAX_MEMBERS_PER_CALL} ids per call."]})
    model = Contact if list_.object_type == ListObjectType.CONTACT else Company
    try:
        found = list(
            model.objects.for_workspace(list_.workspace_id)
            .filter(pk__in=ids)
            .values_list("pk", flat=True)
        )
    except (ValueError, ValidationError):
        raise ValidationError({"ids": ["Ids must be UUIDs."]}) from None
    if len(found) != len(ids):
        missing = sorted(set(ids) - {str(pk) for pk in found})
        raise ValidationError({"ids": [f"Unknown {list_.object_type} ids: {', '.join(missing)}."]})
    return found


@transaction.atomic
def list_members_add(*, list_: List, ids: list[Any]) -> int:
    """Add records to a list; returns how many were not on it before."""
    found = _members(list_, ids)
    column = "contact_id" if list_.object_type == ListObjectType.CONTACT else "company_id"
    present = set(
        ListMember.objects.filter(list=list_, **{f"{column}__in": found}).values_list(
            column, flat=True
        )
    )
    new = [
        ListMember(workspace_id=list_.workspace_id, list=list_, **{column: pk})
        for pk in found
        if pk not in present
    ]
    ListMember.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


@transaction.atomic
def list_members_remove(*, list_: List, ids: list[Any]) -> int:
    found = _members(list_, ids)
    column = "contact_id" if list_.object_type == ListObjectType.CONTACT else "company_id"
    deleted, _ = ListMember.objects.filter(list=list_, **{f"{column}__in": found}).delete()
    return deleted
