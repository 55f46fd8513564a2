"""Gate decisions: which badge may enter which session, now; and the log of every scan.

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
   (``closed_to_media``, whatever the badge grants), announced (``not_announced``: a session
   without a start time admits no one), and open now (``too_early``, ``session_over``): from
   ``starts_at − event.doors_open_minutes`` up to ``ends_at`` (exclusive), or to the end of
   the session's local day when its end is not announced;
8. the badge grants that session: ``not_granted`` (also for "on request" sessions).

Otherwise the badge is admitted (``ok``). An exit scan only needs rules 1–3 (``exit``). A
second entry without an exit since the last admitted entry is admitted and flagged
``already_inside``; an exit without an entry is flagged ``not_inside``; an offline entry that
overlaps another device's entry of the same badge is flagged ``admitted_at_two_gates`` when it
is uploaded.

Speed: an online scan costs two SQL statements — one read of the checkpoint's sessions with
the agent's right to scan and the scanned badge (its request, its last admitted scan of each
session) riding along, and one ``INSERT … ON CONFLICT DO NOTHING`` that makes retries
idempotent. Both are written out once per process (building them with the ORM cost more than
the rest of the scan) and, on PostgreSQL, prepared once per connection. Public keys are
loaded once per process. bench/bench_scan.py measures it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import time
import zoneinfo
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.dateparse import parse_datetime
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accreditation.badges.signing import (
    BadgeClaims,
    BadgeCodeError,
    load_public_keys,
    public_key_b64,
    verify_code,
)
from accreditation.errors import ServiceError
from accreditation.models import AccreditationRequest, Badge, Document, Scan, Status
from accreditation.workflow import audit
from events.models import Checkpoint, Event, Session

ADMIT = Scan.Decision.ADMIT.value
DENY = Scan.Decision.DENY.value
ENTRY = Scan.Direction.ENTRY.value
EXIT = Scan.Direction.EXIT.value
CLOSED = Session.MediaAccess.CLOSED.value

# Every reason a scan can have, in the order the rules are applied (docs/gate.md).
REASONS: dict[str, object] = {
    "ok": _("Valid badge for this session."),
    "exit": _("Exit recorded."),
    "malformed": _("This is not a readable badge code."),
    "unsupported_format": _("This badge code has an unknown format."),
    "unknown_key": _("This badge was signed with an unknown key."),
    "bad_signature": _("This badge code is not genuine."),
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
}
ADMIT_REASONS = frozenset({"ok", "exit"})
FLAGS: dict[str, object] = {
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

PHOTO_SALT = "presspass.gate.photo"
PHOTO_TICKET_MAX_AGE = 15 * 60
TOKEN_SALT = "presspass.gate.token"
AGENT_SALT = "presspass.gate.agent"
# How long a page's proof of its agent names the scans it queues offline (its upload may wait
# for the network, or for the next shift).
AGENT_TICKET_MAX_AGE = 7 * 24 * 3600
MAX_DB_ID = 2**63 - 1


def reason_message(code: str) -> str:
    return str(REASONS[code])


def flag_message(code: str) -> str:
    return str(FLAGS[code]) if code else ""


# --- keys ------------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _load_keys(items: tuple[tuple[int, str], ...]):
    return load_public_keys(items)


def public_keys():
    """The trusted public keys, parsed once per process (per distinct setting)."""
    return _load_keys(tuple(sorted(settings.BADGE_PUBLIC_KEYS.items())))


def public_keys_b64() -> list[dict]:
    return [
        {"key_id": key_id, "public_key": public_key_b64(key)}
        for key_id, key in sorted(public_keys().items())
    ]


# --- sessions and their admission windows ----------------------------------------------------


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
        return self.media_access != CLOSED

    def display_title(self, language: str | None = None) -> str:
        language = (language or get_language() or "en")[:2]
        return self.titles.get(language) or self.title


def admission_window(
    *,
    starts_at: dt.datetime | None,
    ends_at: dt.datetime | None,
    doors_open_minutes: int,
    tz: dt.tzinfo,
) -> tuple[dt.datetime, dt.datetime] | None:
    """[opens, closes) in UTC: doors open before the start, until the end; an unknown end
    means the end of the session's local day; an unknown start admits no one (None)."""
    if starts_at is None:
        return None
    opens = starts_at - dt.timedelta(minutes=doors_open_minutes)
    if ends_at is None:
        next_day = starts_at.astimezone(tz).date() + dt.timedelta(days=1)
        closes = dt.datetime.combine(next_day, dt.time(0), tzinfo=tz)
    else:
        closes = ends_at
    return opens.astimezone(dt.UTC), closes.astimezone(dt.UTC)


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
    tz: dt.tzinfo,
) -> SessionWindow:
    window = admission_window(
        starts_at=starts_at, ends_at=ends_at, doors_open_minutes=doors_open_minutes, tz=tz
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


def choose_session(
    windows: Sequence[SessionWindow],
    now: dt.datetime,
    granted: Iterable[int] = (),
    direction: str = ENTRY,
) -> SessionWindow | None:
    """The checkpoint's current session for this scan.

    The sessions admitting now come first; among several, one the badge is granted and that is
    open to media, then one open to media. Otherwise the next to open (so the agent hears
    "too early"), then one not announced yet, then the last that ended. An exit after a
    session prefers the session that just ended.
    """
    if not windows:
        return None
    granted = frozenset(granted)

    def rank(w: SessionWindow) -> tuple[bool, bool]:
        return (w.id in granted and w.open_to_media, w.open_to_media)

    current = [w for w in windows if w.opens_at is not None and w.opens_at <= now < w.closes_at]
    if current:
        return max(current, key=rank)
    past = [w for w in windows if w.closes_at is not None and w.closes_at <= now]
    if direction == EXIT and past:
        return max(past, key=lambda w: w.closes_at)
    upcoming = [w for w in windows if w.opens_at is not None and now < w.opens_at]
    if upcoming:
        first = min(w.opens_at for w in upcoming)
        return max((w for w in upcoming if w.opens_at == first), key=rank)
    unannounced = [w for w in windows if w.opens_at is None]
    if unannounced:
        return max(unannounced, key=rank)
    return max(past, key=lambda w: w.closes_at)


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
    if now >= window.closes_at:
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


# --- the checkpoint, read once per scan -------------------------------------------------------


@dataclass(slots=True)
class CheckpointContext:
    checkpoint_id: int
    exists: bool
    event_id: int | None = None
    time_zone: str = "UTC"
    doors_open_minutes: int = 0
    windows: list[SessionWindow] = field(default_factory=list)
    # The agent's password hash when the agent is active and may scan, else None; the API
    # checks its token against it (a password change invalidates the agent's tokens).
    agent_password: str | None = None
    # The scanned code, when there is one: its claims if genuine (else the reason), and the
    # badge it names — (id, version, collected_at, request status, given names, family names,
    # outlet, outlet country) — with the direction of its last admitted scan per session.
    claims: BadgeClaims | None = None
    code_reason: str | None = None
    badge: tuple | None = None
    last_direction: dict[int, str | None] = field(default_factory=dict)

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


def _agent_subquery(agent_id: int):
    """The agent's password hash, if the agent is active and holds accreditation.scan_badge."""
    scan_perm = Permission.objects.filter(
        codename="scan_badge", content_type__app_label="accreditation"
    )
    return (
        get_user_model()
        .objects.filter(pk=agent_id, is_active=True)
        .filter(
            Q(is_superuser=True)
            | Exists(scan_perm.filter(user=OuterRef("pk")))
            | Exists(scan_perm.filter(group__user=OuterRef("pk")))
        )
        .values("password")[:1]
    )


def agent_password(*, agent_id: int) -> str | None:
    """One query: the agent's password hash if the agent may scan badges, else None."""
    if not 0 < agent_id <= MAX_DB_ID:
        return None
    row = (
        get_user_model()
        .objects.filter(pk=agent_id)
        .annotate(ok=Subquery(_agent_subquery(agent_id)))
        .values_list("ok", flat=True)
        .first()
    )
    return row


TOKEN_ISSUED = "gate.token_issued"


def record_token_issued(*, agent, ip_address: str | None) -> None:
    """Log that a gate token was given to this agent (the gate page asks for one when it opens):
    who used the gates, when, from where."""
    audit(action=TOKEN_ISSUED, actor=agent, ip_address=ip_address or None)


def agent_ticket(agent_id: int) -> str:
    """Proof that this agent was signed in on a gate page when it asked for a gate token: the
    scans it queues offline carry it, so that whoever uploads them later cannot credit them to
    someone else. Handed out with the token only, never written in the page (which the service
    worker keeps, signed-out or not)."""
    return stamp(AGENT_SALT, agent_id)


# A phone's clock, even corrected by the page, may run a little ahead of ours.
AGENT_TICKET_SKEW = 10 * 60


def ticket_names(ticket: str | None, agent_id: int, *, scanned_at: dt.datetime) -> bool:
    """Whether ``ticket`` proves that this agent was on the gate page that made a scan at
    ``scanned_at``: the agent's, issued before the scan and at most AGENT_TICKET_MAX_AGE ago."""
    if not ticket or not isinstance(ticket, str):
        return False
    try:
        fields = unstamp(AGENT_SALT, ticket, max_age=AGENT_TICKET_MAX_AGE)
        issued = int(ticket.rsplit(".", 2)[1], 16)
    except (StampError, ValueError, IndexError):
        return False
    when = scanned_at.timestamp()
    return fields == [str(agent_id)] and issued - AGENT_TICKET_SKEW <= when <= time.time()


def token_fingerprint(password: str) -> str:
    """Ties a gate token to the agent's current password: changing it invalidates tokens."""
    return salted_hmac(TOKEN_SALT, password, algorithm="sha256").hexdigest()[:24]


@lru_cache(maxsize=4)
def _hot_sql(vendor: str) -> dict[str, str]:
    """The statements of a scan, written out once per process: building them with the ORM on
    every scan cost more than the rest of the scan together (bench/bench_scan.py)."""
    qn = connection.ops.quote_name
    user_model = get_user_model()

    def table(model) -> str:
        return qn(model._meta.db_table)

    def col(model, name: str) -> str:
        return qn(model._meta.get_field(name).column)

    User, Through = user_model, Checkpoint.sessions.through
    UserPerm, UserGroup = user_model.user_permissions.through, user_model.groups.through
    GroupPerm = Group.permissions.through
    # Constants of the code, not input: written into the statement.
    codename, app_label, model = _perm_params()
    assert all(re.fullmatch(r"[a-z0-9_]+", part) for part in (codename, app_label, model))
    perm = (
        f"(SELECT p.{col(Permission, 'id')} FROM {table(Permission)} p"
        f" WHERE p.{col(Permission, 'codename')} = '{codename}'"
        f" AND p.{col(Permission, 'content_type')} ="
        f" (SELECT ct.{col(ContentType, 'id')} FROM {table(ContentType)} ct"
        f" WHERE ct.{col(ContentType, 'app_label')} = '{app_label}'"
        f" AND ct.{col(ContentType, 'model')} = '{model}'))"
    )
    # The agent's password hash if active and allowed to scan (directly, by a group, or as a
    # superuser); every lookup by the agent's id, so it stays an index probe however many
    # staff there are. Parameters: the agent's id, three times.
    agent = (
        f"(SELECT u.{col(User, 'password')} FROM {table(User)} u"
        f" WHERE u.{col(User, 'id')} = %s AND u.{col(User, 'is_active')}"
        f" AND (u.{col(User, 'is_superuser')}"
        f" OR EXISTS (SELECT 1 FROM {table(UserPerm)} up WHERE up.{col(UserPerm, 'user')} = %s"
        f" AND up.{col(UserPerm, 'permission')} = {perm})"
        f" OR EXISTS (SELECT 1 FROM {table(UserGroup)} ug JOIN {table(GroupPerm)} gp"
        f" ON gp.{col(GroupPerm, 'group')} = ug.{col(UserGroup, 'group')}"
        f" WHERE ug.{col(UserGroup, 'user')} = %s AND gp.{col(GroupPerm, 'permission')} = {perm})))"
    )
    R = AccreditationRequest

    def last(session: str) -> str:
        """The direction of the badge's last admitted scan of a session."""
        return (
            f"(SELECT sc.{col(Scan, 'direction')} FROM {table(Scan)} sc"
            f" WHERE sc.{col(Scan, 'badge')} = b.{col(Badge, 'id')}"
            f" AND sc.{col(Scan, 'session')} = {session} AND sc.{col(Scan, 'decision')} = '{ADMIT}'"
            f" ORDER BY sc.{col(Scan, 'scanned_at')} DESC, sc.{col(Scan, 'id')} DESC LIMIT 1)"
        )

    badge_columns = (
        f"b.{col(Badge, 'id')}, b.{col(Badge, 'version')}, b.{col(Badge, 'collected_at')},"
        f" r.{col(R, 'status')}, r.{col(R, 'given_names')}, r.{col(R, 'family_names')},"
        f" r.{col(R, 'outlet_name')}, r.{col(R, 'outlet_country')}"
    )
    # One row per session served; the badge (if any) joined to each, with its last admitted
    # scan of that session. Parameters: agent (three times), badge, checkpoint.
    context = (
        f"SELECT s.{col(Session, 'id')}, s.{col(Session, 'title')}, s.{col(Session, 'titles')},"
        f" s.{col(Session, 'kind')}, s.{col(Session, 'media_access')}, s.{col(Session, 'colour')},"
        f" s.{col(Session, 'starts_at')}, s.{col(Session, 'ends_at')}, s.{col(Session, 'event')},"
        f" e.{col(Event, 'time_zone')}, e.{col(Event, 'doors_open_minutes')}, {agent},"
        f" {badge_columns}, {last('s.' + col(Session, 'id'))}"
        f" FROM {table(Through)} cs"
        f" JOIN {table(Session)} s ON s.{col(Session, 'id')} = cs.{col(Through, 'session')}"
        f" JOIN {table(Event)} e ON e.{col(Event, 'id')} = s.{col(Session, 'event')}"
        f" LEFT JOIN {table(Badge)} b ON b.{col(Badge, 'id')} = %s"
        f" AND b.{col(Badge, 'event')} = s.{col(Session, 'event')}"
        f" LEFT JOIN {table(R)} r ON r.{col(R, 'id')} = b.{col(Badge, 'request')}"
        f" WHERE cs.{col(Through, 'checkpoint')} = %s"
    )
    # The badge alone (a checkpoint serving no session). Parameters: session, badge, event.
    badge = (
        f"SELECT {badge_columns}, {last('%s')}"
        f" FROM {table(Badge)} b JOIN {table(R)} r ON r.{col(R, 'id')} = b.{col(Badge, 'request')}"
        f" WHERE b.{col(Badge, 'id')} = %s AND b.{col(Badge, 'event')} = %s"
    )
    names = (
        "checkpoint",
        "session",
        "badge",
        "badge_version",
        "direction",
        "decision",
        "reason",
        "agent",
        "device_id",
        "client_scan_id",
        "scanned_at",
        "received_at",
        "offline",
        "flag",
        "uploaded_by",
    )
    # Appends a scan unless this device already recorded this scan id (a replay).
    insert = (
        f"INSERT INTO {table(Scan)} ({', '.join(col(Scan, n) for n in names)})"
        f" VALUES ({', '.join(['%s'] * len(names))})"
        f" ON CONFLICT ({col(Scan, 'device_id')}, {col(Scan, 'client_scan_id')}) DO NOTHING"
        f" RETURNING {col(Scan, 'id')}"
    )
    return {"context": context, "badge": badge, "insert": insert}


def _perm_params() -> list:
    return ["scan_badge", Badge._meta.app_label, Badge._meta.model_name]


# PostgreSQL: the scan's read is a prepared statement on each connection (planning it took
# about as long as running it). Keys: (connection object id, server process id, name).
_prepared: set[tuple[int, int, str]] = set()
_PLACEHOLDER = re.compile(r"%s")


@lru_cache(maxsize=8)
def _digest(sql: str) -> str:
    return hashlib.sha256(sql.encode()).hexdigest()[:12]


def _run(name: str, params: list, *, prepare: bool = False) -> list[tuple]:
    """Run one of the scan's statements; on PostgreSQL, prepared once per connection unless
    settings.PRESSPASS_GATE_PREPARED_STATEMENTS is False (a transaction-pooling proxy such as
    PgBouncer in transaction mode cannot keep them)."""
    sql = _hot_sql(connection.vendor)[name]
    prepare = prepare and getattr(settings, "PRESSPASS_GATE_PREPARED_STATEMENTS", True)
    cursor = _cursor()
    if not prepare or connection.vendor != "postgresql":
        cursor.execute(sql, params)
        return cursor.fetchall()
    raw = connection.connection
    # Named after the SQL itself: a server connection that outlives a deploy (a pooler in
    # session mode) never runs an older statement of the same name with other parameters.
    statement = f"presspass_gate_{name}_{_digest(sql)}"
    key = (id(raw), raw.info.backend_pid, statement)
    if key not in _prepared:
        cursor.execute("SELECT 1 FROM pg_prepared_statements WHERE name = %s", [statement])
        if cursor.fetchone() is None:
            numbers = iter(range(1, len(params) + 1))
            numbered = _PLACEHOLDER.sub(lambda _m: f"${next(numbers)}", sql)
            cursor.execute(f"PREPARE {statement} AS {numbered}")
        _prepared.add(key)
    cursor.execute(f"EXECUTE {statement} ({', '.join(['%s'] * len(params))})", params)
    return cursor.fetchall()


def _cursor():
    """The cursor the scan's statements run on: one per database connection, kept on it.

    Making and closing a Django cursor cost about a tenth of a scan's CPU (≈ 95 µs each time,
    twice a scan). A kept cursor is a Django cursor all the same — errors translated, execute
    wrappers and query logging applied — and is replaced when the connection is (a new one
    after a failure or CONN_MAX_AGE) or when query logging is switched on or off."""
    kept = getattr(connection, "_presspass_gate_cursor", None)
    raw = connection.connection
    if (
        kept is not None
        and raw is not None
        and kept[0] is raw
        and kept[1] == connection.queries_logged
    ):
        return kept[2]
    cursor = connection.cursor()
    connection._presspass_gate_cursor = (connection.connection, connection.queries_logged, cursor)
    return cursor


def _first_run(name: str, params: list, *, prepare: bool = False) -> list[tuple]:
    """_run for a request's first, read-only statement, standing in for Django's health check.

    With ``CONN_HEALTH_CHECKS`` Django sends ``SELECT 1`` before the first query of every
    request on a reused connection: a whole round trip, about a twentieth of a scan's cost
    (bench/README.md). The scan skips it and lets its own read be the check: if a reused
    connection turns out broken (the database restarted, the network dropped), the read fails,
    the connection is closed and the read runs once more on a new one. It changes nothing, so
    running it twice is harmless."""
    reused = (
        connection.connection is not None
        and connection.health_check_enabled
        and not connection.health_check_done
        and not connection.in_atomic_block
    )
    if not reused:
        return _run(name, params, prepare=prepare)
    connection.health_check_done = True
    try:
        return _run(name, params, prepare=prepare)
    except (OperationalError, InterfaceError):
        if connection.is_usable():
            raise  # the statement failed, not the connection
        connection.close()
        return _run(name, params, prepare=prepare)


def _aware(value) -> dt.datetime | None:
    """A datetime read with raw SQL: aware (PostgreSQL) or a naive UTC text (SQLite)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = parse_datetime(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def checkpoint_context(
    *, checkpoint_id: int, agent_id: int, code: str | None = None
) -> CheckpointContext:
    """Everything a scan needs, in one query when the checkpoint serves a session: its
    sessions and their windows, the agent's right to scan, and the badge the code names (if
    the code is genuine) with its last admitted scan of each session."""
    claims, reason = verify(code) if code is not None else (None, None)
    if not 0 < checkpoint_id <= MAX_DB_ID or not 0 < agent_id <= MAX_DB_ID:
        return CheckpointContext(
            checkpoint_id=checkpoint_id,
            exists=False,
            agent_password=agent_password(agent_id=agent_id),
        )
    badge_id = claims.badge_id if claims is not None else None
    rows = _first_run(
        "context",
        [agent_id, agent_id, agent_id, badge_id, checkpoint_id],
        prepare=True,
    )
    if not rows:
        return _context_without_sessions(checkpoint_id, agent_id, claims, reason)
    first = rows[0]
    event_id = first[8]
    tz = zoneinfo.ZoneInfo(first[9])
    windows = [
        make_window(
            pk=row[0],
            title=row[1],
            titles=row[2] if isinstance(row[2], dict) else json.loads(row[2] or "{}"),
            kind=row[3],
            media_access=row[4],
            colour=row[5],
            starts_at=_aware(row[6]),
            ends_at=_aware(row[7]),
            doors_open_minutes=first[10],
            tz=tz,
        )
        for row in rows
    ]
    # The model's order: by start, the sessions not announced last.
    windows.sort(key=lambda w: (w.starts_at is None, w.starts_at or dt.datetime.min, w.id))
    if claims is not None and claims.event_id != event_id:
        reason = "wrong_event"
    return CheckpointContext(
        checkpoint_id=checkpoint_id,
        exists=True,
        event_id=event_id,
        time_zone=first[9],
        doors_open_minutes=first[10],
        windows=windows,
        agent_password=first[11],
        claims=claims,
        code_reason=reason,
        badge=first[12:20] if reason is None and first[12] is not None else None,
        last_direction={row[0]: row[20] for row in rows},
    )


def _context_without_sessions(checkpoint_id, agent_id, claims, reason) -> CheckpointContext:
    found = (
        Checkpoint.objects.filter(pk=checkpoint_id)
        .annotate(agent_password=Subquery(_agent_subquery(agent_id)))
        .values_list("event_id", "event__time_zone", "event__doors_open_minutes", "agent_password")
        .first()
    )
    if found is None:
        return CheckpointContext(
            checkpoint_id=checkpoint_id,
            exists=False,
            agent_password=agent_password(agent_id=agent_id),
        )
    event_id, time_zone, doors, password = found
    badge = None
    if claims is not None and claims.event_id != event_id:
        reason = "wrong_event"
    elif claims is not None:
        found = _run("badge", [None, claims.badge_id, event_id])
        badge = found[0][:8] if found else None
    return CheckpointContext(
        checkpoint_id=checkpoint_id,
        exists=True,
        event_id=event_id,
        time_zone=time_zone,
        doors_open_minutes=doors,
        agent_password=password,
        claims=claims,
        code_reason=reason,
        badge=badge,
    )


# --- deciding and recording -------------------------------------------------------------------


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


def verify(code: str) -> tuple[BadgeClaims | None, str | None]:
    """(claims, None) for a genuine code, (None, reason) otherwise."""
    try:
        return verify_code(code, public_keys()), None
    except BadgeCodeError as exc:
        return None, exc.code


def gate_decide(
    *,
    context: CheckpointContext,
    agent_id: int,
    direction: str = ENTRY,
    device_id: str,
    client_scan_id: str,
    now: dt.datetime | None = None,
) -> GateDecision:
    """Decide one online scan of the code read into ``context`` (checkpoint_context) and log
    it. Idempotent per device and scan id: a retried request gets the first answer back,
    recorded once."""
    if direction not in (ENTRY, EXIT):
        raise ServiceError("direction", _("A scan is an entry (in) or an exit (out)."))
    if not context.exists:
        raise ServiceError("unknown_checkpoint", _("There is no such checkpoint."))
    now = now or timezone.now()
    claims, reason = context.claims, context.code_reason
    granted = frozenset(claims.session_ids) if claims is not None and reason is None else ()
    session = choose_session(context.windows, now, granted, direction)
    holder = None
    last_direction = None
    if reason is None:
        if context.badge is None:
            reason = "unknown_badge"
        else:
            pk, version, collected_at, status, given, family, outlet, country = context.badge
            holder = Holder(
                badge_id=pk,
                version=claims.version,
                given_names=given,
                family_names=family,
                outlet=outlet,
                country=country,
            )
            last_direction = context.last_direction.get(session.id) if session else None
            if direction == EXIT:
                reason = "exit"
            else:
                reason = badge_reason(
                    version=version, status=status, collected_at=collected_at, claims=claims
                ) or session_reason(session, now, granted)
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
    )
    if scan_id is None:  # the same scan again (a retry after a lost answer): the first answer
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
            )
            .first()
        )
        scan_id, decision, reason, flag, badge_id, direction, now, session_id = first
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
            duplicate=True,
            scanned_at=now,
        )
    return GateDecision(
        decision=decision,
        reason=reason,
        direction=direction,
        flag=flag,
        session=session,
        holder=holder,
        scan_id=scan_id,
        scanned_at=now,
    )


def record_scan(
    *,
    checkpoint_id: int,
    session_id: int | None,
    badge_id: int | None,
    badge_version: int | None,
    direction: str,
    decision: str,
    reason: str,
    agent_id: int,
    device_id: str,
    client_scan_id: str,
    scanned_at: dt.datetime,
    offline: bool,
    flag: str = "",
    uploaded_by_id: int | None = None,
) -> int | None:
    """Append one scan to the log in a single statement; None when this device already
    recorded this scan id (a replay), which then changes nothing. ``agent_id`` scanned;
    ``uploaded_by_id`` is the agent whose session uploaded a scan made offline (None online)."""
    adapt = connection.ops.adapt_datetimefield_value
    params = [
        checkpoint_id,
        session_id,
        badge_id,
        badge_version,
        direction,
        decision,
        reason,
        agent_id,
        device_id,
        client_scan_id,
        adapt(scanned_at),
        adapt(timezone.now()),
        offline,
        flag,
        uploaded_by_id,
    ]
    rows = _run("insert", params, prepare=True)
    return rows[0][0] if rows else None


# --- counters -----------------------------------------------------------------------------------


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


# --- what a gate needs to decide offline ------------------------------------------------------


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


def checkpoint_windows(checkpoint: Checkpoint) -> list[SessionWindow]:
    event = checkpoint.event
    return [
        make_window(
            pk=s.pk,
            title=s.title,
            titles=s.titles,
            kind=s.kind,
            media_access=s.media_access,
            colour=s.colour,
            starts_at=s.starts_at,
            ends_at=s.ends_at,
            doors_open_minutes=event.doors_open_minutes,
            tz=event.tz,
        )
        for s in checkpoint.sessions.order_by(F("starts_at").asc(nulls_last=True), "pk")
    ]


# --- the holder's photo, for the agent who just scanned the badge -----------------------------


class StampError(Exception):
    """A stamp that is not ours (``invalid``) or too old (``expired``)."""


def stamp(salt: str, *fields: int | str) -> str:
    """``"field.field.time.signature"``: fields (without dots) and the time, signed with the
    secret key. Cheaper than django.core.signing for the few numbers of a gate token or a
    photo ticket, which every scan checks or hands out."""
    body = ".".join([*map(str, fields), format(int(time.time()), "x")])
    return f"{body}.{_seal(salt, body)}"


def unstamp(salt: str, text: str, *, max_age: int) -> list[str]:
    """The fields of a stamp made with ``salt`` at most ``max_age`` seconds ago."""
    body, _dot, seal = text.rpartition(".")
    if not body or not constant_time_compare(seal, _seal(salt, body)):
        raise StampError("invalid")
    *fields, made = body.split(".")
    try:
        age = time.time() - int(made, 16)
    except ValueError:
        raise StampError("invalid") from None
    if age > max_age:
        raise StampError("expired")
    return fields


def _seal(salt: str, body: str) -> str:
    return salted_hmac(salt, body, algorithm="sha256").hexdigest()[:32]


def photo_ticket(*, badge_id: int, version: int, scan_id: int | None) -> str:
    """A short-lived signed ticket for one badge's photo, handed out with a scan: a gate can
    show the face of the badge in front of it, never browse everyone's photos. The scan row is
    the record of that access."""
    return stamp(PHOTO_SALT, badge_id, version, scan_id or 0)


def photo_for_ticket(ticket: str) -> str | None:
    """The private-storage name of the holder's badge photo, or None (bad or old ticket)."""
    try:
        badge_id = int(unstamp(PHOTO_SALT, ticket, max_age=PHOTO_TICKET_MAX_AGE)[0])
    except (StampError, ValueError, IndexError):
        return None
    if not isinstance(badge_id, int) or not 0 < badge_id <= MAX_DB_ID:
        return None
    found = (
        Document.objects.filter(
            request__badge__pk=badge_id,
            kind=Document.Kind.PHOTO,
            superseded_at__isnull=True,
        )
        .order_by("-uploaded_at")
        .values_list("derived", "file")
        .first()
    )
    if found is None:
        return None
    derived, name = found
    return (derived or {}).get("badge") or name or None


# --- scans made offline -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OfflineScan:
    client_scan_id: str
    checkpoint_id: int
    code: str
    direction: str
    scanned_at: dt.datetime
    decision: str
    reason: str
    session_id: int | None
    # The agent who scanned, as the phone recorded it, and the proof its page was given to that
    # agent (agent_ticket); None: the uploading agent.
    agent_id: int | None = None
    agent_ticket: str | None = None


@dataclass(frozen=True, slots=True)
class UploadResult:
    client_scan_id: str
    status: str  # "recorded" or "duplicate"
    scan_id: int
    flag: str


def offline_upload(
    *, agent_id: int, device_id: str, scans: Sequence[OfflineScan]
) -> list[UploadResult]:
    """Record scans a device decided while offline: each exactly once, however often the
    upload is replayed. The decision the device made is what happened at the gate and is logged
    as such, with the agent who scanned and, as ``uploaded_by``, the agent whose session sends
    them (``agent_id``: on a shared phone, perhaps the next shift's). The agent who scanned is
    ``scan.agent_id`` when the scan carries its page's proof of that agent (``agent_ticket``,
    handed to the page with the agent's gate token); otherwise — no agent named, or one the scan
    cannot prove — the uploader, who answers for what they send. A new admitted entry that
    overlaps another admitted entry of the same badge and session (no exit between them) is
    flagged: ``admitted_at_two_gates`` when the other came from another device — and an audit
    entry is written — or ``already_inside``. A scan made by an agent whose account may no longer scan
    when it arrives (deactivated, or taken out of the gate role, after the shift) happened all
    the same: it is logged, flagged ``agent_not_allowed`` (unless it was admitted at two gates,
    the graver flag, whose audit entry names the agents; it outranks ``already_inside``).

    Raises ServiceError (with ``field`` = the index of the bad scan) for a scan that names an
    unknown checkpoint, a session the checkpoint does not serve, or whose decision does not
    match its reason; ServiceError "forbidden" when the uploader's account is gone."""
    checkpoint_ids = {s.checkpoint_id for s in scans}
    served: dict[int, tuple[int, set[int]]] = {}
    for cp_id, event_id, session_id in Checkpoint.objects.filter(
        pk__in=[c for c in checkpoint_ids if 0 < c <= MAX_DB_ID]
    ).values_list("pk", "event_id", "sessions"):
        served.setdefault(cp_id, (event_id, set()))[1].add(session_id)
    # Who scanned each: the named agent if the scan proves it, else the uploader. Tickets are
    # only handed to agents allowed to scan then; one query per other agent named (in practice
    # the one or two who shared the phone) tells whether they still may.
    scanned_by = [
        scan.agent_id
        if scan.agent_id is not None
        and ticket_names(scan.agent_ticket, scan.agent_id, scanned_at=scan.scanned_at)
        else agent_id
        for scan in scans
    ]
    not_allowed = {a for a in set(scanned_by) - {agent_id} if agent_password(agent_id=a) is None}
    claims_of: dict[int, BadgeClaims | None] = {}
    for index, scan in enumerate(scans):
        if scan.checkpoint_id not in served:
            raise ServiceError("unknown_checkpoint", _("There is no such checkpoint."), field=index)
        if scan.session_id is not None and scan.session_id not in served[scan.checkpoint_id][1]:
            raise ServiceError(
                "unknown_session", _("This checkpoint does not serve that session."), field=index
            )
        if (scan.decision == ADMIT) != (scan.reason in ADMIT_REASONS) or (
            scan.reason == "exit" and scan.direction != EXIT
        ):
            raise ServiceError(
                "inconsistent", _("The decision does not match its reason."), field=index
            )
        claims, _reason = verify(scan.code)
        if claims is not None and claims.event_id != served[scan.checkpoint_id][0]:
            claims = None
        claims_of[index] = claims
    wanted = {c.badge_id for c in claims_of.values() if c is not None}
    order = sorted(range(len(scans)), key=lambda i: (scans[i].scanned_at, i))
    results: dict[int, UploadResult] = {}
    with transaction.atomic():
        # Whether each agent still exists (a user without scans can be deleted, even while this
        # upload runs): read under a lock, which makes a concurrent deletion wait for the scans.
        # An agent gone leaves their scans to the uploader; the uploader gone, nobody answers.
        present = set(
            get_user_model()
            .objects.select_for_update(no_key=True)
            .filter(pk__in=sorted(set(scanned_by) | {agent_id}))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if agent_id not in present:
            raise ServiceError("forbidden", _("Only gate agents can use the gate."))
        scanned_by = [a if a in present else agent_id for a in scanned_by]
        not_allowed &= present
        # Lock the badges concerned, in a fixed order: two devices uploading the same badge at
        # once are serialised, so the second one sees the first one's scans and is flagged.
        badges = dict(
            Badge.objects.select_for_update(of=("self",))
            .filter(pk__in=sorted(wanted))
            .order_by("pk")
            .values_list("pk", "request_id")
        )
        for index in order:
            scan = scans[index]
            claims = claims_of[index]
            badge_id = claims.badge_id if claims and claims.badge_id in badges else None
            agent_flag = "agent_not_allowed" if scanned_by[index] in not_allowed else ""
            scan_id = record_scan(
                checkpoint_id=scan.checkpoint_id,
                session_id=scan.session_id,
                badge_id=badge_id,
                badge_version=claims.version if claims else None,
                direction=scan.direction,
                decision=scan.decision,
                reason=scan.reason,
                agent_id=scanned_by[index],
                device_id=device_id,
                client_scan_id=scan.client_scan_id,
                scanned_at=scan.scanned_at,
                offline=True,
                flag=agent_flag,
                uploaded_by_id=agent_id,
            )
            if scan_id is None:
                first = Scan.objects.filter(
                    device_id=device_id, client_scan_id=scan.client_scan_id
                ).values_list("pk", "flag")[0]
                results[index] = UploadResult(scan.client_scan_id, "duplicate", *first)
                continue
            flag = agent_flag
            if (
                badge_id is not None
                and scan.session_id is not None
                and scan.decision == ADMIT
                and scan.direction == ENTRY
            ):
                overlap, other, other_agent = _overlap(
                    scan_id=scan_id,
                    badge_id=badge_id,
                    session_id=scan.session_id,
                    scanned_at=scan.scanned_at,
                    device_id=device_id,
                )
                if overlap and (overlap == "admitted_at_two_gates" or not flag):
                    flag = overlap
                    Scan.objects.filter(pk=scan_id).update(flag=flag)
                if flag == "admitted_at_two_gates":
                    audit(
                        action="gate.admitted_at_two_gates",
                        request=AccreditationRequest.objects.get(pk=badges[badge_id]),
                        actor_label=f"gate device {device_id}",
                        data={
                            "badge": badge_id,
                            "session": scan.session_id,
                            "scans": [other, scan_id],
                            "agents": [other_agent, scanned_by[index]],
                        },
                    )
            results[index] = UploadResult(scan.client_scan_id, "recorded", scan_id, flag)
    return [results[i] for i in range(len(scans))]


def _overlap(
    *, scan_id: int, badge_id: int, session_id: int, scanned_at: dt.datetime, device_id: str
) -> tuple[str, int | None, int | None]:
    """Whether a new admitted entry overlaps another admitted entry of the same badge and
    session with no admitted exit between them: the flag, the other scan's id and its agent."""
    admitted = Scan.objects.filter(
        badge_id=badge_id, session_id=session_id, decision=ADMIT
    ).exclude(pk=scan_id)
    before = (
        admitted.filter(scanned_at__lte=scanned_at)
        .order_by("-scanned_at", "-pk")
        .values_list("pk", "direction", "device_id", "agent_id")
        .first()
    )
    after = (
        admitted.filter(scanned_at__gt=scanned_at)
        .order_by("scanned_at", "pk")
        .values_list("pk", "direction", "device_id", "agent_id")
        .first()
    )
    flag, other, other_agent = "", None, None
    for neighbour in (before, after):
        if neighbour is None or neighbour[1] != ENTRY:
            continue
        if neighbour[2] != device_id:
            return "admitted_at_two_gates", neighbour[0], neighbour[3]
        flag, other, other_agent = "already_inside", neighbour[0], neighbour[3]
    return flag, other, other_agent
