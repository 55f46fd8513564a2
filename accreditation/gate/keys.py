"""The keys a gate trusts: the badge public keys (parsed once per process), verifying a badge
code, and signing the list a gate phone keeps (and checking that signature).
Imports: accreditation.badges.signing, settings."""

from __future__ import annotations

import base64
import binascii
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from django.conf import settings

from accreditation.badges.signing import (
    BadgeClaims,
    BadgeCodeError,
    load_private_key,
    load_public_keys,
    public_key_b64,
    verify_code,
)

LIST_SIGNATURE_CONTEXT = b"presspass-gate-list-v1\n"


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


def verify(code: str) -> tuple[BadgeClaims | None, str | None]:
    """(claims, None) for a genuine code, (None, reason) otherwise."""
    try:
        return verify_code(code, public_keys()), None
    except BadgeCodeError as exc:
        return None, exc.code


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
