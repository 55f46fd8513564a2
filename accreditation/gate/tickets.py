"""What a gate page is given and must show back: gate tokens, device credentials, scan keys and
the MACs of offline scans, sync stamps of lists, photo tickets, code digests — short signed,
dated texts made with the secret key (``stamp``: Django's TimestampSigner), never stored on the server.
Imports: rules (constants), models (the photo's storage name)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets

from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

from accreditation.gate.rules import MAX_DB_ID
from accreditation.models import Document

PHOTO_SALT = "presspass.gate.photo"


PHOTO_TICKET_MAX_AGE = 15 * 60


TOKEN_SALT = "presspass.gate.token"


DEVICE_SALT = "presspass.gate.device"


SCAN_KEY_SALT = "presspass.gate.scan-key"


SYNC_SALT = "presspass.gate.sync"


DEVICE_ID = re.compile(r"[A-Za-z0-9_:-]{1,64}", re.ASCII)


DEVICE_CREDENTIAL_MAX_AGE = 10 * 365 * 24 * 3600


# How long a scan key and a sync stamp vouch for the scans a phone queues offline (their upload
# may wait for the network, or for the next shift).
SCAN_KEY_MAX_AGE = 7 * 24 * 3600


# A phone's clock, even corrected by the page, may run a little ahead of ours.
SCAN_KEY_SKEW = 10 * 60


class StampError(Exception):
    """A stamp that is not ours (``invalid``) or too old (``expired``)."""


def _signer(salt: str) -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=salt, algorithm="sha256")


def stamp(salt: str, *fields: int | str) -> str:
    """``"field.field:time:signature"``: fields (without dots) and the time, signed with the
    secret key by Django's TimestampSigner."""
    return _signer(salt).sign(".".join(map(str, fields)))


def unstamp(salt: str, text: str, *, max_age: int) -> list[str]:
    """The fields of a stamp made with ``salt`` at most ``max_age`` seconds ago."""
    try:
        body = _signer(salt).unsign(text, max_age=max_age)
    except signing.SignatureExpired:
        raise StampError("expired") from None
    except signing.BadSignature:
        raise StampError("invalid") from None
    return body.split(".")


def _stamp_time(text: str) -> int:
    """The time (Unix seconds) written in a stamp that unstamp accepted."""
    return signing.b62_decode(text.rsplit(":", 2)[1])  # TimestampSigner: value:time:signature


def token_fingerprint(password: str) -> str:
    """Ties a gate token to the agent's current password: changing it invalidates tokens."""
    return salted_hmac(TOKEN_SALT, password, algorithm="sha256").hexdigest()[:24]


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
    issued = _stamped_at(SCAN_KEY_SALT, key_id, [str(agent_id), device_id])
    if not isinstance(mac, str) or issued is None:
        return False
    if not issued.timestamp() - SCAN_KEY_SKEW <= scanned_at.timestamp():
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
    return _stamped_at(SYNC_SALT, text, [device_id])


def _stamped_at(salt: str, text, fields: list[str]) -> dt.datetime | None:
    """When a stamp of ``salt`` carrying exactly ``fields`` was made, if it is ours and at
    most SCAN_KEY_MAX_AGE old; None otherwise."""
    if not isinstance(text, str) or len(text) > 200:
        return None
    try:
        found = unstamp(salt, text, max_age=SCAN_KEY_MAX_AGE)
        made = _stamp_time(text)
    except (StampError, ValueError, IndexError):
        return None
    return dt.datetime.fromtimestamp(made, tz=dt.UTC) if found == fields else None


def code_digest(code: str) -> str:
    """A short digest of a scanned code: a scan id reused for another code is refused."""
    return hashlib.blake2b(code.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


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
        Document.objects.current_photo()
        .filter(request__badge__pk=badge_id)
        .values_list("derived", "file")
        .first()
    )
    if found is None:
        return None
    derived, name = found
    return (derived or {}).get("badge") or name or None
