"""Transactional outbox: tasks are recorded with the data that triggers them, dispatched after commit.

`enqueue()` writes a row inside the caller's transaction and asks for dispatch once the
transaction commits. If the broker cannot be reached then, the row stays pending and
`dispatch_pending()` (run by Celery beat and by `manage.py drain_outbox`) sends it later.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from functools import partial

from celery import current_app
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accreditation.models import OutboxTask
from config.logs import security_event

log = logging.getLogger(__name__)


_waiting = threading.local()  # ids of the rows this thread wrote, oldest first, not sent yet


def enqueue(task_name: str, **kwargs) -> OutboxTask:
    """Record a task in the current transaction; it is sent once the transaction commits.

    Every row asks for its dispatch on commit (Django's public ``on_commit``). The first of a
    transaction's callbacks to run sends its row and every row this thread wrote after it
    (the rest of the same transaction) with one read and one publish; the transaction's other
    callbacks find their rows sent. Rows written before it belong to transactions or
    savepoints that were rolled back (their callbacks never run): they are dropped, and the
    read leaves out rows of a rolled-back savepoint within the transaction."""
    row = OutboxTask.objects.create(task_name=task_name, kwargs=kwargs)
    if not hasattr(_waiting, "ids"):
        _waiting.ids = []
    _waiting.ids.append(row.pk)
    transaction.on_commit(partial(_flush, row.pk))  # outside a transaction: runs now
    return row


def _flush(pk: int) -> None:
    ids = getattr(_waiting, "ids", [])
    if pk not in ids:  # sent with an earlier row of its transaction
        return
    # The last time this id was written (SQLite may give a rolled-back row's id again).
    batch = ids[len(ids) - 1 - ids[::-1].index(pk) :]
    _waiting.ids = []  # a task run here (no broker) starts its own list
    dispatch_many(batch)


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


# --- Running the work ------------------------------------------------------------------------
# A task acts only on work recorded here (a row of its own name, not done, not given up): a
# message put on the broker by anyone else does nothing. The row counts the runs that started
# it (a task that kills its worker is redelivered: it stops after its cap), and is marked done
# only once the work is done (at-least-once: an e-mail carries a Message-ID made from the row,
# so a second delivery can be recognised).


def start(outbox_id, task_name: str, *, max_runs: int) -> bool:
    """Whether this delivery of ``task_name`` may do the work of row ``outbox_id``."""
    if not isinstance(outbox_id, int) or isinstance(outbox_id, bool):
        security_event("task.unrecorded", task=task_name, outcome="ignored")
        return False
    started = OutboxTask.objects.filter(
        pk=outbox_id, task_name=task_name, completed_at__isnull=True, failed_at__isnull=True
    ).update(runs=F("runs") + 1, started_at=timezone.now())
    if not started:
        if not OutboxTask.objects.filter(pk=outbox_id, task_name=task_name).exists():
            security_event("task.unrecorded", task=task_name, outcome="ignored")
        return False  # done already (a redelivery), or given up
    runs = OutboxTask.objects.values_list("runs", flat=True).get(pk=outbox_id)
    if runs > max_runs:
        give_up(outbox_id, f"Stopped after {max_runs} runs that never finished.")
        return False
    return True


def finish(outbox_id: int) -> None:
    OutboxTask.objects.filter(pk=outbox_id).update(completed_at=timezone.now(), last_error="")


def failed_once(outbox_id: int, error: str, *, retry_in: int) -> None:
    """A run failed with an error worth retrying (kept for staff to read); its retry is due in
    ``retry_in`` seconds. Until then it is neither running nor lost: stalled() counts from
    when the retry is due, so the sweep does not send it a second time during the back-off."""
    OutboxTask.objects.filter(pk=outbox_id).update(
        last_error=error[:2000],
        started_at=None,
        dispatched_at=timezone.now() + timedelta(seconds=retry_in),
    )


def give_up(outbox_id: int, error: str) -> None:
    """Failed for good: the row shows it, staff retry it (retry())."""
    OutboxTask.objects.filter(pk=outbox_id, completed_at__isnull=True).update(
        failed_at=timezone.now(), last_error=error[:2000]
    )
    log.error("Background task %s failed for good: %s", outbox_id, error[:200])


def retry(ids: list[int]) -> int:
    """Staff's retry of failed work: counted afresh and sent again."""
    ids = list(
        OutboxTask.objects.filter(
            pk__in=ids, failed_at__isnull=False, completed_at__isnull=True
        ).values_list("pk", flat=True)
    )
    OutboxTask.objects.filter(pk__in=ids).update(
        failed_at=None, runs=0, started_at=None, dispatched_at=None
    )
    return dispatch_many(ids)


def stalled(*, now=None, not_started_after: timedelta, running_longer_than) -> list[int]:
    """Rows whose message was lost (published, never started) or whose worker died (started
    and not done within the task's time limit), neither done nor given up."""
    now = now or timezone.now()
    rows = OutboxTask.objects.filter(
        dispatched_at__isnull=False, completed_at__isnull=True, failed_at__isnull=True
    )
    lost = rows.filter(started_at__isnull=True, dispatched_at__lt=now - not_started_after)
    ids = set(lost.values_list("pk", flat=True))
    for pk, name, started in rows.filter(started_at__isnull=False).values_list(
        "pk", "task_name", "started_at"
    ):
        if started < now - running_longer_than(name):
            ids.add(pk)
    return sorted(ids)


def resume_stalled(*, not_started_after: timedelta, running_longer_than) -> int:
    """Send stalled work again now, rather than after the broker's visibility timeout."""
    ids = stalled(not_started_after=not_started_after, running_longer_than=running_longer_than)
    if ids:
        log.warning("Resuming %d stalled background tasks: %s", len(ids), ids[:20])
        OutboxTask.objects.filter(pk__in=ids).update(dispatched_at=None, started_at=None)
    return dispatch_many(ids)
