"""Small builders for the interview tests: targets, requests at each step, slots at the venue."""

from __future__ import annotations

import datetime as dt

from accreditation.interviews import booking, contact, services
from accreditation.interviews.models import InterviewRequest, InterviewTarget
from tests.factories import make_request


def at(event, day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A local time at the venue on the event's ``day`` (0: its first day)."""
    return dt.datetime.combine(
        event.starts_on + dt.timedelta(days=day), dt.time(hour, minute), tzinfo=event.tz
    )


def slot(event, day: int, hour: int, minutes: int = 30) -> tuple[dt.datetime, dt.datetime]:
    starts = at(event, day, hour)
    return starts, starts + dt.timedelta(minutes=minutes)


def make_target(event, *, country="MA", name="", language="fr", **fields) -> InterviewTarget:
    values = dict(
        event=event,
        kind=InterviewTarget.Kind.DELEGATION if country else InterviewTarget.Kind.OFFICIAL,
        country=country,
        name=name,
        contact_name="Nadia Contact",
        contact_email=f"contact-{country or name}@example.org".lower().replace(" ", "-"),
        contact_language=language,
    )
    values.update(fields)
    return InterviewTarget.objects.create(**values)


def journalist(event, **fields):
    return make_request(event, status=fields.pop("status", "approved"), **fields)


def ask(req, target, **fields) -> InterviewRequest:
    values = dict(
        request=req,
        target=target,
        topic="Cybercrime cooperation",
        languages=["fr", "en"],
        format="camera",
        preferred_times=[],
    )
    values.update(fields)
    return services.interview_ask(**values)


def forwarded(req, target, press_office, **fields) -> InterviewRequest:
    interview = ask(req, target, **fields)
    services.interview_forward(interview=interview, actor=press_office)
    interview.refresh_from_db()
    return interview


def proposed(req, target, press_office, slots, place="Press centre, room 2", **fields):
    interview = forwarded(req, target, press_office, **fields)
    contact.interview_propose(interview=interview, slots=slots, place=place)
    interview.refresh_from_db()
    return interview


def confirmed(req, target, press_office, slots, **fields):
    interview = proposed(req, target, press_office, slots, **fields)
    booking.interview_confirm(interview=interview, slot_id=interview.slots.first().pk)
    interview.refresh_from_db()
    return interview
