"""A real Celery worker is killed (SIGKILL) in the middle of an import; another worker picks
the job up and finishes it: every row imported exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

from crm.models import Contact, ImportJob, ImportRecord
from crm.services.imports import import_upload
from crm.tasks import run_import
from tests.imports.conftest import upload

ROWS = 6000
CHUNK = 300


def _test_database_url() -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


def _worker(queue: str, media_root) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "MEDIA_ROOT": str(media_root),
        "CRM_IMPORT_CHUNK_ROWS": str(CHUNK),
        "DEBUG": "0",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "crm",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=WARNING",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _server_idle() -> bool:
    """No other connection to the test database is still working."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND state <> 'idle'"
        )
        return cursor.fetchone()[0] == 0


def _wait(condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.django_db(transaction=True)
def test_import_survives_a_killed_worker(workspace, actor, media):
    rows = "".join(f"Person{n},Killed,p{n}@worker.example,+1415{n:07d}\n" for n in range(ROWS))
    content = ("first_name,last_name,email,phone\n" + rows).encode()
    job = import_upload(
        workspace=workspace, actor=actor, object_type="contact", file=upload("k.csv", content)
    )
    job.mapping = {
        "first_name": "first_name",
        "last_name": "last_name",
        "email": "email",
        "phone": "phone",
    }
    job.status = "queued"
    job.save()
    queue = f"killtest-{uuid.uuid4().hex[:8]}"

    first = _worker(queue, media)
    try:
        run_import.apply_async(args=[str(job.pk)], queue=queue)
        assert _wait(lambda: ImportJob.objects.get(pk=job.pk).last_row > 0), (
            "the worker never wrote a chunk"
        )
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    # A COMMIT the worker sent just before it died may still complete on the server.
    assert _wait(_server_idle, timeout=10)
    job.refresh_from_db()
    assert job.status == "running"
    assert 0 < job.last_row < ROWS + 1
    written = Contact.objects.for_workspace(workspace).count()
    assert written == job.created < ROWS  # only whole chunks, and their count, were committed

    # The message was acked late and the worker died: a new worker gets the job again (here
    # sent at once; in production the stalled-job sweeper or Redis redelivery does it).
    second = _worker(queue, media)
    try:
        run_import.apply_async(args=[str(job.pk)], queue=queue)
        assert _wait(lambda: ImportJob.objects.get(pk=job.pk).status == "succeeded", timeout=120)
    finally:
        second.terminate()
        second.wait(timeout=20)
    job.refresh_from_db()
    assert (job.created, job.failed, job.processed_rows) == (ROWS, 0, ROWS)
    assert Contact.objects.for_workspace(workspace).count() == ROWS
    assert ImportRecord.objects.filter(job=job).count() == ROWS
    assert Contact.objects.for_workspace(workspace).filter(phones__is_primary=True).count() == ROWS
