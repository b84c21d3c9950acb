"""The kinds of record that notes, tasks, activities and timeline events can be about.

``crm`` must not import ``pipelines``; ``pipelines`` registers deals here from its
``AppConfig.ready()``, the way models register with the admin site.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models


@dataclass(frozen=True)
class SubjectKind:
    name: str
    model: type[models.Model]
    title_field: str
    url_name: str
    # The record's own services, for generic writes (bulk updates and deletes):
    # update(<record>, actor=, data=) and delete(<record>, actor=).
    update: Callable[..., Any] | None = None
    delete: Callable[..., Any] | None = None


_subjects: dict[str, SubjectKind] = {}


def register_subject(
    name: str,
    *,
    model: type[models.Model],
    title_field: str,
    url_name: str,
    update: Callable[..., Any] | None = None,
    delete: Callable[..., Any] | None = None,
) -> None:
    _subjects[name] = SubjectKind(name, model, title_field, url_name, update, delete)


def subject_kind(name: str) -> SubjectKind:
    try:
        return _subjects[name]
    except KeyError:
        raise LookupError(f"Unknown subject type {name!r}.") from None


def subject_kinds() -> dict[str, SubjectKind]:
    return dict(_subjects)


def subject_type_of(instance: models.Model) -> str:
    for kind in _subjects.values():
        if isinstance(instance, kind.model):
            return kind.name
    raise LookupError(f"{type(instance).__name__} is not a registered subject.")


def get_subject(workspace_id: uuid.UUID, subject_type: str, subject_id: uuid.UUID | str):
    """The subject in this workspace, or ``model.DoesNotExist``."""
    kind = subject_kind(subject_type)
    return kind.model.objects.for_workspace(workspace_id).get(pk=subject_id)


# --- Relations a merge moves ---------------------------------------------------------------


@dataclass(frozen=True)
class Relation:
    """Rows of ``model`` that point at a record through ``field`` (a foreign key).

    A merge points them at the survivor. ``unique_by`` names the other columns that must not
    repeat for one record (a person is on a list once): a row of the merged-away record that
    would repeat one of the survivor's is dropped instead of moved. ``demote`` fields are set
    to False on moved rows (a survivor keeps its own primary email).
    """

    model: type[models.Model]
    field: str
    unique_by: tuple[str, ...] = ()
    demote: tuple[str, ...] = ()


_relations: dict[str, list[Relation]] = {}


def register_relation(subject_type: str, relation: Relation) -> None:
    _relations.setdefault(subject_type, []).append(relation)


def relations_of(subject_type: str) -> list[Relation]:
    return list(_relations.get(subject_type, []))
