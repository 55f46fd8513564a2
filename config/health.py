"""Health for operators and load balancers.

- ``GET /health/live/``: this web node can answer (its database answers): what a load balancer
  asks — a node is not taken out because the workers are down, it still takes submissions.
- ``GET /health/``: everything the accreditation needs, 503 as soon as one part is missing —
  the database, the broker, a worker that answers, Celery beat (it stamps the cache every
  minute), private storage that takes a write with free space left — and the numbers an
  operator watches: queue depth, outbox backlog and failures, checks and print batches stuck,
  and whether the broker's Redis evicts keys (503) or keeps an append-only file.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

BEAT_KEY = "presspass:beat:last"
BEAT_STALE_AFTER = 180  # seconds: beat stamps every minute


def beat_stamp() -> None:
    """Called by beat's every-minute task: beat is alive (and so is its broker path)."""
    cache.set(BEAT_KEY, time.time(), timeout=24 * 3600)


def _error(exc: Exception) -> str:
    return f"error: {exc.__class__.__name__}"


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as exc:  # noqa: BLE001 - report, never raise
        return _error(exc)


def broker_workers_queue() -> tuple[str, int | None, int | None]:
    """The broker's state, the workers answering a ping, the queue's depth (health, metrics)."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "in-process (no broker configured)", None, None
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            depth = None
            if getattr(conn.transport, "driver_type", "") == "redis":
                depth = conn.default_channel.client.llen(app.conf.task_default_queue)
    except Exception as exc:  # noqa: BLE001
        return _error(exc), None, None
    try:
        replies = app.control.ping(timeout=1.0) or []
    except Exception:  # noqa: BLE001
        replies = []
    return "ok", len(replies), depth


def broker_durability(url: str) -> dict:
    """What the broker's Redis does when full or restarted: it must refuse writes rather than
    evict (``noeviction``: evicted keys are lost tasks, rate-limit counters and used
    proof-of-work challenges); AOF keeps queued tasks over a restart (the outbox sends lost
    ones again anyway, so it is reported, not required)."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        config = {**client.config_get("maxmemory-policy"), **client.config_get("appendonly")}
    except redis.ResponseError:  # a managed Redis may refuse CONFIG
        return {"eviction": "unknown (CONFIG refused)", "appendonly": "unknown"}
    except Exception as exc:  # noqa: BLE001
        return {"eviction": _error(exc), "appendonly": "unknown"}
    policy = config.get("maxmemory-policy", "unknown")
    return {
        "eviction": "ok" if policy == "noeviction" else f"error: maxmemory-policy {policy}",
        "appendonly": config.get("appendonly", "unknown"),
    }


def _beat() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "not used (no broker)"
    try:
        last = cache.get(BEAT_KEY)
    except Exception as exc:  # noqa: BLE001
        return _error(exc)
    if last is None:
        return "error: never seen"
    age = time.time() - float(last)
    return "ok" if age <= BEAT_STALE_AFTER else f"error: last seen {int(age)} s ago"


def _storage() -> tuple[str, int | None]:
    from accreditation.privacy.storage import private_storage

    storage = private_storage()
    name = f"health/{uuid.uuid4().hex}.txt"
    try:
        stored = storage.save(name, ContentFile(b"ok"))
        storage.delete(stored)
    except Exception as exc:  # noqa: BLE001 - a full or read-only disk, a bucket away
        return _error(exc), None
    free_mb = None
    location = getattr(storage, "location", None)
    if location:
        free_mb = shutil.disk_usage(location).free // 2**20
        if free_mb < settings.PRESSPASS_MIN_FREE_MB:
            return f"error: {free_mb} MB free", free_mb
    return "ok", free_mb


def _backlog() -> dict:
    from accreditation.models import AccreditationRequest, OutboxTask, PrintBatch, Status

    now = timezone.now()
    old = now - dt.timedelta(minutes=5)
    stuck = now - dt.timedelta(minutes=15)
    return {
        "outbox_waiting": OutboxTask.objects.filter(
            completed_at__isnull=True, failed_at__isnull=True, created_at__lt=old
        ).count(),
        "outbox_failed": OutboxTask.objects.filter(
            failed_at__isnull=False, completed_at__isnull=True
        ).count(),
        "checks_stuck": AccreditationRequest.objects.filter(
            status__in=[Status.SUBMITTED, Status.CHECKING], updated_at__lt=stuck
        ).count(),
        "print_batches_stuck": PrintBatch.objects.filter(
            state__in=[PrintBatch.State.QUEUED, PrintBatch.State.RENDERING], created_at__lt=stuck
        ).count(),
    }


@never_cache
def live(request):
    database = _database()
    return JsonResponse({"database": database}, status=200 if database == "ok" else 503)


@never_cache
def health(request):
    database = _database()
    broker, workers, queue = broker_workers_queue()
    beat = _beat()
    storage, free_mb = _storage()
    body = {
        "database": database,
        "broker": broker,
        "workers": workers,
        "beat": beat,
        "storage": storage,
        "storage_free_mb": free_mb,
        "queue_depth": queue,
    }
    if database == "ok":
        body.update(_backlog())
    durability = {}
    if settings.CELERY_BROKER_URL and not broker.startswith("error"):
        durability = broker_durability(settings.CELERY_BROKER_URL)
        body["broker_eviction"] = durability["eviction"]
        body["broker_appendonly"] = durability["appendonly"]
    missing = [
        part
        for part, state in (("database", database), ("broker", broker), ("beat", beat))
        if state.startswith("error")
    ]
    if storage.startswith("error"):
        missing.append("storage")
    if workers == 0:
        missing.append("workers")
    if durability.get("eviction", "").startswith("error"):
        missing.append("broker_eviction")
    body["status"] = "ok" if not missing else "degraded"
    body["missing"] = missing
    return JsonResponse(body, status=200 if not missing else 503)
