"""Before the accreditation deadline, a request that still misses something the journalist must
do is told what, once, in their language, with the deadline in the event's time."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import formats, timezone, translation

from accreditation import apply, review
from accreditation.communications.services import announcements_unsubscribe
from accreditation.models import AccreditationRequest, AuditEntry, Status
from accreditation.notify.reminders import all_reminders_send
from tests.factories import application_data, application_files, image_bytes, make_request, upload

HOUR = dt.timedelta(hours=1)


def run(at, capture) -> dict:
    """The hourly job, at ``at``, its e-mails sent for real (eager Celery after commit)."""
    with time_machine.travel(at, tick=False), capture(execute=True):
        return all_reminders_send()


def ask(req, reviewer, at=None, question="Please send your mission letter."):
    with time_machine.travel(at or timezone.now(), tick=False):
        review.request_ask_info(request=req, actor=reviewer, message=question)


def to(req):
    return [m for m in mail.outbox if m.to == [req.email]]


def deadline_in(language: str, event) -> str:
    """The deadline as a reader of ``language`` sees it, in the event's time."""
    with translation.override(language), timezone.override(event.tz):
        return formats.date_format(
            timezone.localtime(event.accreditation_deadline), "DATETIME_FORMAT"
        )


def test_each_incomplete_request_is_told_once_what_it_misses_three_days_before_the_deadline(
    event, reviewer, django_capture_on_commit_callbacks
):
    confirmed = timezone.now()
    deadline = event.accreditation_deadline
    asked = make_request(event, language="fr", email_confirmed_at=confirmed)
    ask(asked, reviewer, at=deadline - 100 * HOUR)
    unconfirmed = make_request(event, language="ar", email_confirmed_at=None)
    # Unsubscribing from announcements does not stop it: it is about their own request.
    announcements_unsubscribe(request=unconfirmed)
    make_request(event, email_confirmed_at=confirmed)  # nothing missing
    for status in ("approved", "rejected", "withdrawn", "revoked"):  # decided or ended
        make_request(event, status=status, email_confirmed_at=None)
    mail.outbox.clear()

    assert run(deadline - 73 * HOUR, django_capture_on_commit_callbacks)["deadline"] == 0
    assert mail.outbox == []

    assert run(deadline - 71 * HOUR, django_capture_on_commit_callbacks)["deadline"] == 2
    (to_asked,) = to(asked)
    assert "Please send your mission letter." in to_asked.body
    assert apply.status_url(asked) in to_asked.body
    assert deadline_in("fr", event) in to_asked.body  # French month, Marrakech time
    assert event.city in to_asked.body
    (to_unconfirmed,) = to(unconfirmed)
    assert apply.status_url(unconfirmed) in to_unconfirmed.body
    assert deadline_in("ar", event) in to_unconfirmed.body  # in Arabic
    assert "Please send" not in to_unconfirmed.body  # it was asked nothing
    assert len(mail.outbox) == 2  # the others miss nothing, or are decided
    assert AuditEntry.objects.filter(action="request.reminded_deadline").count() == 2

    # The hourly job runs on until the deadline: nobody is told twice.
    for hours in (70, 30, 2):
        assert run(deadline - hours * HOUR, django_capture_on_commit_callbacks)["deadline"] == 0
    assert len(mail.outbox) == 2


def test_documents_the_checks_sent_back_are_recalled_before_the_deadline(
    client, event, django_capture_on_commit_callbacks
):
    # A photo with no face: the checks ask the journalist for another one at once.
    data = application_data(event, email="amina@example.com", language="fr")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accreditation:apply", args=[event.slug]),
            {**data, **application_files(photo=upload("wall.jpg", image_bytes()))},
        )
    assert response.status_code == 302
    req = AccreditationRequest.objects.get(email="amina@example.com")
    assert req.status == Status.INFO_REQUESTED
    question = req.messages.get().body
    mail.outbox.clear()

    run(event.accreditation_deadline - 71 * HOUR, django_capture_on_commit_callbacks)
    (reminder,) = to(req)
    assert question in reminder.body  # the documents to replace, and why
    assert apply.status_url(req) in reminder.body


def test_nobody_is_reminded_twice_in_a_day(event, reviewer, django_capture_on_commit_callbacks):
    deadline = event.accreditation_deadline
    # Asked long before: the deadline reminder recalls the question, which is then not recalled
    # a second time by its own reminder (due three days after it was asked).
    early = make_request(event, email_confirmed_at=timezone.now())
    ask(early, reviewer, at=deadline - 100 * HOUR)
    # Asked the day before the reminders start: the question's e-mail is fresh, it waits a day.
    late = make_request(event, email_confirmed_at=timezone.now())
    ask(late, reviewer, at=deadline - 80 * HOUR, question="Which outlet sends you?")
    mail.outbox.clear()

    assert run(deadline - 71 * HOUR, django_capture_on_commit_callbacks) == {
        "question": 0,
        "deadline": 1,
        "collection": 0,
    }
    assert len(to(early)) == 1 and to(late) == []

    assert run(deadline - 56 * HOUR, django_capture_on_commit_callbacks)["deadline"] == 1
    (reminder,) = to(late)
    assert "Which outlet sends you?" in reminder.body

    # Three days after each question: both were reminded of it already.
    assert run(deadline - 27 * HOUR, django_capture_on_commit_callbacks)["question"] == 0
    assert run(deadline - 7 * HOUR, django_capture_on_commit_callbacks)["question"] == 0
    assert len(to(early)) == 1 and len(to(late)) == 1


def test_an_answered_question_is_not_recalled(event, reviewer, django_capture_on_commit_callbacks):
    deadline = event.accreditation_deadline
    answered = make_request(event, email_confirmed_at=timezone.now())
    ask(answered, reviewer, at=deadline - 90 * HOUR)
    answered.refresh_from_db()
    with time_machine.travel(deadline - 89 * HOUR, tick=False):
        apply.request_answer(request=answered, text="Sent by post.", draft_key="")
    mail.outbox.clear()

    assert run(deadline - 71 * HOUR, django_capture_on_commit_callbacks) == {
        "question": 0,
        "deadline": 0,
        "collection": 0,
    }
    assert mail.outbox == []


def test_once_the_deadline_has_passed_no_deadline_reminder_is_sent(
    event, django_capture_on_commit_callbacks
):
    make_request(event, email_confirmed_at=None)  # the job never ran in the last three days
    mail.outbox.clear()

    assert (
        run(event.accreditation_deadline + HOUR, django_capture_on_commit_callbacks)["deadline"]
        == 0
    )
    assert mail.outbox == []
