"""The outbox sends what a transaction committed, once, and nothing of what it rolled back."""

from __future__ import annotations

import pytest
from celery.signals import task_prerun
from django.core import mail
from django.db import transaction

from accreditation.models import OutboxTask
from accreditation.notify import outbox
from tests.factories import make_request

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


@pytest.fixture
def started():
    """The outbox rows whose task started (Celery's own signal; tasks run in-process here)."""
    seen: list[int] = []

    def record(sender=None, kwargs=None, **_):
        seen.append(kwargs.get("outbox_id"))

    task_prerun.connect(record, weak=False)
    yield seen
    task_prerun.disconnect(record)


def test_rows_of_a_rolled_back_savepoint_are_neither_kept_nor_sent(
    event, started, django_capture_on_commit_callbacks
):
    kept, dropped, released = (
        make_request(event, email=f"{name}@example.org") for name in ("kept", "dropped", "inner")
    )
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        outbox.enqueue("accreditation.send_request_email", request_id=kept.pk, kind="status_link")
        with pytest.raises(Boom), transaction.atomic():
            outbox.enqueue(
                "accreditation.send_request_email", request_id=dropped.pk, kind="status_link"
            )
            raise Boom
        with transaction.atomic():  # a savepoint released into the outer transaction
            outbox.enqueue(
                "accreditation.send_request_email", request_id=released.pk, kind="status_link"
            )
        assert mail.outbox == []  # nothing leaves before the commit

    assert sorted(m.to[0] for m in mail.outbox) == ["inner@example.org", "kept@example.org"]
    rows = OutboxTask.objects.all()
    assert len(rows) == 2
    assert sorted(started) == sorted(row.pk for row in rows)  # no task for the dropped row
    assert all(row.dispatched_at and row.completed_at for row in rows)


def test_a_row_is_sent_once_even_if_dispatched_again(event, django_capture_on_commit_callbacks):
    req = make_request(event)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        row = outbox.enqueue(
            "accreditation.send_request_email", request_id=req.pk, kind="status_link"
        )
    assert outbox.dispatch_many([row.pk]) == 0  # already dispatched
    assert outbox.dispatch_pending() == 0
    assert len(mail.outbox) == 1


def test_after_a_rolled_back_transaction_the_next_commit_sends_only_its_own_rows(
    event, started, django_capture_on_commit_callbacks
):
    gone, first, second = (
        make_request(event, email=f"{name}@example.org") for name in ("gone", "first", "second")
    )
    with pytest.raises(Boom), transaction.atomic():
        outbox.enqueue("accreditation.send_request_email", request_id=gone.pk, kind="status_link")
        raise Boom
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for req in (first, second):
            outbox.enqueue(
                "accreditation.send_request_email", request_id=req.pk, kind="status_link"
            )

    assert sorted(m.to[0] for m in mail.outbox) == ["first@example.org", "second@example.org"]
    assert sorted(started) == sorted(OutboxTask.objects.values_list("pk", flat=True))
