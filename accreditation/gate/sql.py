"""The scan's hot path: the two statements of an online scan, written out once per process,
prepared once per PostgreSQL connection and run on one kept cursor. The only module of the
gate that touches database connection internals (bench/bench_scan.py measures why).
Imports: rules, keys, models."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import zoneinfo
from dataclasses import dataclass, field
from functools import lru_cache

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import InterfaceError, OperationalError, connection
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accreditation.badges.signing import (
    BadgeClaims,
)
from accreditation.gate.keys import verify
from accreditation.gate.rules import (
    ADMIT,
    ENTRY,
    EXIT,
    MAX_DB_ID,
    SessionWindow,
    make_window,
    settle_windows,
)
from accreditation.models import AccreditationRequest, Badge, Scan
from events.models import Checkpoint, Event, Session


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
        f" {badge_columns}, {last('s.' + col(Session, 'id'))},"
        f" e.{col(Event, 'open_session_default_minutes')}"
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
        "code_digest",
        "device_decision",
        "device_reason",
    )
    # Appends a scan unless this device already recorded this scan id (a replay).
    insert = (
        f"INSERT INTO {table(Scan)} ({', '.join(col(Scan, n) for n in names)})"
        f" VALUES ({', '.join(['%s'] * len(names))})"
        f" ON CONFLICT ({col(Scan, 'device_id')}, {col(Scan, 'client_scan_id')}) DO NOTHING"
        f" RETURNING {col(Scan, 'id')}"
    )
    # The latest other admitted entry of a badge and session received since a moment, with no
    # admitted exit after it (two gates racing). Parameters: badge, session, since, scan,
    # badge, session.
    sc, x = "sc", "x"

    def admitted(alias: str, direction: str) -> str:
        return (
            f"{alias}.{col(Scan, 'badge')} = %s AND {alias}.{col(Scan, 'session')} = %s"
            f" AND {alias}.{col(Scan, 'decision')} = '{ADMIT}'"
            f" AND {alias}.{col(Scan, 'direction')} = '{direction}'"
        )

    raced = (
        f"SELECT MAX({sc}.{col(Scan, 'id')}) FROM {table(Scan)} {sc}"
        f" WHERE {admitted(sc, ENTRY)} AND {sc}.{col(Scan, 'received_at')} >= %s"
        f" AND {sc}.{col(Scan, 'id')} <> %s AND {sc}.{col(Scan, 'id')} > COALESCE("
        f"(SELECT MAX({x}.{col(Scan, 'id')}) FROM {table(Scan)} {x}"
        f" WHERE {admitted(x, EXIT)}), 0)"
    )
    return {"context": context, "badge": badge, "insert": insert, "raced": raced}


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
    prepare = prepare and settings.PRESSPASS_GATE_PREPARED_STATEMENTS
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
        )
        for row in rows
    ]
    windows = settle_windows(windows, open_default_minutes=first[21], tz=tz)
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
    code_digest: str = "",
    device_decision: str = "",
    device_reason: str = "",
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
        code_digest,
        device_decision,
        device_reason,
    ]
    rows = _run("insert", params, prepare=True)
    return rows[0][0] if rows else None


def raced_entry(*, scan_id: int, badge_id: int, session_id: int, since: dt.datetime) -> int | None:
    """The latest other admitted entry of this badge and session received since ``since``
    with no admitted exit after it, or None (decide._raced_entry: two gates racing)."""
    adapt = connection.ops.adapt_datetimefield_value
    rows = _run(
        "raced", [badge_id, session_id, adapt(since), scan_id, badge_id, session_id], prepare=True
    )
    return rows[0][0] if rows else None
