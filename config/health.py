"""GET /health/: the database, the broker, and whether Celery workers answer (for load balancers)."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as exc:  # noqa: BLE001 - report, never raise
        return f"error: {exc.__class__.__name__}"


def _broker_and_workers() -> tuple[str, int | None]:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "in-process (no broker configured)", None
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # noqa: BLE001
        return f"error: {exc.__class__.__name__}", None
    try:
        replies = app.control.ping(timeout=1.0) or []
    except Exception:  # noqa: BLE001
        replies = []
    return "ok", len(replies)


@never_cache
def health(request):
    database = _database()
    broker, workers = _broker_and_workers()
    healthy = database == "ok" and not broker.startswith("error") and workers != 0
    body = {
        "status": "ok" if healthy else "degraded",
        "database": database,
        "broker": broker,
        "workers": workers,
    }
    return JsonResponse(body, status=200 if database == "ok" else 503)
