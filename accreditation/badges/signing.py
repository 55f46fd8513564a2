"""Signed badge codes: what the QR code on a badge says, and how a gate checks it offline.

A badge code is ``"PP1:" + base45(body + signature)`` where ``body`` is a short, fixed-layout,
big-endian record (see docs/badge-format.md) and ``signature`` is the 64-byte Ed25519
signature of ``body``. Everything a gate needs to decide fits in the code; the gate checks the
signature with the event's public key and looks the badge's number and version up in its local
list (a reprint bumps the version, so the old badge stops working).

Keys come from settings as strings: a private key as PEM or as the base64 of its 32 raw
bytes, public keys as the base64 of their 32 raw bytes (what WebCrypto's
``importKey('raw', …)`` takes). ``python -m accreditation.badges`` prints a fresh pair.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.utils.translation import gettext_lazy as _
from nacl.bindings import crypto_sign_open
from nacl.exceptions import BadSignatureError

# Keys as strings, for settings and the environment, live in config/keys.py (settings read them
# before any application code is loaded); re-exported here for the badge code's callers.
from config.keys import (  # noqa: F401
    generate_keypair,
    load_private_key,
    load_public_key,
    load_public_keys,
    private_key_b64,
    public_key_b64,
)

__all__ = [
    "FORMAT_VERSION",
    "PREFIX",
    "BadgeClaims",
    "BadgeCodeError",
    "ERROR_MESSAGES",
    "b45decode",
    "b45encode",
    "claims_from_body",
    "claims_to_body",
    "generate_keypair",
    "load_private_key",
    "load_public_key",
    "load_public_keys",
    "private_key_b64",
    "public_key_b64",
    "sign_claims",
    "verify_code",
]

PREFIX = "PP1:"
FORMAT_VERSION = 1
SIGNATURE_LENGTH = 64

# format u8 | key_id u16 | event_id u32 | badge_id u32 | version u16 | n u8 | n × session u32
_HEADER = struct.Struct(">BHIIHB")
HEADER_LENGTH = _HEADER.size  # 14
MAX_SESSIONS = 255
# The longest valid code (255 sessions) is 1,647 characters; refuse anything longer unread.
MAX_CODE_LENGTH = len(PREFIX) + (HEADER_LENGTH + 4 * MAX_SESSIONS + SIGNATURE_LENGTH) * 3 // 2 + 2

_U16 = 0xFFFF
_U32 = 0xFFFF_FFFF
_OTHER_FORMAT = re.compile(r"PP[0-9]+:")


ERROR_MESSAGES = {
    "malformed": _("This is not a readable badge code."),
    "unsupported_format": _("This badge code has an unknown format."),
    "unknown_key": _("This badge was signed with an unknown key."),
    "bad_signature": _("This badge code is not genuine."),
}


class BadgeCodeError(Exception):
    """A badge code that must not be honoured; ``code`` is for programs, ``message`` for people.

    ``str()`` gives the code, so logging one never needs translations to be set up.
    """

    def __init__(self, code: str, message: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.message = ERROR_MESSAGES[code] if message is None else message

    def __str__(self) -> str:
        return self.code


@dataclass(frozen=True, slots=True)
class BadgeClaims:
    """What a badge code asserts. ``session_ids`` is kept sorted and free of duplicates."""

    badge_id: int
    version: int
    event_id: int
    session_ids: tuple[int, ...]
    key_id: int

    def __post_init__(self) -> None:
        _check_range("badge_id", self.badge_id, _U32)
        _check_range("version", self.version, _U16)
        _check_range("event_id", self.event_id, _U32)
        _check_range("key_id", self.key_id, _U16)
        sessions = tuple(sorted(set(self.session_ids)))
        if len(sessions) > MAX_SESSIONS:
            raise ValueError(f"a badge code holds at most {MAX_SESSIONS} sessions")
        for session_id in sessions:
            _check_range("session id", session_id, _U32)
        object.__setattr__(self, "session_ids", sessions)


def _check_range(name: str, value: object, maximum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise ValueError(f"{name} must be an integer from 0 to {maximum}, not {value!r}")


# --- the byte layout -------------------------------------------------------------------------


def claims_to_body(claims: BadgeClaims) -> bytes:
    """The bytes that get signed: fixed-width big-endian fields, sessions in ascending order."""
    n = len(claims.session_ids)
    return _HEADER.pack(
        FORMAT_VERSION, claims.key_id, claims.event_id, claims.badge_id, claims.version, n
    ) + struct.pack(f">{n}I", *claims.session_ids)


def claims_from_body(body: bytes) -> BadgeClaims:
    """Parse a signed body (without its signature); raises BadgeCodeError("malformed", …)."""
    if len(body) < HEADER_LENGTH:
        raise _malformed()
    fmt, key_id, event_id, badge_id, version, n = _HEADER.unpack_from(body)
    if fmt != FORMAT_VERSION:
        raise BadgeCodeError("unsupported_format")
    if len(body) != HEADER_LENGTH + 4 * n:
        raise _malformed()
    sessions = struct.unpack_from(f">{n}I", body, HEADER_LENGTH)
    if any(a >= b for a, b in zip(sessions, sessions[1:], strict=False)):
        raise _malformed()  # one set of claims has exactly one encoding
    return BadgeClaims(
        badge_id=badge_id, version=version, event_id=event_id, session_ids=sessions, key_id=key_id
    )


def _malformed() -> BadgeCodeError:
    return BadgeCodeError("malformed")


# --- signing and verifying ---------------------------------------------------------------------


def sign_claims(claims: BadgeClaims, private_key: Ed25519PrivateKey) -> str:
    """The text to put in the badge's QR code."""
    body = claims_to_body(claims)
    return PREFIX + b45encode(body + private_key.sign(body))


def verify_code(text: str, public_keys: Mapping[int, Ed25519PublicKey]) -> BadgeClaims:
    """Return the claims of a genuine badge code, or raise BadgeCodeError.

    Codes: ``malformed`` (not ours, damaged, or not canonical), ``unsupported_format`` (a
    newer or older format), ``unknown_key`` (signed with a key this gate does not hold),
    ``bad_signature`` (altered or forged). The text is taken verbatim: do not trim it.
    """
    if not isinstance(text, str) or len(text) > MAX_CODE_LENGTH:
        raise _malformed()
    if not text.startswith(PREFIX):
        if _OTHER_FORMAT.match(text):
            raise BadgeCodeError("unsupported_format")
        raise _malformed()
    try:
        raw = b45decode(text[len(PREFIX) :])
    except ValueError:
        raise _malformed() from None
    if len(raw) < HEADER_LENGTH + SIGNATURE_LENGTH:
        raise _malformed()
    body, signature = raw[:-SIGNATURE_LENGTH], raw[-SIGNATURE_LENGTH:]
    claims = claims_from_body(body)
    public_key = public_keys.get(claims.key_id)
    if public_key is None:
        raise BadgeCodeError("unknown_key")
    if not signature_is_valid(public_key, signature, body):
        raise BadgeCodeError("bad_signature")
    return claims


def signature_is_valid(public_key: Ed25519PublicKey, signature: bytes, body: bytes) -> bool:
    """Whether ``signature`` is this key's Ed25519 signature of ``body``.

    Checked with libsodium (PyNaCl) rather than OpenSSL: the gate verifies one signature per
    scan, and libsodium does it in about half the time here (≈ 55 µs instead of ≈ 105 µs,
    bench/README.md). libsodium is also the stricter of the two (it refuses non-canonical
    encodings and small-order keys), so whatever it accepts OpenSSL accepts too."""
    try:
        crypto_sign_open(signature + body, public_key.public_bytes_raw())
    except BadSignatureError:
        return False
    return True


# --- base45 (RFC 9285): the QR code's alphanumeric alphabet, so codes stay small ----------------

B45_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_B45_VALUE = {c: i for i, c in enumerate(B45_ALPHABET)}


def b45encode(data: bytes) -> str:
    out: list[str] = []
    a = B45_ALPHABET
    for i in range(0, len(data) - 1, 2):
        n = (data[i] << 8) | data[i + 1]
        n, c = divmod(n, 45)
        e, d = divmod(n, 45)
        out.append(a[c] + a[d] + a[e])
    if len(data) % 2:
        d, c = divmod(data[-1], 45)
        out.append(a[c] + a[d])
    return "".join(out)


def b45decode(text: str) -> bytes:
    """Strict base45: raises ValueError on a foreign character, a bad length or an overflow."""
    try:
        values = [_B45_VALUE[c] for c in text]
    except KeyError:
        raise ValueError("not a base45 character") from None
    if len(values) % 3 == 1:
        raise ValueError("bad base45 length")
    out = bytearray()
    for i in range(0, len(values), 3):
        chunk = values[i : i + 3]
        if len(chunk) == 3:
            n = chunk[0] + chunk[1] * 45 + chunk[2] * 2025
            if n > 0xFFFF:
                raise ValueError("base45 group out of range")
            out += n.to_bytes(2, "big")
        else:
            n = chunk[0] + chunk[1] * 45
            if n > 0xFF:
                raise ValueError("base45 group out of range")
            out.append(n)
    return bytes(out)
