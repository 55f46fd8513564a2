"""Sending: one delivery per recipient, in batches of their own (each its own transaction and
task), each e-mail with its own Message-ID; a refused address fails alone, with the server's
answer, and staff resend to the failures; a mail server away is retried."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction

from accreditation.communications import services
from accreditation.communications.models import Announcement, Delivery
from accreditation.errors import ServiceError, TransitionError
from accreditation.models import AuditEntry, OutboxTask
from tests.communications.helpers import draft, journalist, journalists, outbox_to, send

pytestmark = pytest.mark.django_db


def test_450_recipients_go_out_in_3_batches_with_a_message_id_each(
    event, press, django_capture_on_commit_callbacks
):
    journalists(event, 450)
    announcement = send(draft(event, actor=press), press, django_capture_on_commit_callbacks)

    assert announcement.state == Announcement.State.SENT and announcement.sent_at
    assert announcement.recipients_count == 450
    batches = OutboxTask.objects.filter(task_name=services.BATCH_TASK)
    assert sorted(row.kwargs["batch"] for row in batches) == [0, 1, 2]
    assert all(row.completed_at for row in batches)
    sizes = sorted(
        Delivery.objects.filter(announcement=announcement, batch=n).count() for n in (0, 1, 2)
    )
    assert sizes == [50, 200, 200]
    assert len(mail.outbox) == 450
    ids = {m.extra_headers["Message-ID"] for m in mail.outbox}
    assert len(ids) == 450
    assert all(i.startswith("<presspass-announcement-") for i in ids)
    assert set(Delivery.objects.values_list("state", flat=True)) == {"sent"}
    sent = AuditEntry.objects.get(action="announcement.sent")
    assert sent.data["sent"] == 450 and sent.data["failed"] == 0


def test_the_click_only_records_the_work_and_each_batch_commits_on_its_own(
    event, press, django_capture_on_commit_callbacks
):
    journalists(event, 5)
    announcement = draft(event, actor=press)
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        services.announcement_send(announcement=announcement, actor=press)
    # Nothing was created or sent inside the click's transaction: one task was recorded.
    assert Delivery.objects.count() == 0 and mail.outbox == []
    assert list(OutboxTask.objects.values_list("task_name", flat=True)) == [services.PLAN_TASK]
    assert len(callbacks) == 1
    services.BATCH_SIZE, old = 2, services.BATCH_SIZE
    try:
        with django_capture_on_commit_callbacks(execute=False) as batch_callbacks:
            services.announcement_plan(announcement_id=announcement.pk)
    finally:
        services.BATCH_SIZE = old
    assert len(batch_callbacks) == 3  # one per batch transaction: 2 + 2 + 1
    assert Delivery.objects.filter(state="queued").count() == 5
    announcement.refresh_from_db()
    assert announcement.state == "sending" and announcement.planned_at


def test_planning_again_after_a_crash_creates_only_what_is_missing(event, press):
    journalists(event, 3)
    announcement = draft(event, actor=press)
    services.announcement_send(announcement=announcement, actor=press)
    Delivery.objects.filter(announcement=announcement).delete()
    Announcement.objects.filter(pk=announcement.pk).update(planned_at=None)
    first = journalists(event, 1)[0]
    Delivery.objects.create(
        announcement=announcement, request=first, batch=0, language="fr", state="sent"
    )
    services.announcement_plan(announcement_id=announcement.pk)
    assert Delivery.objects.filter(announcement=announcement).count() == 4
    assert Delivery.objects.filter(request=first).count() == 1


def test_a_refused_address_fails_alone_with_the_servers_answer_and_is_resent(
    event, press, refusing, django_capture_on_commit_callbacks
):
    good = journalists(event, 3)
    bad = journalist(event, email="nobody@example.com")
    refusing.refused = {bad.email}
    announcement = send(draft(event, actor=press), press, django_capture_on_commit_callbacks)

    assert announcement.state == "sent"
    failed = Delivery.objects.get(request=bad)
    assert failed.state == "failed"
    assert "SMTPRecipientsRefused" in failed.error and "user unknown" in failed.error
    assert {m.to[0] for m in mail.outbox} == {r.email for r in good}

    refusing.refused = set()  # the journalist fixed their mailbox
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        assert services.announcement_resend_failures(announcement=announcement, actor=press) == 1
    failed.refresh_from_db()
    announcement.refresh_from_db()
    assert failed.state == "sent" and failed.attempts == 2
    assert announcement.state == "sent"
    (again,) = outbox_to(bad.email)
    assert again.extra_headers["Message-ID"] == f"<presspass-announcement-{failed.pk}@localhost>"
    assert len(mail.outbox) == 4  # the others were not sent twice
    with pytest.raises(ServiceError) as nothing:
        services.announcement_resend_failures(announcement=announcement, actor=press)
    assert nothing.value.code == "no_failures"


def test_a_mail_server_away_is_retried_and_nothing_is_sent_twice(
    event, press, settings, django_capture_on_commit_callbacks
):
    from tests.communications.helpers import FlakyBackend

    journalists(event, 3)
    FlakyBackend.seen = 0  # the second e-mail: the server drops the connection
    settings.EMAIL_BACKEND = "tests.communications.helpers.FlakyBackend"
    announcement = send(draft(event, actor=press), press, django_capture_on_commit_callbacks)
    assert announcement.state == "sent"
    assert len(mail.outbox) == 3
    assert len({m.to[0] for m in mail.outbox}) == 3
    (row,) = OutboxTask.objects.filter(task_name=services.BATCH_TASK)
    assert row.completed_at and row.runs == 2


def test_a_batch_given_up_shows_its_emails_failed_for_resending(
    event, press, settings, django_capture_on_commit_callbacks
):
    journalists(event, 2)
    settings.EMAIL_BACKEND = "tests.communications.helpers.DownBackend"
    announcement = send(draft(event, actor=press), press, django_capture_on_commit_callbacks)
    (row,) = OutboxTask.objects.filter(task_name=services.BATCH_TASK)
    assert row.failed_at
    assert announcement.state == "sent"
    errors = set(Delivery.objects.values_list("state", "error"))
    assert {state for state, _e in errors} == {"failed"}
    assert all("SMTPServerDisconnected" in error for _s, error in errors)


def test_sending_twice_is_refused(event, press, django_capture_on_commit_callbacks):
    journalists(event, 1)
    announcement = send(draft(event, actor=press), press, django_capture_on_commit_callbacks)
    stale = Announcement.objects.get(pk=announcement.pk)
    with pytest.raises(TransitionError) as refused:
        services.announcement_send(announcement=stale, actor=press)
    assert refused.value.code == "not_allowed"
    assert len(mail.outbox) == 1


def test_a_draft_without_the_events_first_language_is_not_sent(event, press):
    announcement = draft(event, actor=press, titles={"en": "Only English"}, bodies={"en": "Hi"})
    with pytest.raises(ServiceError) as refused:
        services.announcement_send(announcement=announcement, actor=press)
    assert refused.value.code == "incomplete"
    announcement.refresh_from_db()
    assert announcement.state == "draft"


def test_only_a_draft_changes(event, press, django_capture_on_commit_callbacks):
    announcement = send(draft(event, actor=press), press, django_capture_on_commit_callbacks)
    announcement.titles = {"fr": "Autre chose"}
    with pytest.raises(ServiceError) as refused:
        services.announcement_save(announcement=announcement, actor=press)
    assert refused.value.code == "not_draft"
