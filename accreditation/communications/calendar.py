"""The calendar entry (.ics, RFC 5545) an announcement about a session carries: the session's
local time with the event's time zone (TZID and its VTIMEZONE), its place, a UID that stays the
same for the session whatever changes, and a SEQUENCE that grows when its time or place does
(so calendars update the entry instead of adding a second one)."""

from __future__ import annotations

import datetime as dt

import icalendar
from django.conf import settings
from django.db import transaction

from accreditation.communications.models import SessionCalendar
from events.models import Event, Session


def session_uid(session_id: int) -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >") or "presspass"
    return f"presspass-session-{session_id}@{domain}"


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def snapshot(session: Session | None, *, preview: bool = False) -> dict:
    """The session's time and place as this announcement sends them, with the calendar
    sequence they get: the same as last time if nothing changed, one more otherwise. {} for no
    session, or one whose time is not announced yet (no calendar entry then). Call it inside
    the transaction that starts sending; ``preview`` says what it would be, writing nothing."""
    if session is None or session.starts_at is None:
        return {}
    current = {
        "starts_at": _iso(session.starts_at),
        "ends_at": _iso(session.ends_at),
        "location": session.location,
    }
    if preview:
        entry = SessionCalendar.objects.filter(session=session).first()
        sequence = 0 if entry is None else entry.sequence + (entry.announced != current)
        return {**current, "sequence": sequence, "uid": session_uid(session.pk)}
    with transaction.atomic():
        entry, _ = SessionCalendar.objects.select_for_update().get_or_create(session=session)
        if entry.announced and entry.announced != current:
            entry.sequence += 1
        entry.announced = current
        entry.save()
    return {**current, "sequence": entry.sequence, "uid": session_uid(session.pk)}


def starts(calendar: dict) -> dt.datetime | None:
    value = calendar.get("starts_at")
    return dt.datetime.fromisoformat(value) if value else None


def ends(calendar: dict) -> dt.datetime | None:
    value = calendar.get("ends_at")
    return dt.datetime.fromisoformat(value) if value else None


def location(calendar: dict, event: Event, language: str) -> str:
    """The place: the session's location at the event's venue (or the venue alone)."""
    venue = f"{event.display_venue(language)}, {event.city}"
    return f"{calendar['location']}, {venue}" if calendar.get("location") else venue


def ics(
    calendar: dict, *, event: Event, title: str, description: str, language: str, now=None
) -> bytes:
    """The .ics of a session snapshot (see snapshot), its texts in ``language``."""
    tz = event.tz
    entry = icalendar.Event()
    entry.add("uid", calendar["uid"])
    entry.add("sequence", calendar["sequence"])
    entry.add("dtstamp", now or dt.datetime.now(dt.UTC))
    entry.add("dtstart", starts(calendar).astimezone(tz))
    end = ends(calendar)
    if end is not None:
        entry.add("dtend", end.astimezone(tz))
    entry.add("summary", title)
    entry.add("location", location(calendar, event, language))
    entry.add("description", description)
    entry.add("status", "CONFIRMED")
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Presspass//Announcements//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    cal.add_component(entry)
    cal.add_missing_timezones()
    return cal.to_ical()
