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

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
import time
import zoneinfo
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
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
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from accreditation.badges.signing import (
    BadgeClaims,
    BadgeCodeError,
    load_private_key,
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

PHOTO_SALT = "presspass.gate.photo"
PHOTO_TICKET_MAX_AGE = 15 * 60
TOKEN_SALT = "presspass.gate.token"
DEVICE_SALT = "presspass.gate.device"
SCAN_KEY_SALT = "presspass.gate.scan-key"
SYNC_SALT = "presspass.gate.sync"
LIST_SIGNATURE_CONTEXT = b"presspass-gate-list-v1\n"
DEVICE_ID = re.compile(r"[A-Za-z0-9_:-]{1,64}", re.ASCII)
DEVICE_CREDENTIAL_MAX_AGE = 10 * 365 * 24 * 3600
# How long a scan key and a sync stamp vouch for the scans a phone queues offline (their upload
# may wait for the network, or for the next shift).
SCAN_KEY_MAX_AGE = 7 * 24 * 3600
# A phone's clock, even corrected by the page, may run a little ahead of ours.
SCAN_KEY_SKEW = 10 * 60
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


@lru_cache(maxsize=2)
def _list_private_key(text: str):
    return load_private_key(text)


def sign_list(payload: str) -> tuple[int, str]:
    """(key id, signature) of a gate list: Ed25519 with the badge signing key over a context
    string and the payload's UTF-8 bytes — the context keeps a list's signature from ever being
    taken for a badge's (whose signed bytes start with the format version, 1)."""
    key = _list_private_key(settings.BADGE_SIGNING_KEY)
    signature = key.sign(LIST_SIGNATURE_CONTEXT + payload.encode("utf-8"))
    return settings.BADGE_SIGNING_KEY_ID, base64.b64encode(signature).decode("ascii")


def list_signature_valid(envelope: dict) -> bool:
    """Whether a signed gate list (``payload``, ``signature``, ``key_id``) was signed with one
    of the trusted keys (what gate.js checks with WebCrypto before using a kept list)."""
    try:
        key = public_keys()[envelope["key_id"]]
        signature = base64.b64decode(envelope["signature"], validate=True)
        key.verify(signature, LIST_SIGNATURE_CONTEXT + envelope["payload"].encode("utf-8"))
    except (KeyError, TypeError, ValueError, InvalidSignature, binascii.Error):
        return False
    return True


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

    current = [w for w in windows if w.opens_at is not None and w.opens_at <= now < w.closes_at]
    if direction == ENTRY:
        closed = [w for w in current if not w.open_to_media]
        if closed:
            return min(closed, key=lambda w: (w.opens_at, w.id))
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


# --- what supervisors see of the rules: a timeline per checkpoint and day, and warnings --------


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
        if w.starts_at is not None and w.ends_at is None:
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
    announced = [w for w in windows if w.opens_at is not None]
    for i, a in enumerate(announced):
        for b in announced[i + 1 :]:
            start, end = max(a.opens_at, b.opens_at), min(a.closes_at, b.closes_at)
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


# --- what a gate phone is given, and what it must send back ---------------------------------
#
# A phone is known by a device id the server made (``device_credential``: the id, signed), so
# no one can make scans up under another phone's id. Each gate token names its agent and its
# device; so does the scan key handed out with it, with which the page signs each scan it
# queues offline (the key lives in the page's memory only, never beside the queue). Each
# revocation list carries a sync stamp (device and time): a scan made offline must be stamped
# with the list it was decided on, and its time must lie between that list and the upload.


def new_device_id() -> str:
    return "web-" + secrets.token_hex(16)


def device_credential(device_id: str) -> str:
    return stamp(DEVICE_SALT, device_id)


def device_from_credential(credential) -> str | None:
    """The device id a credential made by device_credential names, or None."""
    if not isinstance(credential, str) or not 0 < len(credential) <= 200:
        return None
    try:
        fields = unstamp(DEVICE_SALT, credential, max_age=DEVICE_CREDENTIAL_MAX_AGE)
    except StampError:
        return None
    return fields[0] if len(fields) == 1 and DEVICE_ID.fullmatch(fields[0]) else None


def scan_key(agent_id: int, device_id: str) -> tuple[str, str]:
    """(key id, key) for an agent on a device: the page signs its offline scans with the key;
    the key id (signed, dated) lets the server make the same key again."""
    key_id = stamp(SCAN_KEY_SALT, agent_id, device_id)
    return key_id, _scan_key_secret(key_id)


def _scan_key_secret(key_id: str) -> str:
    return salted_hmac(SCAN_KEY_SALT + ".secret", key_id, algorithm="sha256").hexdigest()


def scan_mac_text(*fields) -> str:
    """What the page signs for a scan: its fields as sent, one per line (gate.js: macText)."""
    return "\n".join("" if f is None else str(f) for f in fields)


def scan_proven(
    key_id, mac, *, agent_id: int, device_id: str, text: str, scanned_at: dt.datetime
) -> bool:
    """Whether ``mac`` over ``text`` was made with the scan key of this agent on this device,
    handed out before the scan (SCAN_KEY_SKEW for the phone's clock) and at most
    SCAN_KEY_MAX_AGE ago."""
    if not isinstance(key_id, str) or not isinstance(mac, str) or len(key_id) > 200:
        return False
    try:
        fields = unstamp(SCAN_KEY_SALT, key_id, max_age=SCAN_KEY_MAX_AGE)
        issued = int(key_id.rsplit(".", 2)[1], 16)
    except (StampError, ValueError, IndexError):
        return False
    if fields != [str(agent_id), device_id]:
        return False
    if not issued - SCAN_KEY_SKEW <= scanned_at.timestamp():
        return False
    expected = hmac.new(
        _scan_key_secret(key_id).encode(), text.encode("utf-8"), hashlib.sha256
    ).hexdigest()
    return constant_time_compare(expected, mac)


def sync_stamp(device_id: str) -> str:
    """Given with a revocation list: this device had the list at this time."""
    return stamp(SYNC_SALT, device_id)


def synced_at(text, *, device_id: str) -> dt.datetime | None:
    """When this device got the list a sync stamp names, or None (not ours, another device's,
    or older than SCAN_KEY_MAX_AGE)."""
    if not isinstance(text, str) or len(text) > 200:
        return None
    try:
        fields = unstamp(SYNC_SALT, text, max_age=SCAN_KEY_MAX_AGE)
        made = int(text.rsplit(".", 2)[1], 16)
    except (StampError, ValueError, IndexError):
        return None
    if fields != [device_id]:
        return None
    return dt.datetime.fromtimestamp(made, tz=dt.UTC)


def code_digest(code: str) -> str:
    """A short digest of a scanned code: a scan id reused for another code is refused."""
    return hashlib.blake2b(code.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


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
    if badge is None:
        return "unknown_badge"
    if direction == EXIT:
        return "exit"
    version, status, collected_at = badge
    granted = claims.session_ids if claims is not None else ()
    return badge_reason(
        version=version, status=status, collected_at=collected_at, claims=claims
    ) or session_reason(session, now, granted)


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
    if reason is None and context.badge is not None:
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
    """The windows of the sessions a checkpoint serves, as its gate applies them."""
    return event_windows(checkpoint.event, checkpoint.sessions.all())


def event_windows(event: Event, sessions: Iterable[Session]) -> list[SessionWindow]:
    """The windows of ``sessions`` (of ``event``) served together at one checkpoint."""
    windows = [
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
        )
        for s in sessions
    ]
    return settle_windows(
        windows, open_default_minutes=event.open_session_default_minutes, tz=event.tz
    )


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


def photo_ticket(*, badge_id: int, version: int, scan_id: int | None, agent_id: int) -> str:
    """A short-lived signed ticket for one badge's photo, handed out with a scan to the agent
    who scanned: a gate can show the face of the badge in front of it, never browse everyone's
    photos, and the ticket is no use to another agent. The scan row is the record of that
    access."""
    return stamp(PHOTO_SALT, badge_id, version, scan_id or 0, agent_id)


def photo_for_ticket(ticket: str, *, agent_id: int) -> str | None:
    """The private-storage name of the holder's badge photo, or None (bad or old ticket, or a
    ticket handed to another agent)."""
    try:
        fields = unstamp(PHOTO_SALT, ticket, max_age=PHOTO_TICKET_MAX_AGE)
        badge_id = int(fields[0])
    except (StampError, ValueError, IndexError):
        return None
    if len(fields) != 4 or fields[3] != str(agent_id):
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
    decision: str  # what the phone showed, as the phone says
    reason: str
    session_id: int | None
    # The sync stamp of the list the phone decided with (sync_stamp): the scan's time must lie
    # between it and now.
    sync: str | None = None
    # The agent who scanned, as the phone recorded it, with the page's proof: the scan key's id
    # and the MAC of the scan's fields (``mac_text``, as sent) under that key. Without a valid
    # proof: the uploading agent.
    agent_id: int | None = None
    agent_key: str | None = None
    agent_mac: str | None = None
    mac_text: str = ""


@dataclass(frozen=True, slots=True)
class UploadResult:
    client_scan_id: str
    status: str  # "recorded" or "duplicate"
    scan_id: int
    flag: str
    decision: str = ""
    reason: str = ""


def _refuse(index: int, code: str, message) -> ServiceError:
    return ServiceError(code, message, field=index)


def offline_upload(
    *, agent_id: int, device_id: str, scans: Sequence[OfflineScan], now: dt.datetime | None = None
) -> list[UploadResult]:
    """Record scans a device decided while offline: each exactly once, however often the
    upload is replayed — and each decided again here, with the rules of an online scan, at the
    scan's stated time. The server's decision and reason are what the log records; the phone's
    are kept beside them, and a scan whose phone showed another decision is flagged
    ``device_disagreed`` for the supervisors. So nothing a phone sends — a forged code, a
    revoked or replaced badge, a closed session — becomes an admission the server would refuse.

    A scan's time must lie after the list it was decided with was given to this device (its
    sync stamp, SCAN_KEY_SKEW of leeway) and not in the future; a scan id this device already
    used for another code is refused. The agent who scanned is ``scan.agent_id`` when the scan
    carries that agent's proof for this device (scan_proven); otherwise the uploader, who
    answers for what they send (``uploaded_by`` is always the uploader). A scan by an agent
    whose account may no longer scan when it arrives happened all the same: it is logged,
    flagged ``agent_not_allowed``. A new admitted entry that overlaps another admitted entry of
    the same badge and session (no exit between them) is flagged ``admitted_at_two_gates`` when
    the other came from another device — and an audit entry is written — or
    ``already_inside``. One flag per scan: device_disagreed, admitted_at_two_gates,
    agent_not_allowed, already_inside, in that order.

    Raises ServiceError (``field`` = the index of the bad scan) for a scan that names an
    unknown checkpoint, a session the checkpoint does not serve, a decision that does not match
    its reason, a time outside its sync window, or a reused scan id; ServiceError "forbidden"
    when the uploader's account is gone."""
    now = now or timezone.now()
    checkpoints = {
        cp.pk: cp
        for cp in Checkpoint.objects.filter(
            pk__in=[s.checkpoint_id for s in scans if 0 < s.checkpoint_id <= MAX_DB_ID]
        )
        .select_related("event")
        .prefetch_related("sessions")
    }
    windows = {pk: checkpoint_windows(cp) for pk, cp in checkpoints.items()}
    skew = dt.timedelta(seconds=SCAN_KEY_SKEW)
    claims_of: dict[int, tuple[BadgeClaims | None, str | None]] = {}
    synced: dict[int, dt.datetime] = {}
    for index, scan in enumerate(scans):
        checkpoint = checkpoints.get(scan.checkpoint_id)
        if checkpoint is None:
            raise _refuse(index, "unknown_checkpoint", _("There is no such checkpoint."))
        served = {w.id for w in windows[checkpoint.pk]}
        if scan.session_id is not None and scan.session_id not in served:
            raise _refuse(
                index, "unknown_session", _("This checkpoint does not serve that session.")
            )
        if (scan.decision == ADMIT) != (scan.reason in ADMIT_REASONS) or (
            scan.reason == "exit" and scan.direction != EXIT
        ):
            raise _refuse(index, "inconsistent", _("The decision does not match its reason."))
        when = synced_at(scan.sync, device_id=device_id)
        if when is None or not when - skew <= scan.scanned_at <= now + skew:
            raise _refuse(
                index,
                "outside_sync_window",
                _(
                    "This scan's time is not between the phone's last synchronisation and now, "
                    "or it does not come from this phone."
                ),
            )
        synced[index] = when
        claims, reason = verify(scan.code)
        if claims is not None and claims.event_id != checkpoint.event_id:
            claims, reason = None, "wrong_event"
        claims_of[index] = (claims, reason)
    # Who scanned each: the named agent if the scan proves it, else the uploader. One query per
    # other agent named (in practice the one or two who shared the phone) tells whether they
    # may still scan.
    scanned_by = [
        scan.agent_id
        if scan.agent_id is not None
        and scan_proven(
            scan.agent_key,
            scan.agent_mac,
            agent_id=scan.agent_id,
            device_id=device_id,
            text=scan.mac_text,
            scanned_at=scan.scanned_at,
        )
        else agent_id
        for scan in scans
    ]
    not_allowed = {a for a in set(scanned_by) - {agent_id} if agent_password(agent_id=a) is None}
    wanted = {c.badge_id for c, _r in claims_of.values() if c is not None}
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
        badges = {
            pk: (request_id, (version, status, collected_at))
            for pk, request_id, version, status, collected_at in Badge.objects.select_for_update(
                of=("self",)
            )
            .filter(pk__in=sorted(wanted))
            .order_by("pk")
            .values_list("pk", "request_id", "version", "request__status", "collected_at")
        }
        for index in order:
            scan = scans[index]
            claims, code_reason = claims_of[index]
            cp = checkpoints[scan.checkpoint_id]
            granted = claims.session_ids if claims is not None and code_reason is None else ()
            session = choose_session(windows[cp.pk], scan.scanned_at, granted, scan.direction)
            found = badges.get(claims.badge_id) if claims is not None else None
            reason = scan_reason(
                claims=claims,
                code_reason=code_reason,
                badge=found[1] if found else None,
                session=session,
                now=scan.scanned_at,
                direction=scan.direction,
            )
            stale = scan.scanned_at - synced[index] > dt.timedelta(
                minutes=cp.event.gate_list_max_age_minutes
            )
            if reason == "ok" and stale and cp.event.gate_stale_list_blocks:
                reason = "stale_list"
            decision = ADMIT if reason in ADMIT_REASONS else DENY
            badge_id = claims.badge_id if found else None
            flag = ""
            if decision != scan.decision:
                flag = "device_disagreed"
            elif scanned_by[index] in not_allowed:
                flag = "agent_not_allowed"
            scan_id = record_scan(
                checkpoint_id=cp.pk,
                session_id=session.id if session else None,
                badge_id=badge_id,
                badge_version=claims.version if found else None,
                direction=scan.direction,
                decision=decision,
                reason=reason,
                agent_id=scanned_by[index],
                device_id=device_id,
                client_scan_id=scan.client_scan_id,
                scanned_at=scan.scanned_at,
                offline=True,
                flag=flag,
                uploaded_by_id=agent_id,
                code_digest=code_digest(scan.code),
                device_decision=scan.decision,
                device_reason=scan.reason,
            )
            if scan_id is None:
                first = Scan.objects.filter(
                    device_id=device_id, client_scan_id=scan.client_scan_id
                ).values_list("pk", "flag", "decision", "reason", "code_digest")[0]
                if not constant_time_compare(first[4], code_digest(scan.code)):
                    raise _refuse(
                        index,
                        "scan_id_reused",
                        _("This scan id was already used for another badge code."),
                    )
                results[index] = UploadResult(scan.client_scan_id, "duplicate", *first[:4])
                continue
            if (
                badge_id is not None
                and session is not None
                and decision == ADMIT
                and (scan.direction == ENTRY)
            ):
                overlap, other, other_agent = _overlap(
                    scan_id=scan_id,
                    badge_id=badge_id,
                    session_id=session.id,
                    scanned_at=scan.scanned_at,
                    device_id=device_id,
                )
                if (
                    overlap
                    and flag != "device_disagreed"
                    and (overlap == "admitted_at_two_gates" or not flag)
                ):
                    flag = overlap
                    Scan.objects.filter(pk=scan_id).update(flag=flag)
                if overlap == "admitted_at_two_gates":
                    audit(
                        action="gate.admitted_at_two_gates",
                        request=AccreditationRequest.objects.get(pk=found[0]),
                        actor_label=f"gate device {device_id}",
                        data={
                            "badge": badge_id,
                            "session": session.id,
                            "scans": [other, scan_id],
                            "agents": [other_agent, scanned_by[index]],
                        },
                    )
            if flag == "device_disagreed":
                audit(
                    action="gate.device_disagreed",
                    request=AccreditationRequest.objects.get(pk=found[0]) if found else None,
                    actor_label=f"gate device {device_id}",
                    data={
                        "scan": scan_id,
                        "device": [scan.decision, scan.reason],
                        "server": [decision, reason],
                    },
                )
            results[index] = UploadResult(
                scan.client_scan_id, "recorded", scan_id, flag, decision, reason
            )
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
