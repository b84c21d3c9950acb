"""Jobs whose worker died: found and handed to a worker again.

Every job keeps its state (and resume point) in its own row, and takes a PostgreSQL advisory
lock while it runs. A job still marked queued or running whose row has not moved for a while,
and whose lock nobody holds, lost its worker (killed, or its message lost when Redis was
down): the sweeper enqueues it again, and it resumes where its last committed chunk ended.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q
from django.utils import timezone

from crm.imports.engine import job_lock
from crm.models import BulkJob, ImportJob, ImportStatus, JobStatus, MergeJob

STALLED_AFTER = datetime.timedelta(minutes=2)
ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)


def _free(job_id: Any) -> bool:
    """Nobody runs the job now (its advisory lock is free)."""
    with job_lock(job_id) as got:
        return got


def jobs_resume_stalled(*, stalled_after: datetime.timedelta = STALLED_AFTER) -> list[str]:
    """Enqueue again every job that lost its worker; returns their ids."""
    from crm.tasks import (
        run_bulk_job,
        run_import,
        run_import_revert,
        run_merge_job,
        run_merge_job_undo,
    )

    before = timezone.now() - stalled_after
    resumed: list[str] = []
    imports = ImportJob.objects.filter(updated_at__lt=before).filter(
        Q(status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING]) | Q(revert_status__in=ACTIVE)
    )
    for job in imports:
        if not _free(job.pk):
            continue
        if job.status in (ImportStatus.QUEUED, ImportStatus.RUNNING):
            run_import.delay(str(job.pk))
        else:
            run_import_revert.delay(str(job.pk))
        resumed.append(str(job.pk))
    for job in MergeJob.objects.filter(updated_at__lt=before).filter(
        Q(status__in=ACTIVE) | Q(undo_status__in=ACTIVE)
    ):
        if job.status in ACTIVE:
            run_merge_job.delay(str(job.pk))
        else:
            run_merge_job_undo.delay(str(job.pk))
        resumed.append(str(job.pk))
    for job in BulkJob.objects.filter(updated_at__lt=before, status__in=ACTIVE):
        run_bulk_job.delay(str(job.pk))
        resumed.append(str(job.pk))
    return resumed
