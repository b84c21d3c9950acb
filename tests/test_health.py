"""/healthz: database, Redis and the worker heartbeat."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

from crm.health import redis_client

pytestmark = pytest.mark.django_db


def test_healthz_reports_ok_and_worker_from_heartbeat(client):
    # given a worker heartbeat in Redis
    redis_client().set(settings.WORKER_HEARTBEAT_KEY, "1", ex=30)
    # when
    response = client.get("/healthz")
    # then
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "redis": "ok", "worker": "ok"}


def test_healthz_worker_down_without_heartbeat_is_still_200(client):
    redis_client().delete(settings.WORKER_HEARTBEAT_KEY)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["worker"] == "down"


def test_healthz_503_when_redis_is_unreachable(client, settings):
    # given a Redis URL where nothing listens
    settings.REDIS_URL = "redis://127.0.0.1:9/0"
    # when
    response = client.get("/healthz")
    # then
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "redis": "down", "worker": "down"}


def test_healthz_503_when_the_database_is_unreachable():
    # A separate process whose DATABASE_URL points where nothing listens: the real failure.
    script = (
        "import django; django.setup();"
        "from django.test import Client; r = Client().get('/healthz');"
        "import json; print(r.status_code, json.dumps(r.json()))"
    )
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://postgres@127.0.0.1:9/nowhere",
        "DJANGO_SETTINGS_MODULE": "crm.settings",
        "ALLOWED_HOSTS": "testserver",
        "SECURE_SSL_REDIRECT": "0",
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    status, body = result.stdout.strip().split(" ", 1)
    assert status == "503", result.stderr[-2000:]
    assert json.loads(body)["database"] == "down"
    assert "Traceback" not in result.stdout
