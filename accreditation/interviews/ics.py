"""The calendar entry (.ics) of a confirmed interview: local time at the venue (DTSTART with the
event's TZID and its VTIMEZONE), the place, and a UID that stays the same for the interview,
so a cancellation replaces the entry instead of adding one."""

from __future__ import annotations

import icalendar
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from accreditation.interviews.models import InterviewRequest, InterviewStatus


def uid(interview: InterviewRequest) -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >") or "presspass"
    return f"presspass-interview-{interview.pk}@{domain}"


def interview_ics(
    interview: InterviewRequest, *, cancelled: bool = False, group: bool = False
) -> bytes:
    """The entry in the active language (the recipient's: the caller overrides it); a group
    interview's names no journalist."""
    event = interview.event
    tz = event.tz
    journalist = interview.request
    entry = icalendar.Event()
    entry.add("uid", uid(interview))
    entry.add("dtstamp", timezone.now())
    entry.add("dtstart", interview.starts_at.astimezone(tz))
    entry.add("dtend", interview.ends_at.astimezone(tz))
    if group:
        summary = _("Group interview: %(target)s") % {"target": interview.target.display_name()}
    else:
        summary = _("Interview: %(target)s — %(journalist)s (%(outlet)s)") % {
            "target": interview.target.display_name(),
            "journalist": journalist.full_name,
            "outlet": journalist.outlet_name,
        }
    entry.add("summary", summary)
    entry.add("location", interview.place)
    entry.add(
        "description",
        "\n".join(
            [
                event.display_name(),
                _("Topic: %(topic)s") % {"topic": interview.topic},
                _("Format: %(format)s") % {"format": interview.get_format_display()},
            ]
        ),
    )
    # Confirmed once (sequence 0); a cancellation is the same entry, one revision later.
    entry.add("sequence", 1 if cancelled else 0)
    entry.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Presspass//Interviews//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add_component(entry)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def has_slot(interview: InterviewRequest) -> bool:
    return interview.starts_at is not None and interview.status in (
        InterviewStatus.CONFIRMED,
        InterviewStatus.CANCELLED,
    )
