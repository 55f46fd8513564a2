"""Nothing lost, nothing sent on someone else's word: a task acts only on work recorded in the
outbox; transient failures (the database, the mail server) are retried; work is marked done
only once it is done; what fails for good is visible to staff, who retry it."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib

import pytest
from django.core import mail
from django.db import OperationalError, transaction
from django.urls import reverse
from django.utils import timezone

from accreditation import tasks
from accreditation.models import OutboxTask
from accreditation.notify import outbox
from tests.factories import make_request, make_user

pytestmark = pytest.mark.django_db


class FlakyBackend:
    """A mail server that fails the first ``failures`` sends with ``error``, then delivers."""

    failures = 0
    error: Exception = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        if FlakyBackend.failures:
            FlakyBackend.failures -= 1
            raise FlakyBackend.error
        mail.outbox.extend(messages)
        return len(messages)


@pytest.fixture
def flaky(settings):
    settings.EMAIL_BACKEND = "tests.notify.test_delivery.FlakyBackend"
    FlakyBackend.failures = 0
    yield FlakyBackend


def enqueue(req, capture) -> OutboxTask:
    with capture(execute=True), transaction.atomic():
        return outbox.enqueue(
            "accreditation.send_request_email", request_id=req.pk, kind="status_link"
        )


def test_a_task_put_on_the_broker_by_anyone_else_does_nothing_and_is_logged(event, caplog):
    req = make_request(event)
    with caplog.at_level(logging.WARNING, logger="presspass.security"):
        tasks.send_request_email.apply(kwargs={"request_id": req.pk, "kind": "approved"})
        tasks.send_request_email.apply(
            kwargs={"request_id": req.pk, "kind": "approved", "outbox_id": 999_999}
        )
    assert mail.outbox == []
    events = [getattr(r, "event", "") for r in caplog.records]
    assert events.count("task.unrecorded") == 2


def test_a_mail_server_blip_is_retried_and_the_email_goes_once_with_its_message_id(
    event, flaky, django_capture_on_commit_callbacks
):
    flaky.failures = 2
    row = enqueue(make_request(event), django_capture_on_commit_callbacks)
    row.refresh_from_db()
    (sent,) = mail.outbox
    assert row.completed_at and row.runs == 3 and row.last_error == ""
    assert sent.extra_headers["Message-ID"] == f"<presspass-outbox-{row.pk}@localhost>"


def test_a_database_blip_is_retried_too(event, flaky, django_capture_on_commit_callbacks):
    flaky.failures, flaky.error = 1, OperationalError("server closed the connection")
    row = enqueue(make_request(event), django_capture_on_commit_callbacks)
    row.refresh_from_db()
    assert row.completed_at and len(mail.outbox) == 1


def test_an_email_that_keeps_failing_is_shown_failed_and_staff_retry_it(
    event, flaky, client, django_capture_on_commit_callbacks
):
    flaky.failures, flaky.error = 100, smtplib.SMTPRecipientsRefused({"x": (550, b"no")})
    row = enqueue(make_request(event), django_capture_on_commit_callbacks)
    row.refresh_from_db()
    assert row.failed_at and not row.completed_at and "SMTPRecipientsRefused" in row.last_error
    assert row.runs == tasks.send_request_email.max_retries + 1  # not retried without end
    assert mail.outbox == []

    supervisor = make_user("sara", "Supervisor")
    client.force_login(supervisor)
    page = client.get(reverse("admin:accreditation_outboxtask_changelist") + "?state=failed")
    assert page.status_code == 200 and "SMTPRecipientsRefused" in page.content.decode()
    flaky.failures = 0
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:accreditation_outboxtask_changelist"),
            {"action": "retry", "_selected_action": [row.pk]},
        )
    row.refresh_from_db()
    assert row.completed_at and not row.failed_at and len(mail.outbox) == 1


def test_work_is_done_only_after_it_was_done(event, flaky, django_capture_on_commit_callbacks):
    """The review's loss: the row was claimed before sending, so a worker killed during the
    send left it "completed" and the redelivered task skipped it. Now a run that did not get
    to the end leaves the row open, and the next delivery sends."""
    req = make_request(event)
    with django_capture_on_commit_callbacks(execute=False), transaction.atomic():
        row = outbox.enqueue(
            "accreditation.send_request_email", request_id=req.pk, kind="status_link"
        )
    # A worker starts the row and dies in the middle of the send (nothing after start()).
    assert outbox.start(row.pk, row.task_name, max_runs=10)
    row.refresh_from_db()
    assert row.started_at and not row.completed_at
    # The broker redelivers it: it is sent, then marked done.
    tasks.send_request_email.apply(kwargs={**row.kwargs, "outbox_id": row.pk})
    row.refresh_from_db()
    assert row.completed_at and len(mail.outbox) == 1
    # A later redelivery of the same message does nothing.
    tasks.send_request_email.apply(kwargs={**row.kwargs, "outbox_id": row.pk})
    assert len(mail.outbox) == 1


def test_a_task_that_kills_its_worker_every_time_stops_and_shows_failed(event):
    req = make_request(event)
    row = OutboxTask.objects.create(
        task_name="accreditation.run_checks", kwargs={"request_id": req.pk}
    )
    cap = tasks.run_checks.max_retries + 2
    for _ in range(cap):  # each delivery started, none finished: the worker died each time
        assert outbox.start(row.pk, row.task_name, max_runs=cap)
    assert not outbox.start(row.pk, row.task_name, max_runs=cap)
    row.refresh_from_db()
    assert row.failed_at and "never finished" in row.last_error


def test_stalled_work_is_found_within_minutes_not_after_the_visibility_timeout(event):
    req = make_request(event)
    now = timezone.now()
    lost = OutboxTask.objects.create(
        task_name="accreditation.send_request_email",
        kwargs={"request_id": req.pk, "kind": "status_link"},
        dispatched_at=now - dt.timedelta(minutes=11),
    )
    dead = OutboxTask.objects.create(
        task_name="accreditation.send_request_email",
        kwargs={"request_id": req.pk, "kind": "status_link"},
        dispatched_at=now - dt.timedelta(minutes=5),
        started_at=now - dt.timedelta(minutes=3),
    )
    fresh = OutboxTask.objects.create(
        task_name="accreditation.send_request_email",
        kwargs={"request_id": req.pk, "kind": "status_link"},
        dispatched_at=now - dt.timedelta(minutes=1),
        started_at=now - dt.timedelta(seconds=30),
    )
    found = outbox.stalled(
        not_started_after=dt.timedelta(minutes=10),
        running_longer_than=lambda name: dt.timedelta(seconds=150),
    )
    assert found == sorted([lost.pk, dead.pk]) and fresh.pk not in found
    assert tasks.resume_stalled.apply().get() == 2  # sent again, here in-process
    assert len(mail.outbox) == 2


def test_work_waiting_for_its_retry_is_not_taken_for_stalled(event):
    """A run that failed and waits its back-off (up to ten minutes) is not a dead worker's:
    the stalled-work sweep must not send it a second time meanwhile."""
    req = make_request(event)
    row = OutboxTask.objects.create(
        task_name="accreditation.send_request_email",
        kwargs={"request_id": req.pk, "kind": "status_link"},
        dispatched_at=timezone.now(),
    )
    assert outbox.start(row.pk, row.task_name, max_runs=10)
    outbox.failed_once(row.pk, "SMTPServerDisconnected: closed", retry_in=600)
    later = timezone.now() + dt.timedelta(minutes=5)  # past the time limit, inside the back-off
    found = outbox.stalled(
        now=later,
        not_started_after=dt.timedelta(minutes=10),
        running_longer_than=lambda name: dt.timedelta(seconds=150),
    )
    assert row.pk not in found
    much_later = timezone.now() + dt.timedelta(minutes=25)  # the retry never came: lost
    assert row.pk in outbox.stalled(
        now=much_later,
        not_started_after=dt.timedelta(minutes=10),
        running_longer_than=lambda name: dt.timedelta(seconds=150),
    )
