"""The calendar entries, read back with the icalendar package: the venue's local time with its
time zone, the place, and one UID per interview (a cancellation replaces the same entry)."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
from django.core import mail

from accreditation.interviews import services
from accreditation.interviews.ics import interview_ics
from tests.factories import make_event
from tests.interviews.helpers import at, confirmed, journalist, make_target, slot

pytestmark = pytest.mark.django_db


def entries(message):
    (attachment,) = message.attachments
    name, content, mimetype = attachment
    assert (name, mimetype.split(";")[0]) == ("interview.ics", "text/calendar")
    calendar = icalendar.Calendar.from_ical(content)
    return calendar, calendar.walk("VEVENT")


def test_the_confirmed_entry_is_at_the_venues_local_time_with_its_place_and_a_stable_uid(
    event, amina, target, press_office, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        interview = confirmed(
            amina, target, press_office, [slot(event, 2, 16, 45)], place="Salle Atlas"
        )
    sent = {m.to[0]: m for m in mail.outbox if m.attachments}
    assert set(sent) == {amina.email, target.contact_email}
    uids = set()
    for message in sent.values():
        calendar, (entry,) = entries(message)
        assert str(calendar["METHOD"]) == "PUBLISH"
        assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Africa/Casablanca"]
        assert entry["DTSTART"].params["TZID"] == "Africa/Casablanca"
        start = entry.decoded("DTSTART")
        assert (start.hour, start.minute) == (16, 0)
        assert start == at(event, 2, 16)
        assert entry.decoded("DTEND") == at(event, 2, 16, 45)
        assert str(entry["LOCATION"]) == "Salle Atlas"
        assert str(entry["STATUS"]) == "CONFIRMED"
        assert entry.decoded("SEQUENCE") == 0
        uids.add(str(entry["UID"]))
    assert uids == {f"presspass-interview-{interview.pk}@localhost"}

    # The summary in each recipient's language: the journalist's French, the contact's.
    _calendar, (for_journalist,) = entries(sent[amina.email])
    assert amina.full_name in str(for_journalist["SUMMARY"])

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.interview_cancel(interview=interview, actor=press_office, reason="Changed")
    for message in mail.outbox:
        _calendar, (entry,) = entries(message)
        assert str(entry["UID"]) in uids
        assert (str(entry["STATUS"]), entry.decoded("SEQUENCE")) == ("CANCELLED", 1)


def test_a_slot_after_a_clock_change_keeps_its_local_time(press_office):
    """Europe/London leaves summer time on the last Sunday of October: an interview at 10:00
    the day after is at 10:00 in the entry (UTC+0 by then), with the zone's rules attached."""
    october = [dt.date(dt.date.today().year + 1, 10, day) for day in range(25, 32)]
    last_sunday = max(day for day in october if day.weekday() == 6)
    event = make_event(
        slug="london",
        time_zone="Europe/London",
        starts_on=last_sunday - dt.timedelta(days=1),
        ends_on=last_sunday + dt.timedelta(days=1),
    )
    interview = confirmed(journalist(event), make_target(event), press_office, [slot(event, 2, 10)])
    calendar = icalendar.Calendar.from_ical(interview_ics(interview))
    (entry,) = calendar.walk("VEVENT")
    assert entry["DTSTART"].params["TZID"] == "Europe/London"
    assert entry.decoded("DTSTART").hour == 10
    assert entry.decoded("DTSTART").utcoffset() == dt.timedelta(0)
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/London"]
