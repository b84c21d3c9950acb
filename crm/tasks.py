"""Celery entry points: load ids, call a service, nothing else."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_bulk_job(job_id: str) -> None:
    from crm.services.bulk import bulk_job_run

    bulk_job_run(job_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_import(job_id: str) -> None:
    from crm.imports.engine import import_run

    import_run(job_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_import_revert(job_id: str) -> None:
    from crm.imports.engine import import_revert_run

    import_revert_run(job_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_merge_job(job_id: str) -> None:
    from crm.services.merges import merge_job_run

    merge_job_run(job_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_merge_job_undo(job_id: str) -> None:
    from crm.services.merges import merge_job_undo_run

    merge_job_undo_run(job_id)


@shared_task(ignore_result=True)
def resume_stalled_jobs() -> None:
    from crm.services.jobs import jobs_resume_stalled

    jobs_resume_stalled()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_export(job_id: str) -> None:
    # The export rebuilds a list page's rows and columns, which live with the pages.
    from crm.web.exports import export_run

    export_run(job_id)
