"""Transactional outbox: tasks are recorded with the data that triggers them, dispatched after commit.

`enqueue()` writes a row inside the caller's transaction and asks for dispatch once the
transaction commits. If the broker cannot be reached then, the row stays pending and
`dispatch_pending()` (run by Celery beat and by `manage.py drain_outbox`) sends it later.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import current_app
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accreditation.models import OutboxTask

log = logging.getLogger(__name__)


def enqueue(task_name: str, **kwargs) -> OutboxTask:
    row = OutboxTask.objects.create(task_name=task_name, kwargs=kwargs)
    transaction.on_commit(lambda: dispatch(row.pk))
    return row


def dispatch(outbox_id: int) -> bool:
    """Send one pending row to the broker (or run it in-process when there is no broker)."""
    row = OutboxTask.objects.filter(pk=outbox_id, dispatched_at__isnull=True).first()
    if row is None:
        return False
    OutboxTask.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
    try:
        task = current_app.tasks[row.task_name]
        task.apply_async(kwargs={**row.kwargs, "outbox_id": row.pk}, retry=False)
    except Exception as exc:  # broker down, unknown task: keep the row for a later dispatch
        log.warning("Outbox task %s not dispatched: %s", row.pk, exc)
        OutboxTask.objects.filter(pk=row.pk).update(last_error=str(exc)[:2000])
        return False
    OutboxTask.objects.filter(pk=row.pk, dispatched_at__isnull=True).update(
        dispatched_at=timezone.now()
    )
    return True


def dispatch_pending(*, older_than: timedelta = timedelta(seconds=0), limit: int = 500) -> int:
    cutoff = timezone.now() - older_than
    ids = list(
        OutboxTask.objects.filter(dispatched_at__isnull=True, created_at__lte=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for pk in ids if dispatch(pk))


def claim(outbox_id: int | None) -> bool:
    """Mark an outbox row done; False if another run already did it (makes tasks idempotent)."""
    if outbox_id is None:
        return True
    return bool(
        OutboxTask.objects.filter(pk=outbox_id, completed_at__isnull=True).update(
            completed_at=timezone.now()
        )
    )


def unclaim(outbox_id: int | None) -> None:
    if outbox_id is not None:
        OutboxTask.objects.filter(pk=outbox_id).update(completed_at=None)
