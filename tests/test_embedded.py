"""The embedded PostgreSQL and Redis: started when unset, shared, stopped by the last holder."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _running(var_dir: Path) -> list[str]:
    out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True)
    return [
        line
        for line in out.stdout.splitlines()
        if str(var_dir) in line and ("postgres" in line or "redis" in line)
    ]


def test_embedded_servers_start_serve_and_stop_with_their_last_holder(tmp_path):
    # given no DATABASE_URL / REDIS_URL, and an empty var directory
    var_dir = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["CRM_VAR_DIR"] = str(var_dir)
    probe = textwrap.dedent(
        """
        import os, psycopg, redis
        with psycopg.connect(os.environ["DATABASE_URL"].replace("postgres://", "postgresql://")) as c:
            print("pg", c.execute("select current_database()").fetchone()[0])
        print("redis", redis.Redis.from_url(os.environ["REDIS_URL"]).ping())
        """
    )
    # when a command runs while holding them
    result = subprocess.run(
        [sys.executable, "-m", "crm.embedded", "run", "--", sys.executable, "-c", probe],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    # then it reached both servers, under var/
    assert result.returncode == 0, result.stdout + result.stderr
    assert "pg crm" in result.stdout
    assert "redis True" in result.stdout
    assert (var_dir / "postgres" / "PG_VERSION").exists()
    assert (var_dir / "redis" / "redis.log").exists()
    # and, the only holder having exited, both servers are stopped
    assert _running(var_dir) == []
