"""A question from staff that stays unanswered is recalled to the journalist, once per question."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.core import mail

from accreditation import apply, review
from accreditation.models import AuditEntry, Status
from accreditation.notify.reminders import reminders_send
from tests.factories import make_event, make_request

DAY = dt.timedelta(days=1)


def ask(req, reviewer, at, question="Please send a sharper photo."):
    with time_machine.travel(at, tick=False):
        review.request_ask_info(request=req, actor=reviewer, message=question)


def run(at, capture) -> int:
    with time_machine.travel(at, tick=False), capture(execute=True):
        return reminders_send()


def test_an_unanswered_question_is_recalled_once_after_three_days(
    event, reviewer, django_capture_on_commit_callbacks
):
    req = make_request(event, language="fr")
    asked = dt.datetime.now(dt.UTC)
    ask(req, reviewer, asked)

    assert run(asked + 2 * DAY, django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []

    assert run(asked + 3 * DAY + dt.timedelta(minutes=1), django_capture_on_commit_callbacks) == 1
    (reminder,) = mail.outbox
    assert reminder.to == [req.email]
    assert "Please send a sharper photo." in reminder.body
    assert apply.status_url(req) in reminder.body
    assert "Rappel" in reminder.subject  # in the journalist's language
    assert AuditEntry.objects.filter(request=req, action="request.reminded").count() == 1

    # The hourly job runs again: nothing more for the same question.
    assert run(asked + 5 * DAY, django_capture_on_commit_callbacks) == 0
    assert len(mail.outbox) == 1

    # The journalist answers; a new question earns its own reminder three days after it.
    req.refresh_from_db()
    with time_machine.travel(asked + 5 * DAY, tick=False):
        apply.request_answer(request=req, text="Sent by post.", draft_key="")
    req.refresh_from_db()
    ask(req, reviewer, asked + 6 * DAY, question="Which outlet sends you?")
    mail.outbox.clear()
    assert run(asked + 8 * DAY, django_capture_on_commit_callbacks) == 0
    assert run(asked + 9 * DAY + dt.timedelta(hours=1), django_capture_on_commit_callbacks) == 1
    assert "Which outlet sends you?" in mail.outbox[0].body


def test_no_reminder_once_answered_or_when_the_event_is_over(
    event, reviewer, django_capture_on_commit_callbacks
):
    answered = make_request(event)
    asked = dt.datetime.now(dt.UTC)
    ask(answered, reviewer, asked)
    answered.refresh_from_db()
    apply.request_answer(request=answered, text="Sent by post.", draft_key="")
    assert answered.status != Status.INFO_REQUESTED

    past = make_event(slug="past", now=asked - dt.timedelta(days=60))
    late = make_request(past, email="late@example.org")
    ask(late, reviewer, asked)

    mail.outbox.clear()
    assert run(asked + 4 * DAY, django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []
