"""Merging duplicate contacts or companies, and undoing a merge.

A merge keeps the *primary* record and removes the *secondary*: each field takes the value the
caller picks (or the strategy's: the primary's unless it is empty), multi-valued things are
united (emails, phones, tags, lists, company links, deal roles), and everything that hangs off
the secondary (notes, tasks, activities, timeline, attachments, deals) moves to the primary.
It runs in one transaction with both rows locked, so two merges that touch the same record run
one after the other and the second finds the record gone.

Everything the merge changed is kept in a ``Merge`` row, so that undo can put the secondary back
with its own rows and return the primary's fields to what they were.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from accounts.models import Workspace
from accounts.services.common import Actor, ServiceError
from crm.models import (
    Activity,
    Attachment,
    Company,
    CompanyMembership,
    CompanyPhone,
    Contact,
    ContactEmail,
    ContactPhone,
    JobStatus,
    ListMember,
    Merge,
    MergeJob,
    Note,
    Task,
    TimelineEvent,
    Verb,
)
from crm.registry import Relation, relations_of
from crm.services.timeline import timeline_record

STRATEGIES = ("prefer_primary", "prefer_secondary")
MERGE_FIELDS = {
    "contact": (
        "first_name",
        "last_name",
        "email",
        "job_title",
        "status",
        "source",
        "owner_id",
        "company_id",
        "address",
        "social_profiles",
    ),
    "company": (
        "name",
        "domain",
        "industry",
        "relationship",
        "lifecycle",
        "owner_id",
        "size",
        "annual_revenue",
        "address",
    ),
}
MODELS: dict[str, type[models.Model]] = {"contact": Contact, "company": Company}
SUBJECT_MODELS: tuple[type[models.Model], ...] = (Note, Task, Activity, TimelineEvent, Attachment)


def _own_relations(object_type: str) -> list[Relation]:
    if object_type == "contact":
        return [
            Relation(ContactEmail, "contact", ("value",), ("is_primary",)),
            Relation(ContactPhone, "contact", ("value",), ("is_primary",)),
            Relation(CompanyMembership, "contact", ("company_id",), ("is_primary",)),
            Relation(ListMember, "contact", ("list_id",)),
            Relation(Contact.tags.through, "contact", ("tag_id",)),
            Relation(Activity.participants.through, "contact", ("activity_id",)),
        ]
    return [
        Relation(CompanyPhone, "company", ("value",), ("is_primary",)),
        Relation(CompanyMembership, "company", ("contact_id",)),
        Relation(ListMember, "company", ("list_id",)),
        Relation(Company.tags.through, "company", ("tag_id",)),
        Relation(Contact, "company"),
    ]


def merge_relations(object_type: str) -> list[Relation]:
    """Every kind of row that points at a contact (or company), ours and other apps'."""
    return [*_own_relations(object_type), *relations_of(object_type)]


def _key(relation: Relation) -> str:
    return f"{relation.model._meta.label_lower}.{relation.field}"


# --- rows as JSON, and back -------------------------------------------------------------------


def _columns(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if not f.generated]


def _dump(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return json.loads(json.dumps(rows, cls=DjangoJSONEncoder))


def _rows(queryset: models.QuerySet) -> list[dict[str, Any]]:
    model = queryset.model
    return _dump(list(queryset.values(*(f.attname for f in _columns(model)))))


def _load(model: type[models.Model], row: dict[str, Any]) -> dict[str, Any]:
    """A dumped row's values as the model's Python values, by attname."""
    values = {}
    for field in _columns(model):
        if field.attname not in row:
            continue
        raw = row[field.attname]
        target = field.target_field if field.is_relation else field
        values[field.attname] = None if raw is None else target.to_python(raw)
    return values


# --- merge ------------------------------------------------------------------------------------


def _lock_pair(workspace: Workspace, object_type: str, primary_id: Any, secondary_id: Any):
    model = MODELS[object_type]
    rows = {
        str(r.pk): r
        for r in model.objects.for_workspace(workspace)
        .filter(pk__in=[primary_id, secondary_id])
        .order_by("pk")
        .select_for_update()
    }
    primary, secondary = rows.get(str(primary_id)), rows.get(str(secondary_id))
    if primary is None or secondary is None:
        gone = "primary" if primary is None else "secondary"
        raise MergeConflict(f"The {gone} {object_type} no longer exists (merged or deleted).")
    return primary, secondary


class MergeConflict(ServiceError):
    code = 409


def _choose(
    object_type: str,
    primary: models.Model,
    secondary: models.Model,
    strategy: str,
    fields: dict[str, str],
) -> dict[str, Any]:
    """The survivor's new values: the field → side the caller gave, else the strategy's
    (the preferred side's value unless it is empty)."""
    chosen = {}
    for attname in MERGE_FIELDS[object_type]:
        name = attname.removesuffix("_id")
        ours, theirs = getattr(primary, attname), getattr(secondary, attname)
        side = fields.get(name)
        if side is None:
            first, second = (ours, theirs) if strategy == "prefer_primary" else (theirs, ours)
            value = first if first not in (None, "", {}, []) else second
        else:
            value = ours if side == "primary" else theirs
        if value != ours:
            chosen[attname] = value
    theirs_custom = secondary.custom_fields or {}
    ours_custom = primary.custom_fields or {}
    custom = (
        {**theirs_custom, **ours_custom}
        if strategy == "prefer_primary"
        else {**ours_custom, **theirs_custom}
    )
    for key in set(ours_custom) | set(theirs_custom):
        side = fields.get(f"custom_fields.{key}")
        if side is not None:
            source = ours_custom if side == "primary" else theirs_custom
            if key in source:
                custom[key] = source[key]
            else:
                custom.pop(key, None)
    if custom != ours_custom:
        chosen["custom_fields"] = custom
    return chosen


def _clean_fields(object_type: str, fields: Any) -> dict[str, str]:
    if fields in (None, ""):
        return {}
    if not isinstance(fields, dict):
        raise ValidationError({"fields": ["Must be an object of field → primary|secondary."]})
    allowed = {a.removesuffix("_id") for a in MERGE_FIELDS[object_type]}
    errors = []
    for name, side in fields.items():
        if side not in ("primary", "secondary"):
            errors.append(f"{name}: must be primary or secondary.")
        elif name not in allowed and not str(name).startswith("custom_fields."):
            errors.append(f"{name}: not a field that merges pick.")
    if errors:
        raise ValidationError({"fields": errors})
    return dict(fields)


@transaction.atomic
def record_merge(
    *,
    workspace: Workspace,
    actor: Actor,
    object_type: str,
    primary_id: Any,
    secondary_id: Any,
    strategy: str = "prefer_primary",
    fields: Any = None,
    job: Any = None,
) -> tuple[models.Model, Merge]:
    """Merge ``secondary`` into ``primary`` (see the module's docstring)."""
    if object_type not in MODELS:
        raise ValidationError({"object_type": ["Must be contact or company."]})
    if strategy not in STRATEGIES:
        raise ValidationError({"merge_strategy": [f"Must be one of: {', '.join(STRATEGIES)}."]})
    if str(primary_id) == str(secondary_id):
        raise ServiceError("A record cannot be merged into itself.")
    fields = _clean_fields(object_type, fields)
    primary, secondary = _lock_pair(workspace, object_type, primary_id, secondary_id)
    model = MODELS[object_type]
    relations = merge_relations(object_type)

    snapshot: dict[str, Any] = {"record": _rows(model.objects.filter(pk=secondary.pk))[0]}
    before: dict[str, Any] = {"record": _rows(model.objects.filter(pk=primary.pk))[0]}
    for relation in relations:
        mine = relation.model.objects.filter(**{relation.field: secondary.pk})
        snapshot[_key(relation)] = _rows(mine)
    chosen = _choose(object_type, primary, secondary, strategy, fields)

    # Rows of the secondary move unless the primary has the same one already.
    for relation in relations:
        _move(relation, primary.pk, secondary.pk)
    moved: dict[str, list[str]] = {}
    for subject_model in SUBJECT_MODELS:
        rows = subject_model.objects.for_workspace(workspace).filter(
            subject_type=object_type, subject_id=secondary.pk
        )
        ids = [str(pk) for pk in rows.values_list("pk", flat=True)]
        if ids:
            rows.update(subject_id=primary.pk)
            moved[subject_model._meta.label_lower] = ids

    name, secondary_pk = _display(secondary), secondary.pk
    secondary.delete()  # what was not moved (a repeat of the primary's) goes with it
    if chosen:
        for attname, value in chosen.items():
            setattr(primary, attname, value)
        primary.updated_at = timezone.now()
        primary.save(update_fields=[*chosen, "updated_at"])
    if object_type == "contact" and "company_id" in chosen:
        _sync_primary_membership(primary)
    merge = Merge.objects.create(
        workspace=workspace,
        object_type=object_type,
        primary_id=primary.pk,
        secondary_id=secondary_pk,
        secondary_name=name[:300],
        strategy=strategy,
        fields=fields,
        snapshot=snapshot,
        primary_before=before,
        moved=moved,
        job=job,
        created_by=actor.user,
    )
    timeline_record(
        workspace=workspace,
        subject_type=object_type,
        subject_id=primary.pk,
        verb=Verb.MERGED,
        actor=actor,
        changes=[
            {
                "field": a.removesuffix("_id"),
                "from": _plain(before["record"].get(a)),
                "to": _plain(v),
            }
            for a, v in chosen.items()
            if a != "custom_fields"
        ],
        data={"merge_id": str(merge.pk), "merged_id": str(secondary_pk), "name": name},
    )
    primary.refresh_from_db()
    return primary, merge


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _display(record: models.Model) -> str:
    if isinstance(record, Contact):
        return record.display_name or str(record.pk)
    return getattr(record, "name", "") or str(record.pk)


def _move(relation: Relation, primary_id: Any, secondary_id: Any) -> None:
    model, field = relation.model, relation.field
    theirs = model.objects.filter(**{field: secondary_id})
    if not relation.unique_by:
        theirs.update(**{field: primary_id})
        return
    taken = {
        _norm(values)
        for values in model.objects.filter(**{field: primary_id}).values_list(*relation.unique_by)
    }
    movable = [
        pk
        for pk, *values in theirs.values_list("pk", *relation.unique_by)
        if _norm(tuple(values)) not in taken
    ]
    changes: dict[str, Any] = {field: primary_id}
    for flag in relation.demote:
        changes[flag] = False
    model.objects.filter(pk__in=movable).update(**changes)


def _norm(values: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(v.lower() if isinstance(v, str) else v for v in values)


def _sync_primary_membership(contact: Contact) -> None:
    """The primary company changed in the merge: its membership becomes the primary one."""
    memberships = CompanyMembership.objects.filter(contact=contact)
    memberships.filter(is_primary=True).exclude(company_id=contact.company_id).update(
        is_primary=False
    )
    if contact.company_id:
        updated = memberships.filter(company_id=contact.company_id).update(is_primary=True)
        if not updated:
            CompanyMembership.objects.create(
                workspace=contact.workspace,
                contact=contact,
                company_id=contact.company_id,
                is_primary=True,
            )


# --- undo -------------------------------------------------------------------------------------


@transaction.atomic
def merge_undo(*, merge: Merge, actor: Actor) -> models.Model:
    """Put the merged-away record back with its own rows, and the survivor's fields as they
    were before the merge. Returns the restored record."""
    merge = Merge.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at is not None:
        raise MergeConflict("This merge has already been undone.")
    model = MODELS[merge.object_type]
    workspace = merge.workspace
    primary = (
        model.objects.for_workspace(workspace)
        .select_for_update()
        .filter(pk=merge.primary_id)
        .first()
    )
    if primary is None:
        raise MergeConflict("The record it was merged into no longer exists.")
    if model.objects.filter(pk=merge.secondary_id).exists():
        raise MergeConflict("The merged record exists again.")
    try:
        with transaction.atomic():
            _restore(merge, model, primary)
    except IntegrityError as error:
        raise MergeConflict(
            "The merge cannot be undone: records it touched have changed since "
            f"({error.__cause__ or error})."
        ) from None
    TimelineEvent.objects.filter(
        workspace=workspace, verb=Verb.MERGED, data__merge_id=str(merge.pk)
    ).delete()
    merge.undone_at = timezone.now()
    merge.save(update_fields=["undone_at", "updated_at"])
    return model.objects.get(pk=merge.secondary_id)


def _restore(merge: Merge, model: type[models.Model], primary: models.Model) -> None:
    # The survivor's own fields first: that frees its unique email/domain if the merge took
    # the secondary's.
    before = _load(model, merge.primary_before["record"])
    fields = [a for a in MERGE_FIELDS[merge.object_type] if a in before] + ["custom_fields"]
    model.objects.filter(pk=primary.pk).update(**{a: before[a] for a in fields if a in before})
    secondary = model(**_load(model, merge.snapshot["record"]))
    secondary.save(force_insert=True)
    for relation in merge_relations(merge.object_type):
        for row in merge.snapshot.get(_key(relation), []):
            values = _load(relation.model, row)
            pk = values.pop(relation.model._meta.pk.attname)
            if not relation.model.objects.filter(pk=pk).update(**values):
                relation.model.objects.create(pk=pk, **values)
    for label, ids in merge.moved.items():
        subject_model = next(m for m in SUBJECT_MODELS if m._meta.label_lower == label)
        subject_model.objects.filter(pk__in=ids).update(subject_id=merge.secondary_id)
    if merge.object_type == "contact":
        _sync_primary_membership(model.objects.get(pk=primary.pk))


# --- many pairs as a job ----------------------------------------------------------------------

MAX_PAIRS = 10_000


def _clean_pairs(pairs: Any) -> list[dict[str, str]]:
    if not isinstance(pairs, list) or not pairs:
        raise ValidationError({"pairs": ["Give a list of {primary_id, secondary_id}."]})
    if len(pairs) > MAX_PAIRS:
        raise ValidationError({"pairs": [f"At most {MAX_PAIRS:,} pairs per job."]})
    cleaned, errors = [], []
    for index, pair in enumerate(pairs):
        try:
            primary = str(uuid.UUID(str(pair["primary_id"])))
            secondary = str(uuid.UUID(str(pair["secondary_id"])))
        except (KeyError, TypeError, ValueError):
            errors.append(f"{index}: needs primary_id and secondary_id as UUIDs.")
            continue
        if primary == secondary:
            raise ServiceError(f"Pair {index}: a record cannot be merged into itself.")
        cleaned.append({"primary_id": primary, "secondary_id": secondary})
    if errors:
        raise ValidationError({"pairs": errors})
    return cleaned


def merge_job_create(
    *,
    workspace: Workspace,
    actor: Actor,
    object_type: str,
    pairs: Any,
    dry_run: bool = False,
) -> MergeJob:
    """Queue the merge of many pairs (it starts once this transaction commits)."""
    from crm.tasks import run_merge_job

    if object_type not in MODELS:
        raise ValidationError({"object_type": ["Must be contact or company."]})
    cleaned = _clean_pairs(pairs)
    job = MergeJob.objects.create(
        workspace=workspace,
        object_type=object_type,
        pairs=cleaned,
        dry_run=bool(dry_run),
        total=len(cleaned),
        created_by=actor.user,
        api_key=actor.api_key,
    )
    run_merge_job.delay_on_commit(str(job.pk))
    return job


def merge_job_run(job_id: Any) -> MergeJob:
    """Merge the job's pairs in order, each in its own transaction together with the job's
    progress, so that a restarted worker goes on from the first pair not yet done."""
    job = MergeJob.objects.select_related("workspace", "created_by", "api_key").get(pk=job_id)
    if job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED):
        return job
    MergeJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, started_at=job.started_at or timezone.now()
    )
    actor = Actor(user=job.created_by, api_key=job.api_key)
    model = MODELS[job.object_type]
    while True:
        with transaction.atomic():
            job = MergeJob.objects.select_for_update().get(pk=job.pk)
            if job.processed >= job.total:
                break
            pair = job.pairs[job.processed]
            error = None
            if job.dry_run:
                found = model.objects.for_workspace(job.workspace_id).filter(
                    pk__in=[pair["primary_id"], pair["secondary_id"]]
                )
                if found.count() != 2:
                    error = "One of the records does not exist."
            else:
                try:
                    with transaction.atomic():
                        record_merge(
                            workspace=job.workspace,
                            actor=actor,
                            object_type=job.object_type,
                            primary_id=pair["primary_id"],
                            secondary_id=pair["secondary_id"],
                            job=job,
                        )
                except (ServiceError, ValidationError) as failure:
                    error = getattr(failure, "message", None) or "; ".join(failure.messages)
            job.processed += 1
            if error:
                job.failed += 1
                job.errors = [*job.errors, {"index": job.processed - 1, "error": error}][:1000]
            job.save(update_fields=["processed", "failed", "errors", "updated_at"])
    MergeJob.objects.filter(pk=job.pk).update(
        status=JobStatus.SUCCEEDED, finished_at=timezone.now()
    )
    job.refresh_from_db()
    return job


def merge_job_undo(*, job: MergeJob, actor: Actor) -> MergeJob:
    """Queue the undo of every merge the job made, newest first."""
    from crm.tasks import run_merge_job_undo

    with transaction.atomic():
        job = MergeJob.objects.select_for_update().get(pk=job.pk)
        if job.status != JobStatus.SUCCEEDED or job.dry_run:
            raise MergeConflict("Only a finished merge job (not a dry run) can be undone.")
        if job.undo_status:
            raise MergeConflict("This merge job has already been undone.")
        job.undo_status = JobStatus.QUEUED
        job.save(update_fields=["undo_status", "updated_at"])
        run_merge_job_undo.delay_on_commit(str(job.pk))
    return job


def merge_job_undo_run(job_id: Any) -> MergeJob:
    job = MergeJob.objects.get(pk=job_id)
    MergeJob.objects.filter(pk=job.pk).update(undo_status=JobStatus.RUNNING)
    actor = Actor(user=job.created_by, api_key=job.api_key)
    for merge in job.merges.filter(undone_at__isnull=True).order_by("-created_at"):
        try:
            merge_undo(merge=merge, actor=actor)
        except MergeConflict as error:
            MergeJob.objects.filter(pk=job.pk).update(
                errors=[*job.errors, {"merge_id": str(merge.pk), "error": error.message}]
            )
    MergeJob.objects.filter(pk=job.pk).update(undo_status=JobStatus.SUCCEEDED)
    job.refresh_from_db()
    return job
