"""Bulk updates and deletes of contacts, companies or deals: inline up to 1,000 ids, else a
Celery job. Every record goes through its own service (timeline, validation) one by one."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Workspace
from accounts.services.common import Actor, ConflictError, ServiceError
from crm.models import BulkJob, BulkOperation, JobStatus
from crm.query import compile_query
from crm.registry import subject_kind

INLINE_LIMIT = 1000
CHUNK = 200
MAX_ERRORS_KEPT = 1000

SETTABLE: dict[str, set[str]] = {
    "contact": {"owner", "status", "add_tags", "remove_tags", "custom_fields"},
    "company": {"owner", "relationship", "lifecycle", "add_tags", "remove_tags", "custom_fields"},
    "deal": {"owner", "add_tags", "remove_tags", "custom_fields"},
}


def clean_changes(object_type: str, changes: Any) -> dict[str, Any]:
    if not isinstance(changes, dict) or not changes:
        raise ValidationError({"set": ['Say what to set, e.g. {"owner": null}.']})
    unknown = sorted(set(changes) - SETTABLE[object_type])
    if unknown:
        raise ValidationError(
            {
                "set": [
                    f"Cannot set {', '.join(unknown)}; settable: "
                    f"{', '.join(sorted(SETTABLE[object_type]))}."
                ]
            }
        )
    for key in ("add_tags", "remove_tags"):
        if key in changes and (
            not isinstance(changes[key], list)
            or not all(isinstance(t, str) and t.strip() for t in changes[key])
        ):
            raise ValidationError({f"set.{key}": ["Must be a list of tag names."]})
    if "owner" in changes and changes["owner"] is not None:
        try:
            changes = {**changes, "owner": str(uuid.UUID(str(changes["owner"])))}
        except ValueError:
            raise ValidationError({"set.owner": ["Must be a user id or null."]}) from None
    return changes


def targets(
    *, workspace: Workspace, object_type: str, ids: list[Any] | None, query: Any, user: Any = None
) -> QuerySet:
    """The records named by ``ids`` or matched by ``query``, in this workspace only."""
    model = subject_kind(object_type).model
    queryset = model.objects.for_workspace(workspace)
    if ids is not None:
        try:
            cleaned = [uuid.UUID(str(i)) for i in ids]
        except ValueError:
            raise ValidationError({"ids": ["Ids must be UUIDs."]}) from None
        return queryset.filter(pk__in=cleaned)
    return queryset.filter(
        compile_query(query, object_type=object_type, workspace=workspace, user=user)
    )


def _record_data(record: Any, changes: dict[str, Any]) -> dict[str, Any]:
    data = {k: v for k, v in changes.items() if k not in {"add_tags", "remove_tags"}}
    if "add_tags" in changes or "remove_tags" in changes:
        names = {t.name.lower(): t.name for t in record.tags.all()}
        for name in changes.get("add_tags", []):
            names.setdefault(name.strip().lower(), name.strip())
        for name in changes.get("remove_tags", []):
            names.pop(name.strip().lower(), None)
        data["tags"] = list(names.values())
    return data


def apply(
    *,
    object_type: str,
    operation: str,
    records: Iterable[Any],
    actor: Actor,
    changes: dict[str, Any],
) -> tuple[int, list[dict[str, Any]]]:
    """Update or delete each record in its own savepoint: (succeeded, per-record errors)."""
    kind = subject_kind(object_type)
    done, errors = 0, []
    for record in records:
        try:
            with transaction.atomic():
                if operation == BulkOperation.DELETE:
                    kind.delete(record, actor=actor)
                else:
                    kind.update(record, actor=actor, data=_record_data(record, changes))
            done += 1
        except ConflictError as error:
            errors.append({"id": str(record.pk), "errors": {error.field: [error.message]}})
        except ValidationError as error:
            messages = (
                error.message_dict
                if hasattr(error, "error_dict")
                else {"non_field_errors": error.messages}
            )
            errors.append({"id": str(record.pk), "errors": messages})
        except ServiceError as error:
            errors.append({"id": str(record.pk), "errors": {"non_field_errors": [error.message]}})
    return done, errors


@transaction.atomic
def bulk_job_create(
    *,
    workspace: Workspace,
    actor: Actor,
    object_type: str,
    operation: str,
    ids: list[Any] | None,
    query: Any,
    changes: dict[str, Any],
) -> BulkJob:
    """Queue the job; the task starts once this transaction commits."""
    from crm.tasks import run_bulk_job

    queryset = targets(
        workspace=workspace, object_type=object_type, ids=ids, query=query, user=actor.user
    )
    job = BulkJob.objects.create(
        workspace=workspace,
        object_type=object_type,
        operation=operation,
        ids=[str(i) for i in ids] if ids is not None else None,
        query=query if ids is None else None,
        changes=changes,
        total=queryset.count(),
        created_by=actor.user,
        api_key=actor.api_key,
    )
    run_bulk_job.delay_on_commit(str(job.pk))
    return job


def bulk_job_run(job_id: Any) -> BulkJob:
    """Run (or resume) a job in chunks, in id order, saving progress after each chunk."""
    job = BulkJob.objects.select_related("workspace", "created_by", "api_key").get(pk=job_id)
    if job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED):
        return job
    job.status = JobStatus.RUNNING
    job.started_at = job.started_at or timezone.now()
    job.save(update_fields=["status", "started_at", "updated_at"])
    actor = Actor(user=job.created_by, api_key=job.api_key)
    queryset = targets(
        workspace=job.workspace,
        object_type=job.object_type,
        ids=job.ids,
        query=job.query,
        user=job.created_by,
    ).order_by("pk")
    try:
        while True:
            chunk_query = queryset
            if job.last_id is not None:
                chunk_query = chunk_query.filter(pk__gt=job.last_id)
            chunk = list(chunk_query[:CHUNK])
            if not chunk:
                break
            done, errors = apply(
                object_type=job.object_type,
                operation=job.operation,
                records=chunk,
                actor=actor,
                changes=job.changes,
            )
            job.processed += done + len(errors)
            job.failed += len(errors)
            job.errors = (job.errors + errors)[:MAX_ERRORS_KEPT]
            job.last_id = chunk[-1].pk
            job.save(update_fields=["processed", "failed", "errors", "last_id", "updated_at"])
            job.refresh_from_db(fields=["status"])
            if job.status == JobStatus.CANCELLED:
                return job
    except Exception:
        job.status = JobStatus.FAILED
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "finished_at", "updated_at"])
        raise
    job.status = JobStatus.SUCCEEDED
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "finished_at", "updated_at"])
    return job
