"""The sweeper hands jobs that lost their worker (or whose message never reached Redis) to a
worker again, and leaves alone the ones still moving or held by a live worker."""

from __future__ import annotations

import datetime

from django.utils import timezone

from crm.imports.engine import job_lock
from crm.models import ImportJob, MergeJob
from crm.services import jobs
from crm.services.imports import import_upload
from tests.imports.conftest import upload


def _job(workspace, actor, **fields):
    job = import_upload(
        workspace=workspace, actor=actor, object_type="contact", file=upload("contacts_nimble.csv")
    )
    ImportJob.objects.filter(pk=job.pk).update(**fields)
    return job


def test_stalled_jobs_are_enqueued_again(workspace, actor, monkeypatch):
    sent = []
    monkeypatch.setattr(
        "crm.tasks.run_import.delay", lambda job_id: sent.append(("import", job_id))
    )
    monkeypatch.setattr(
        "crm.tasks.run_import_revert.delay", lambda job_id: sent.append(("revert", job_id))
    )
    monkeypatch.setattr(
        "crm.tasks.run_merge_job.delay", lambda job_id: sent.append(("merge", job_id))
    )
    old = timezone.now() - datetime.timedelta(minutes=10)
    stalled = _job(workspace, actor, status="running", updated_at=old)
    lost_message = _job(workspace, actor, status="queued", updated_at=old)
    reverting = _job(workspace, actor, status="succeeded", revert_status="running", updated_at=old)
    _job(workspace, actor, status="running", updated_at=timezone.now())  # still moving
    _job(workspace, actor, status="draft", updated_at=old)  # never started
    _job(workspace, actor, status="succeeded", updated_at=old)  # done
    merge = MergeJob.objects.create(
        workspace=workspace, object_type="contact", status="queued", total=1
    )
    MergeJob.objects.filter(pk=merge.pk).update(updated_at=old)

    resumed = jobs.jobs_resume_stalled()

    assert sorted(sent) == sorted(
        [
            ("import", str(stalled.pk)),
            ("import", str(lost_message.pk)),
            ("revert", str(reverting.pk)),
            ("merge", str(merge.pk)),
        ]
    )
    assert len(resumed) == 4


def test_a_job_whose_worker_holds_the_lock_is_left_alone(workspace, actor, monkeypatch):
    sent = []
    monkeypatch.setattr("crm.tasks.run_import.delay", lambda job_id: sent.append(job_id))
    job = _job(
        workspace,
        actor,
        status="running",
        updated_at=timezone.now() - datetime.timedelta(minutes=10),
    )
    monkeypatch.setattr(jobs, "_free", lambda job_id: False)  # a live worker holds it
    assert jobs.jobs_resume_stalled() == []
    monkeypatch.undo()
    monkeypatch.setattr("crm.tasks.run_import.delay", lambda job_id: sent.append(job_id))
    with job_lock(job.pk) as got:
        assert got
    assert jobs.jobs_resume_stalled() == [str(job.pk)]
    assert sent == [str(job.pk)]
