"""What the checkpoint timeline page shows: the gate's own timeline and warnings
(accreditation.gate.checkpoint_timeline, checkpoint_warnings) laid out in local time. No
window logic here: every answer comes from the gate's functions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.translation import gettext

from accreditation import gate
from events.models import Checkpoint, Session

# A page shows days with sessions up to this many days into a window (a session announced to
# last for months would otherwise list every day).
MAX_DAYS_PER_WINDOW = 62


def window_days(windows, tz: dt.tzinfo) -> list[dt.date]:
    """The local days on which some session's gate window is open, in order."""
    days: set[dt.date] = set()
    for w in windows:
        if w.opens_at is None:
            continue
        first = w.opens_at.astimezone(tz).date()
        last = (w.closes_at - dt.timedelta(microseconds=1)).astimezone(tz).date()
        span = min((last - first).days, MAX_DAYS_PER_WINDOW)
        days.update(first + dt.timedelta(days=n) for n in range(span + 1))
    return sorted(days)


def default_day(event, days: list[dt.date], today: dt.date) -> dt.date:
    """Today during the event; otherwise the first day with a session, or the first day."""
    if event.starts_on <= today <= event.ends_on:
        return today
    return days[0] if days else event.starts_on


def parse_day(value: str | None) -> dt.date | None:
    try:
        day = dt.date.fromisoformat(value or "")
    except ValueError:
        return None
    if not dt.date.min + dt.timedelta(days=2) <= day <= dt.date.max - dt.timedelta(days=2):
        return None
    return day


def warning_messages(checkpoint: Checkpoint, windows=None) -> list[str]:
    """The gate's warnings about the sessions this checkpoint serves, each naming it."""
    tz = checkpoint.event.tz
    windows = gate.checkpoint_windows(checkpoint) if windows is None else windows
    return [
        gettext("%(checkpoint)s: %(warning)s")
        % {"checkpoint": checkpoint.name, "warning": w.message}
        for w in gate.checkpoint_warnings(windows, tz=tz)
    ]


@dataclass(frozen=True)
class Row:
    starts: str
    ends: str
    title: str
    access: str
    admits: bool
    reason: str
    css: str
    minutes: int  # its width in the strip (local minutes)


@dataclass(frozen=True)
class Hour:
    label: str
    minutes: int


def _css(segment) -> str:
    if segment.admits_media:
        return "pp-tl-ok"
    if segment.session is None:
        return "pp-tl-none"
    if segment.reason == "closed_to_media":
        return "pp-tl-closed"
    return "pp-tl-wait"


def _access(session) -> str:
    return str(Session.MediaAccess(session.media_access).label) if session else ""


def day_rows(windows, *, day: dt.date, tz: dt.tzinfo) -> tuple[list[Row], list[Hour]]:
    """The day's segments as the gate applies them (checkpoint_timeline), and the strip's
    hours. Widths are in minutes since local midnight, so a day that gains or loses an hour
    is drawn 25 or 23 hours long."""
    segments = gate.checkpoint_timeline(windows, day=day, tz=tz)
    day_start, day_end = segments[0].starts, segments[-1].ends

    def minute(t: dt.datetime) -> int:
        return round((t - day_start).total_seconds() / 60)

    def clock(t: dt.datetime) -> str:
        return "24:00" if t == day_end else t.astimezone(tz).strftime("%H:%M")

    rows = [
        Row(
            starts=clock(s.starts),
            ends=clock(s.ends),
            title=s.session.display_title() if s.session else gettext("No session"),
            access=_access(s.session),
            admits=s.admits_media,
            reason=gate.reason_message(s.reason),
            css=_css(s),
            minutes=minute(s.ends) - minute(s.starts),
        )
        for s in segments
    ]
    total = minute(day_end)
    hours = [
        Hour(
            label=(day_start + dt.timedelta(minutes=m)).astimezone(tz).strftime("%H"),
            minutes=min(60, total - m),
        )
        for m in range(0, total, 60)
    ]
    return rows, hours


@dataclass(frozen=True)
class WindowRow:
    title: str
    access: str
    starts: str
    ends: str
    opens: str
    closes: str
    end_announced: bool


def window_rows(windows, tz: dt.tzinfo) -> list[WindowRow]:
    """The sessions the checkpoint serves with the window the gate applies to each."""

    def when(t: dt.datetime | None) -> str:
        return date_format(t.astimezone(tz), "D j M H:i") if t else ""

    return [
        WindowRow(
            title=w.display_title(),
            access=_access(w),
            starts=when(w.starts_at),
            ends=when(w.ends_at),
            opens=when(w.opens_at),
            closes=when(w.closes_at),
            end_announced=w.ends_at is not None,
        )
        for w in windows
    ]
