"""The Celery application (``celery -A crm worker``)."""

from __future__ import annotations

import os
import threading

from celery import Celery
from celery.signals import worker_ready, worker_shutdown

from crm.embedded import bootstrap

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
bootstrap()

app = Celery("crm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

_stop_heartbeat = threading.Event()


@worker_ready.connect
def _start_heartbeat(**_: object) -> None:
    from crm.health import worker_heartbeat_loop

    thread = threading.Thread(
        target=worker_heartbeat_loop, args=(_stop_heartbeat,), daemon=True, name="heartbeat"
    )
    thread.start()


@worker_shutdown.connect
def _stop(**_: object) -> None:
    _stop_heartbeat.set()
