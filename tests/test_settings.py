"""Production settings pass Django's deployment checks; the CSP header carries a nonce."""

from __future__ import annotations

import os
import subprocess
import sys
from urllib.parse import quote

import pytest


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.django_db
def test_check_deploy_passes_without_warnings_in_production():
    # the checks may connect: point them at the test database, which exists
    from django.db import connection

    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER'] or ''}@{quote(db['HOST'] or '', safe='')}"
        f"{':' + str(db['PORT']) if db['PORT'] else ''}/{db['NAME']}",
        "DEBUG": "0",
        "SECRET_KEY": "p" * 20 + "-a-long-random-production-secret-key-9f8e7d6c5b4a",
        "ALLOWED_HOSTS": "crm.example.com",
        "CSRF_TRUSTED_ORIGINS": "https://crm.example.com",
        "EMAIL_URL": "submission://mailer:secret@smtp.example.com:587",
    }
    # the browser tests' async-safety escape hatch must not leak into "production"
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_settings_refuse_to_start_without_secret_key_when_debug_is_off():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env["DEBUG"] = "0"
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.django_db
def test_pages_send_a_content_security_policy_with_a_nonce(client):
    response = client.get("/accounts/login/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in policy
    assert "frame-ancestors 'none'" in policy
