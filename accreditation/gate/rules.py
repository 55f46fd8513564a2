"""The gate's rules, pure: which session a checkpoint applies when, and why a badge is admitted
or denied. No database, no request: gate_decide (decide.py) and offline_upload (offline.py)
feed them what they read; static/gate/rules.js is the same rules for a phone offline, and one
table of cases (tests/gate/rules_cases.json) is run against both.

A gate scan is decided by rules applied in a fixed order; the first that fails is the reason
(a machine code for programs, a translated message for the agent):

1. the code is a genuine badge code: ``malformed``, ``unsupported_format``, ``unknown_key``,
   ``bad_signature`` (accreditation.badges.signing.verify_code);
2. it is a badge of this checkpoint's event: ``wrong_event``;
3. the badge exists: ``unknown_badge``;
4. it is the badge's current version (a reissue supersedes older ones): ``old_version``;
5. the accreditation stands: ``revoked`` (revoked, withdrawn, rejected or reopened);
6. the badge was collected at the desk: ``not_collected``;
7. the checkpoint has a current session (``no_session``) that is open to media
   (``closed_to_media``, whatever the badge grants — and a closed session in progress decides
   every entry at its checkpoint), announced (``not_announced``), and open now (``too_early``,
   ``session_over``): from ``starts_at − event.doors_open_minutes`` up to ``ends_at``
   (exclusive), an unknown end settled by settle_windows;
8. the badge grants that session: ``not_granted`` (also for "on request" sessions).

Otherwise the badge is admitted (``ok``). An exit scan only needs rules 1–3 (``exit``).
Imports: models' enums only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from accreditation.badges.signing import ERROR_MESSAGES as CODE_ERROR_MESSAGES
from accreditation.badges.signing import BadgeClaims
from accreditation.models import Scan, Status
from events.models import Session, media_may_enter

ADMIT = Scan.Decision.ADMIT.value


DENY = Scan.Decision.DENY.value


ENTRY = Scan.Direction.ENTRY.value


EXIT = Scan.Direction.EXIT.value


CLOSED = Session.MediaAccess.CLOSED.value


MAX_DB_ID = 2**63 - 1


# Every reason a scan can have, in the order the rules are applied (docs/gate.md).
REASONS: dict[str, object] = {
    "ok": _("Valid badge for this session."),
    "exit": _("Exit recorded."),
    **CODE_ERROR_MESSAGES,  # malformed, unsupported_format, unknown_key, bad_signature
    "wrong_event": _("This badge is for another event."),
    "unknown_badge": _("This badge is not known here."),
    "old_version": _("This badge was replaced by a newer one and is no longer valid."),
    "revoked": _("This accreditation was revoked or withdrawn."),
    "not_collected": _("This badge was not handed over at the badge desk."),
    "no_session": _("No session is served at this checkpoint."),
    "closed_to_media": _("This session is closed to media."),
    "not_announced": _("The time of this session is not announced yet: no one is admitted."),
    "too_early": _("Doors are not open yet for this session."),
    "session_over": _("This session is over."),
    "not_granted": _("This badge does not give access to this session."),
    # Offline only: the phone's list is older than the event allows (Event.gate_stale_list_blocks).
    "stale_list": _("The gate's list is out of date: connect to the network before admitting."),
}


ADMIT_REASONS = frozenset({"ok", "exit"})


FLAGS: dict[str, object] = {
    "device_disagreed": _(
        "Decided offline: the phone's verdict differs from the server's rules (see the log)."
    ),
    "already_inside": _("Already inside: no exit since the last entry."),
    "not_inside": _("No entry was recorded for this badge."),
    "admitted_at_two_gates": _("Admitted at two gates while offline."),
    "agent_not_allowed": _(
        "Scanned offline by an account that may no longer scan badges (deactivated, or no "
        "longer a gate agent) before the upload."
    ),
}


# The request statuses of a badge that is issued but not (or no longer) in its holder's hands.
NOT_COLLECTED_STATUSES = frozenset({Status.APPROVED, Status.BADGE_ISSUED, Status.PRINTED})


def reason_message(code: str) -> str:
    return str(REASONS[code])


def flag_message(code: str) -> str:
    return str(FLAGS[code]) if code else ""


@dataclass(frozen=True, slots=True)
class SessionWindow:
    """A session served at a checkpoint, with the times it admits media."""

    id: int
    title: str
    titles: dict
    kind: str
    media_access: str
    colour: str
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    opens_at: dt.datetime | None  # None: not announced
    closes_at: dt.datetime | None  # exclusive

    @property
    def open_to_media(self) -> bool:
        return media_may_enter(self.media_access)

    def display_title(self, language: str | None = None) -> str:
        language = (language or get_language() or "en")[:2]
        return self.titles.get(language) or self.title


def admission_window(
    *,
    starts_at: dt.datetime | None,
    ends_at: dt.datetime | None,
    doors_open_minutes: int,
) -> tuple[dt.datetime, dt.datetime | None] | None:
    """[opens, closes) in UTC as announced: doors open before the start, until the end. An
    unknown start admits no one (None); an unknown end is None here and settled against the
    other sessions of the checkpoint (settle_windows)."""
    if starts_at is None:
        return None
    opens = starts_at - dt.timedelta(minutes=doors_open_minutes)
    return opens.astimezone(dt.UTC), ends_at.astimezone(dt.UTC) if ends_at else None


def make_window(
    *,
    pk: int,
    title: str,
    titles: dict,
    kind: str,
    media_access: str,
    colour: str,
    starts_at: dt.datetime | None,
    ends_at: dt.datetime | None,
    doors_open_minutes: int,
) -> SessionWindow:
    """A session's window as announced; settle_windows gives an unknown end its limit."""
    window = admission_window(
        starts_at=starts_at, ends_at=ends_at, doors_open_minutes=doors_open_minutes
    )
    return SessionWindow(
        id=pk,
        title=title,
        titles=titles or {},
        kind=kind,
        media_access=media_access,
        colour=colour,
        starts_at=starts_at,
        ends_at=ends_at,
        opens_at=window[0] if window else None,
        closes_at=window[1] if window else None,
    )


def settle_windows(
    windows: Sequence[SessionWindow], *, open_default_minutes: int, tz: dt.tzinfo
) -> list[SessionWindow]:
    """The windows of the sessions one checkpoint serves, each with a definite end.

    A session without an announced end admits at most until the next session served by the
    same checkpoint opens its doors; an open one also at most ``open_default_minutes`` after
    its start (never "until midnight"), a closed one until the end of its local day (keeping a
    closed session closed longer is the safe side). Sorted by opening, unannounced last."""
    settled = []
    for w in windows:
        if w.opens_at is not None and w.closes_at is None:
            assert w.starts_at is not None  # a window opens only from an announced start
            if w.open_to_media:
                limit = w.starts_at + dt.timedelta(minutes=open_default_minutes)
            else:
                next_day = w.starts_at.astimezone(tz).date() + dt.timedelta(days=1)
                limit = dt.datetime.combine(next_day, dt.time(0), tzinfo=tz)
            later = [
                o.opens_at for o in windows if o.opens_at is not None and o.opens_at > w.opens_at
            ]
            w = replace(w, closes_at=min([limit, *later]).astimezone(dt.UTC))
        settled.append(w)
    settled.sort(key=lambda w: (w.opens_at is None, w.opens_at or dt.datetime.min, w.id))
    return settled


def choose_session(
    windows: Sequence[SessionWindow],
    now: dt.datetime,
    granted: Iterable[int] = (),
    direction: str = ENTRY,
    inside: Iterable[int] = (),
) -> SessionWindow | None:
    """The checkpoint's current session for this scan.

    An exit of a badge that is inside sessions of the checkpoint (``inside``: their last
    admitted scan is an entry) is recorded against one of those.

    An entry while a session closed to media is in progress (from its doors to its end) is
    decided against that session, whatever else the checkpoint serves and whatever the badge
    grants. Otherwise the sessions admitting now come first; among several, one the badge is
    granted and that is open to media, then one open to media. Otherwise the next to open (so
    the agent hears "too early"), then one not announced yet, then the last that ended. An exit
    after a session prefers the session that just ended.
    """
    if not windows:
        return None
    granted = frozenset(granted)
    if direction == EXIT and inside:
        inside = frozenset(inside)
        within = [w for w in windows if w.id in inside]
        if within:
            windows = within

    def rank(w: SessionWindow) -> tuple[bool, bool]:
        return (w.id in granted and w.open_to_media, w.open_to_media)

    current = [
        w
        for w in windows
        if w.opens_at is not None and w.closes_at is not None and w.opens_at <= now < w.closes_at
    ]
    if direction == ENTRY:
        closed = [w for w in current if not w.open_to_media]
        if closed:
            return min(closed, key=lambda w: (w.opens_at, w.id))
    if current:
        return max(current, key=rank)
    past = [w for w in windows if w.closes_at is not None and w.closes_at <= now]
    if direction == EXIT and past:
        return max(past, key=_closing)
    upcoming = [w for w in windows if w.opens_at is not None and now < w.opens_at]
    if upcoming:
        first = min(_opening(w) for w in upcoming)
        return max((w for w in upcoming if w.opens_at == first), key=rank)
    unannounced = [w for w in windows if w.opens_at is None]
    if unannounced:
        return max(unannounced, key=rank)
    return max(past, key=_closing)


_NEVER = dt.datetime.min.replace(tzinfo=dt.UTC)


def _opening(w: SessionWindow) -> dt.datetime:
    return w.opens_at or _NEVER


def _closing(w: SessionWindow) -> dt.datetime:
    return w.closes_at or _NEVER


def media_area_full(inside: int, capacity: int | None) -> bool:
    """The session's media area holds as many as it has places (Session.media_capacity): the
    gate tells the agent, who lets in no one more until someone leaves."""
    return capacity is not None and inside >= capacity


def session_reason(window: SessionWindow | None, now: dt.datetime, granted: Iterable[int]) -> str:
    """Rules 7 and 8 for the chosen session."""
    if window is None:
        return "no_session"
    if not window.open_to_media:
        return "closed_to_media"
    if window.opens_at is None:
        return "not_announced"
    if now < window.opens_at:
        return "too_early"
    if window.closes_at is not None and now >= window.closes_at:
        return "session_over"
    if window.id not in frozenset(granted):
        return "not_granted"
    return "ok"


def badge_reason(
    *, version: int, status: str, collected_at: dt.datetime | None, claims: BadgeClaims
) -> str | None:
    """Rules 4–6 for a badge found in the database; None when it may enter (sessions aside)."""
    if claims.version < version:
        return "old_version"
    if claims.version != version:  # a version the database never issued
        return "unknown_badge"
    if status == Status.COLLECTED:
        return None if collected_at is not None else "not_collected"
    if status in NOT_COLLECTED_STATUSES:
        return "not_collected"
    return "revoked"  # revoked, withdrawn, rejected, or reopened after a revocation


def scan_reason(
    *,
    claims: BadgeClaims | None,
    code_reason: str | None,
    badge: tuple[int, str, dt.datetime | None] | None,
    session: SessionWindow | None,
    now: dt.datetime,
    direction: str,
) -> str:
    """The reason for a scan, rules 1–8 in order: the code's own reason if it is not a genuine
    code of this event; the badge's (``badge`` = its version, request status and collection
    time, None if unknown); for an exit, ``exit``; then the chosen session's."""
    if code_reason is not None:
        return code_reason
    if badge is None or claims is None:  # a badge is only ever found from its claims
        return "unknown_badge"
    if direction == EXIT:
        return "exit"
    version, status, collected_at = badge
    granted = claims.session_ids
    return badge_reason(
        version=version, status=status, collected_at=collected_at, claims=claims
    ) or session_reason(session, now, granted)


@dataclass(frozen=True, slots=True)
class TimelineSegment:
    """[starts, ends): the session the gate applies to an entry then, and its answer for a
    media badge that grants every session (``ok`` = admits media granted it)."""

    starts: dt.datetime
    ends: dt.datetime
    session: SessionWindow | None
    reason: str

    @property
    def admits_media(self) -> bool:
        return self.reason == "ok"


def checkpoint_timeline(
    windows: Sequence[SessionWindow], *, day: dt.date, tz: dt.tzinfo
) -> list[TimelineSegment]:
    """The checkpoint's day (local midnight to midnight) cut where the gate's answer changes,
    each piece decided by the very functions a scan uses (choose_session, session_reason)."""
    day_start = dt.datetime.combine(day, dt.time(0), tzinfo=tz).astimezone(dt.UTC)
    day_end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    day_end = day_end.astimezone(dt.UTC)
    points = {day_start, day_end}
    for w in windows:
        for t in (w.opens_at, w.closes_at):
            if t is not None and day_start < t < day_end:
                points.add(t)
    granted = frozenset(w.id for w in windows)
    segments: list[TimelineSegment] = []
    ordered = sorted(points)
    for a, b in zip(ordered, ordered[1:], strict=False):
        session = choose_session(windows, a, granted, ENTRY)
        reason = session_reason(session, a, granted)
        last = segments[-1] if segments else None
        if last and last.session == session and last.reason == reason:
            segments[-1] = replace(last, ends=b)
        else:
            segments.append(TimelineSegment(a, b, session, reason))
    return segments


@dataclass(frozen=True, slots=True)
class WindowWarning:
    code: str  # no_end, overlap, open_covers_closed
    message: str


def checkpoint_warnings(windows: Sequence[SessionWindow], *, tz: dt.tzinfo) -> list[WindowWarning]:
    """What a supervisor should fix or know about the sessions one checkpoint serves."""
    from django.utils.formats import date_format

    def when(t: dt.datetime) -> str:
        return date_format(t.astimezone(tz), "D j M H:i")

    warnings = []
    for w in windows:
        if w.starts_at is not None and w.ends_at is None and w.closes_at is not None:
            warnings.append(
                WindowWarning(
                    "no_end",
                    gettext(
                        "%(session)s has no announced end: the gate admits until %(until)s "
                        "(%(tz)s)."
                    )
                    % {"session": w.display_title(), "until": when(w.closes_at), "tz": tz},
                )
            )
    announced = [w for w in windows if w.opens_at is not None and w.closes_at is not None]
    for i, a in enumerate(announced):
        for b in announced[i + 1 :]:
            start = max(_opening(a), _opening(b))
            end = min(_closing(a), _closing(b))
            if start >= end:
                continue
            values = {"from": when(start), "to": when(end), "tz": tz}
            if a.open_to_media != b.open_to_media:
                open_, closed = (a, b) if a.open_to_media else (b, a)
                warnings.append(
                    WindowWarning(
                        "open_covers_closed",
                        gettext(
                            "The window of %(open)s covers the closed %(closed)s: media are "
                            "denied from %(from)s to %(to)s (%(tz)s)."
                        )
                        % {
                            "open": open_.display_title(),
                            "closed": closed.display_title(),
                            **values,
                        },
                    )
                )
            else:
                warnings.append(
                    WindowWarning(
                        "overlap",
                        gettext(
                            "%(first)s and %(second)s overlap at this checkpoint from %(from)s "
                            "to %(to)s (%(tz)s)."
                        )
                        % {"first": a.display_title(), "second": b.display_title(), **values},
                    )
                )
    return warnings
