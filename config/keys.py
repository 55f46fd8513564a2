"""Ed25519 keys as strings, for settings and the environment (base64 of the raw bytes, or PEM).

Here rather than in accreditation.badges.signing because settings read the badge keys before
any application code may be imported (config/settings.py imports no application module)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


def generate_keypair() -> tuple[Ed25519PrivateKey, Ed25519PublicKey]:
    private_key = Ed25519PrivateKey.generate()
    return private_key, private_key.public_key()


def private_key_b64(private_key: Ed25519PrivateKey) -> str:
    """The base64 of the 32 raw private bytes: keep it secret, e.g. in BADGE_SIGNING_KEY."""
    raw = private_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return base64.b64encode(raw).decode("ascii")


def public_key_b64(public_key: Ed25519PublicKey) -> str:
    """The base64 of the 32 raw public bytes, as the gate page imports it."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def load_private_key(b64_or_pem: str) -> Ed25519PrivateKey:
    """Read an Ed25519 private key from PEM (PKCS#8) or from base64 of its 32 raw bytes."""
    text = b64_or_pem.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the PEM key is not an Ed25519 private key")
        return key
    return Ed25519PrivateKey.from_private_bytes(_raw32(text, "private"))


def load_public_key(b64_or_pem: str) -> Ed25519PublicKey:
    """Read an Ed25519 public key from PEM (SubjectPublicKeyInfo) or base64 of its 32 raw bytes."""
    text = b64_or_pem.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(text.encode("ascii"))
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("the PEM key is not an Ed25519 public key")
        return key
    return Ed25519PublicKey.from_public_bytes(_raw32(text, "public"))


def load_public_keys(
    entries: Mapping[int, str] | Iterable[tuple[int, str]],
) -> dict[int, Ed25519PublicKey]:
    """``{key_id: base64}`` (or pairs) from settings → the mapping verify_code() takes."""
    items = entries.items() if isinstance(entries, Mapping) else entries
    return {int(key_id): load_public_key(value) for key_id, value in items}


def _raw32(text: str, kind: str) -> bytes:
    compact = "".join(text.split()).replace("-", "+").replace("_", "/")
    compact += "=" * (-len(compact) % 4)
    try:
        raw = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"the {kind} key is neither PEM nor base64") from None
    if len(raw) != 32:
        raise ValueError(f"an Ed25519 {kind} key has 32 raw bytes, this one has {len(raw)}")
    return raw
