"""Liveness of the database, Redis and the Celery worker, for /healthz."""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import connection
from django.db.utils import Error as DatabaseError
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from redis import Redis, RedisError

logger = logging.getLogger(__name__)


def redis_client() -> Redis:
    return Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)


def worker_heartbeat_loop(stop: threading.Event) -> None:
    """Refresh the heartbeat key until ``stop`` is set; runs in a thread of each worker."""
    client = redis_client()
    ttl = settings.WORKER_HEARTBEAT_SECONDS * 3
    while not stop.is_set():
        try:
            client.set(settings.WORKER_HEARTBEAT_KEY, "1", ex=ttl)
        except RedisError:
            logger.warning("worker heartbeat: Redis unreachable")
        stop.wait(settings.WORKER_HEARTBEAT_SECONDS)


def check_database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        logger.warning("healthz: database unreachable", exc_info=True)
        return False
    return True


def check_redis() -> tuple[bool, bool]:
    """(Redis reachable, a worker heartbeat present)."""
    try:
        client = redis_client()
        client.ping()
        return True, bool(client.exists(settings.WORKER_HEARTBEAT_KEY))
    except RedisError:
        logger.warning("healthz: Redis unreachable", exc_info=True)
        return False, False


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    database_ok = check_database()
    redis_ok, worker_ok = check_redis()
    body = {
        "database": "ok" if database_ok else "down",
        "redis": "ok" if redis_ok else "down",
        "worker": "ok" if worker_ok else "down",
    }
    return JsonResponse(body, status=200 if database_ok and redis_ok else 503)
