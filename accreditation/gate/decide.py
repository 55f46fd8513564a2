"""Deciding an online scan and logging it, and what gates read: counters, the revocation list,
the windows of a checkpoint's sessions. Imports: rules, keys, sql, tickets, models."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Count, F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _

from accreditation.errors import ServiceError
from accreditation.gate.rules import (
    ADMIT,
    ADMIT_REASONS,
    DENY,
    ENTRY,
    EXIT,
    NOT_COLLECTED_STATUSES,
    SessionWindow,
    choose_session,
    flag_message,
    make_window,
    reason_message,
    scan_reason,
    settle_windows,
)
from accreditation.gate.sql import CheckpointContext, raced_entry, record_scan
from accreditation.models import Badge, Scan, Status
from accreditation.workflow import audit
from events.models import Checkpoint, Event, Session


@dataclass(frozen=True, slots=True)
class Holder:
    """What the agent sees to match the face: never more than this one badge's holder."""

    badge_id: int
    version: int
    given_names: str
    family_names: str
    outlet: str
    country: str  # ISO 3166 code

    @property
    def number(self) -> str:
        return f"{self.badge_id:06d}"

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.given_names, self.family_names.upper()) if p)


@dataclass(frozen=True, slots=True)
class GateDecision:
    decision: str
    reason: str
    direction: str
    flag: str = ""
    session: SessionWindow | None = None
    holder: Holder | None = None
    scan_id: int | None = None
    duplicate: bool = False
    scanned_at: dt.datetime | None = None

    @property
    def admitted(self) -> bool:
        return self.decision == ADMIT

    @property
    def message(self) -> str:
        return reason_message(self.reason)

    @property
    def flag_message(self) -> str:
        return flag_message(self.flag)


def gate_decide(
    *,
    context: CheckpointContext,
    agent_id: int,
    direction: str = ENTRY,
    device_id: str,
    client_scan_id: str,
    digest: str = "",
    now: dt.datetime | None = None,
) -> GateDecision:
    """Decide one online scan of the code read into ``context`` (checkpoint_context) and log
    it. Idempotent per device and scan id: a retried request (same code, ``digest`` =
    code_digest) gets the first answer back, recorded once; the scan id reused for another
    code is refused (ServiceError ``scan_id_reused``)."""
    if direction not in (ENTRY, EXIT):
        raise ServiceError("direction", _("A scan is an entry (in) or an exit (out)."))
    if not context.exists:
        raise ServiceError("unknown_checkpoint", _("There is no such checkpoint."))
    now = now or timezone.now()
    claims, reason = context.claims, context.code_reason
    granted = frozenset(claims.session_ids) if claims is not None and reason is None else ()
    inside = (
        [pk for pk, last in context.last_direction.items() if last == ENTRY]
        if direction == EXIT and context.badge is not None
        else ()
    )
    session = choose_session(context.windows, now, granted, direction, inside)
    holder = None
    last_direction = None
    badge = None
    if reason is None and claims is not None and context.badge is not None:
        pk, version, collected_at, status, given, family, outlet, country = context.badge
        badge = (version, status, collected_at)
        holder = Holder(
            badge_id=pk,
            version=claims.version,
            given_names=given,
            family_names=family,
            outlet=outlet,
            country=country,
        )
        last_direction = context.last_direction.get(session.id) if session else None
    reason = scan_reason(
        claims=claims,
        code_reason=reason,
        badge=badge,
        session=session,
        now=now,
        direction=direction,
    )
    flag = ""
    if reason == "ok" and last_direction == ENTRY:
        flag = "already_inside"
    elif reason == "exit" and last_direction != ENTRY:
        flag = "not_inside"
    decision = ADMIT if reason in ADMIT_REASONS else DENY
    scan_id = record_scan(
        checkpoint_id=context.checkpoint_id,
        session_id=session.id if session else None,
        badge_id=holder.badge_id if holder else None,
        badge_version=claims.version if claims else None,
        direction=direction,
        decision=decision,
        reason=reason,
        agent_id=agent_id,
        device_id=device_id,
        client_scan_id=client_scan_id,
        scanned_at=now,
        offline=False,
        flag=flag,
        code_digest=digest,
    )
    duplicate = scan_id is None
    if (
        scan_id is not None
        and session is not None
        and holder is not None
        and decision == ADMIT
        and direction == ENTRY
        and not flag
    ):
        flag = _raced_entry(scan_id, badge_id=holder.badge_id, session_id=session.id)
    if duplicate:  # the same scan again (a retry after a lost answer): the first answer
        first = (
            Scan.objects.filter(device_id=device_id, client_scan_id=client_scan_id)
            .values_list(
                "pk",
                "decision",
                "reason",
                "flag",
                "badge_id",
                "direction",
                "scanned_at",
                "session_id",
                "code_digest",
            )
            .first()
        )
        scan_id, decision, reason, flag, badge_id, direction, now, session_id, first_digest = first
        if not constant_time_compare(first_digest, digest):
            raise ServiceError(
                "scan_id_reused", _("This scan id was already used for another badge code.")
            )
        # The answer is the first scan's: its holder and session, not this request's (a retry
        # that arrives after the checkpoint moved on to its next session still names the
        # first; a client that reused a scan id elsewhere gets no one else's data).
        if holder is not None and holder.badge_id != badge_id:
            holder = None
        if session is None or session.id != session_id:
            session = next((w for w in context.windows if w.id == session_id), None)
    return GateDecision(
        decision=decision,
        reason=reason,
        direction=direction,
        flag=flag,
        session=session,
        holder=holder,
        scan_id=scan_id,
        duplicate=duplicate,
        scanned_at=now,
    )


# Two gates admitting the same badge at the same instant both read "not inside" before either
# wrote: the later of the two rows is flagged here, once both are committed.
RACE_WINDOW = dt.timedelta(seconds=30)


def _raced_entry(scan_id: int, *, badge_id: int, session_id: int) -> str:
    """After an admitted entry without a flag (its own read saw no entry): another admitted
    entry of the same badge and session recorded moments ago means two gates raced. The later
    row (the larger id) is flagged ``already_inside``; each scan writes and commits before it
    looks, so at least one of the two sees the other and the flag is never lost. Returns this
    scan's flag. (One more statement, on the kept cursor, for first entries only.)"""
    other = raced_entry(
        scan_id=scan_id,
        badge_id=badge_id,
        session_id=session_id,
        since=timezone.now() - RACE_WINDOW,
    )
    if other is None:
        return ""
    later = max(scan_id, other)
    Scan.objects.filter(pk=later, flag="").update(flag="already_inside")
    return "already_inside" if later == scan_id else ""


TOKEN_ISSUED = "gate.token_issued"


def record_token_issued(*, agent, ip_address: str | None) -> None:
    """Log that a gate token was given to this agent (the gate page asks for one when it opens):
    who used the gates, when, from where."""
    audit(action=TOKEN_ISSUED, actor=agent, ip_address=ip_address or None)


def disagreements_per_checkpoint(scans):
    """Of ``scans`` (a Scan query set), per checkpoint: how many uploaded scans the phone
    decided otherwise than the server's rules (the supervisors' list of what to look into)."""
    return list(
        scans.filter(flag="device_disagreed")
        .order_by()
        .values("checkpoint__id", "checkpoint__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "checkpoint__name")
    )


def session_counters(*, session_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Per session: badges admitted so far (distinct), and badges inside now (their last
    admitted scan of the session is an entry). Two queries, whatever the number of sessions."""
    ids = list(session_ids)
    counters = {pk: {"admitted": 0, "inside": 0} for pk in ids}
    if not ids:
        return counters
    admitted = (
        Scan.objects.filter(
            session_id__in=ids, decision=ADMIT, direction=ENTRY, badge_id__isnull=False
        )
        .order_by()
        .values_list("session_id", "badge_id")
        .distinct()
    )
    for session_id, n in Counter(s for s, _b in admitted).items():
        counters[session_id]["admitted"] = n
    # The last admitted scan of each badge in each session (a window function), then those
    # that are entries. (Filtering on the direction inside the query would rank entries only.)
    last = (
        Scan.objects.filter(session_id__in=ids, decision=ADMIT, badge_id__isnull=False)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("session_id"), F("badge_id")],
                order_by=[F("scanned_at").desc(), F("pk").desc()],
            )
        )
        .filter(rank=1)
        .order_by()
        .values_list("session_id", "direction")
    )
    for session_id, n in Counter(s for s, d in last if d == ENTRY).items():
        counters[session_id]["inside"] = n
    return counters


def revocation_list(*, event_id: int) -> dict:
    """Every badge of the event that must not be admitted in some version: ``[badge_id,
    current_version, reason]`` where reason is ``revoked`` or ``not_collected`` for the current
    version, or ``""`` when only older versions are refused. ``max_badge_id``: a gate refuses a
    genuine code of a newer badge (``unknown_badge``) until it synchronises again."""
    entries = []
    max_badge_id = 0
    rows = (
        Badge.objects.filter(event_id=event_id)
        .order_by("pk")
        .values_list("pk", "version", "request__status", "collected_at")
    )
    for pk, version, status, collected_at in rows.iterator(chunk_size=5000):
        max_badge_id = pk
        if status == Status.COLLECTED and collected_at is not None:
            reason = ""
        elif status in NOT_COLLECTED_STATUSES or status == Status.COLLECTED:
            reason = "not_collected"
        else:
            reason = "revoked"
        if reason or version > 1:
            entries.append([pk, version, reason])
    return {"max_badge_id": max_badge_id, "badges": entries}


def announced_window(session: Session, event: Event) -> SessionWindow:
    """A session's window as announced (an unknown end not yet settled: event_windows)."""
    return make_window(
        pk=session.pk,
        title=session.title,
        titles=session.titles,
        kind=session.kind,
        media_access=session.media_access,
        colour=session.colour,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        doors_open_minutes=event.doors_open_minutes,
    )


def checkpoint_windows(checkpoint: Checkpoint) -> list[SessionWindow]:
    """The windows of the sessions a checkpoint serves, as its gate applies them."""
    return event_windows(checkpoint.event, checkpoint.sessions.all())


def event_windows(event: Event, sessions: Iterable[Session]) -> list[SessionWindow]:
    """The windows of ``sessions`` (of ``event``) served together at one checkpoint."""
    windows = [announced_window(s, event) for s in sessions]
    return settle_windows(
        windows, open_default_minutes=event.open_session_default_minutes, tz=event.tz
    )
