"""Celery entry points: load ids, call a service, nothing else."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_bulk_job(job_id: str) -> None:
    from crm.services.bulk import bulk_job_run

    bulk_job_run(job_id)
