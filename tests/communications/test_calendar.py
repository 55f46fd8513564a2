"""An announcement about a session carries its calendar entry: the local time with the event's
time zone (TZID), the place, one UID for the session, a SEQUENCE that grows when it changes."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
from django.core import mail

from events.models import Session
from tests.communications.helpers import draft, journalist, send
from tests.factories import CASABLANCA

pytestmark = pytest.mark.django_db


@pytest.fixture
def conference(event):
    return Session.objects.create(
        event=event,
        kind="press_conference",
        title="Press conference",
        titles={"fr": "Conférence de presse", "ar": "ندوة صحفية"},
        starts_at=dt.datetime.combine(event.ends_on, dt.time(15, 0), tzinfo=CASABLANCA),
        ends_at=dt.datetime.combine(event.ends_on, dt.time(16, 0), tzinfo=CASABLANCA),
        location="Press centre",
        media_access="open",
    )


def calendar_of(message) -> icalendar.Event:
    (attached,) = [a for a in message.attachments if a[0] == "session.ics"]
    name, content, mimetype = attached
    assert mimetype.startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(content)
    assert calendar["METHOD"] == "PUBLISH"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Africa/Casablanca"]
    (entry,) = calendar.events
    return entry


def announce(event, press, session, capture):
    mail.outbox.clear()
    return send(
        draft(event, actor=press, session=session, audience_session=session), press, capture
    )


def test_the_entry_has_the_local_time_place_and_a_uid(
    event, press, conference, django_capture_on_commit_callbacks
):
    journalist(event, sessions=[conference], language="ar")
    announce(event, press, conference, django_capture_on_commit_callbacks)
    (message,) = mail.outbox
    entry = calendar_of(message)
    assert entry["DTSTART"].params["TZID"] == "Africa/Casablanca"
    start = entry.decoded("DTSTART")
    assert (start.hour, start.minute) == (15, 0)
    assert start.utcoffset() == conference.starts_at.astimezone(CASABLANCA).utcoffset()
    assert start == conference.starts_at
    assert entry.decoded("DTEND") == conference.ends_at
    assert str(entry["LOCATION"]) == "Press centre, Jardins de la Menara, Marrakech"
    assert str(entry["SUMMARY"]) == "ندوة صحفية"  # the reader's language
    assert str(entry["UID"]) == f"presspass-session-{conference.pk}@localhost"
    assert entry["SEQUENCE"] == 0
    # The e-mail says the same, in the event's time zone.
    assert "15:00" in message.body and "Africa/Casablanca" in message.body


def test_a_change_keeps_the_uid_and_raises_the_sequence(
    event, press, conference, django_capture_on_commit_callbacks
):
    journalist(event, sessions=[conference])
    announce(event, press, conference, django_capture_on_commit_callbacks)
    first = calendar_of(mail.outbox[0])

    conference.starts_at += dt.timedelta(hours=1)
    conference.ends_at += dt.timedelta(hours=1)
    conference.location = "Salle Atlas"
    conference.save()
    announce(event, press, conference, django_capture_on_commit_callbacks)
    moved = calendar_of(mail.outbox[0])
    assert moved["UID"] == first["UID"]
    assert moved["SEQUENCE"] == 1
    assert moved.decoded("DTSTART").hour == 16
    assert str(moved["LOCATION"]).startswith("Salle Atlas")

    announce(event, press, conference, django_capture_on_commit_callbacks)  # nothing changed
    again = calendar_of(mail.outbox[0])
    assert again["UID"] == first["UID"] and again["SEQUENCE"] == 1


def test_a_session_without_a_time_yet_has_no_entry(
    event, press, django_capture_on_commit_callbacks
):
    closing = event.sessions.get(kind="closing")  # time published later
    journalist(event, sessions=[closing])
    announce(event, press, closing, django_capture_on_commit_callbacks)
    (message,) = mail.outbox
    assert message.attachments == []


def test_a_failure_resent_later_carries_the_entry_as_first_sent(
    event, press, conference, refusing, django_capture_on_commit_callbacks
):
    from django.db import transaction

    from accreditation.communications import services

    req = journalist(event, sessions=[conference])
    refusing.refused = {req.email}
    announcement = announce(event, press, conference, django_capture_on_commit_callbacks)
    refusing.refused = set()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        services.announcement_resend_failures(announcement=announcement, actor=press)
    (message,) = mail.outbox
    assert calendar_of(message)["SEQUENCE"] == 0
