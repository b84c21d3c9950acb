"""Background exports of a list: the job row's life (the rows themselves are written by
``crm.web.exports``, which knows how each list shows its records)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.utils import timezone

from accounts.models import Workspace
from accounts.services.common import Actor
from crm.models import ExportFormat, ExportJob, JobStatus, SubjectType


def export_job_create(
    *,
    workspace: Workspace,
    actor: Actor,
    object_type: str,
    file_format: str,
    params: str,
    columns: list[str],
    total: int,
) -> ExportJob:
    """Queue an export (it starts once this transaction commits)."""
    from crm.tasks import run_export

    if object_type not in SubjectType.values:
        raise ValidationError({"object_type": ["Must be contact, company or deal."]})
    if file_format not in ExportFormat.values:
        raise ValidationError({"format": [f"Must be one of: {', '.join(ExportFormat.values)}."]})
    job = ExportJob.objects.create(
        workspace=workspace,
        object_type=object_type,
        format=file_format,
        params=params,
        columns=columns,
        total=total,
        created_by=actor.user,
    )
    run_export.delay_on_commit(str(job.pk))
    return job


def export_job_progress(*, job: ExportJob, done: int) -> None:
    ExportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, processed=done, updated_at=timezone.now()
    )


def export_job_finish(*, job: ExportJob, content: Any, filename: str) -> ExportJob:
    """Store the written file and mark the job done."""
    job.file.save(filename, File(content), save=False)
    job.filename = filename
    job.status = JobStatus.SUCCEEDED
    job.processed = job.total
    job.finished_at = timezone.now()
    job.save(update_fields=["file", "filename", "status", "processed", "finished_at", "updated_at"])
    return job
