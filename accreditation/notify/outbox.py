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
    """Record a task in the current transaction; it is sent once the transaction commits.

    The rows written under the same savepoints are sent together by a single on-commit callback
    that carries them, so dispatching costs no read and one update for all of them. A savepoint
    rolled back drops its callback (Django) together with its rows, so a callback only ever
    holds rows that were committed."""
    row = OutboxTask.objects.create(task_name=task_name, kwargs=kwargs)
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        _dispatch([row])
        return row
    current = set(connection.savepoint_ids)
    for savepoints, callback, _robust in connection.run_on_commit:
        batch = getattr(callback, "presspass_outbox", None)
        if batch is not None and set(savepoints) == current:
            batch.append(row)
            return row
    batch = [row]

    def flush() -> None:
        _dispatch(batch)

    flush.presspass_outbox = batch
    transaction.on_commit(flush)
    return row


def dispatch_many(ids: list[int]) -> int:
    """Send the given rows that are still pending."""
    rows = list(OutboxTask.objects.filter(pk__in=ids, dispatched_at__isnull=True).order_by("pk"))
    return _dispatch(rows)


def _dispatch(rows: list[OutboxTask]) -> int:
    """Publish the rows' tasks; mark the published ones, keep the others for dispatch_pending."""
    if not rows:
        return 0
    if current_app.conf.task_always_eager:  # no broker: the tasks run here, one by one
        return _dispatch_each(rows)
    try:
        # One Redis round trip for all of them (kombu's publish batch: a pipeline).
        with current_app.producer_or_acquire() as producer, producer.batch():
            for row in rows:
                current_app.tasks[row.task_name].apply_async(
                    kwargs={**row.kwargs, "outbox_id": row.pk}, retry=False, producer=producer
                )
    except Exception as exc:  # broker down: keep the rows for a later dispatch
        log.warning("Outbox tasks %s not dispatched: %s", [row.pk for row in rows], exc)
        _failed([(row.pk, str(exc)[:2000]) for row in rows])
        return 0
    _sent([row.pk for row in rows])
    return len(rows)


def _dispatch_each(rows: list[OutboxTask]) -> int:
    sent, failed = [], []
    for row in rows:
        try:
            current_app.tasks[row.task_name].apply_async(
                kwargs={**row.kwargs, "outbox_id": row.pk}, retry=False
            )
            sent.append(row.pk)
        except Exception as exc:
            log.warning("Outbox task %s not dispatched: %s", row.pk, exc)
            failed.append((row.pk, str(exc)[:2000]))
    _sent(sent)
    _failed(failed)
    return len(sent)


def _sent(ids: list[int]) -> None:
    if ids:
        OutboxTask.objects.filter(pk__in=ids, dispatched_at__isnull=True).update(
            dispatched_at=timezone.now(), attempts=F("attempts") + 1
        )


def _failed(failures: list[tuple[int, str]]) -> None:
    for pk, error in failures:
        OutboxTask.objects.filter(pk=pk).update(attempts=F("attempts") + 1, last_error=error)


def dispatch_pending(*, older_than: timedelta = timedelta(seconds=0), limit: int = 500) -> int:
    cutoff = timezone.now() - older_than
    ids = list(
        OutboxTask.objects.filter(dispatched_at__isnull=True, created_at__lte=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    return dispatch_many(ids)


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
