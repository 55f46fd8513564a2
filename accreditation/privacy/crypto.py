"""Encryption at rest (issue #21): private files and document numbers, AES-256-GCM.

Keys. ``PRESSPASS_DATA_KEYS`` holds the key-encryption keys (KEKs), ``id:base64key`` separated
by commas, the first one current (``k2:…,k1:…``): new files are wrapped under it, every listed
key still opens what it wrapped. Without the setting (development, tests, ``make demo``) one
key ``dev`` is derived from SECRET_KEY with HKDF; the deploy check ``presspass.E004`` refuses
production without real keys. ``manage.py rotate_keys`` re-wraps everything under the current
key; the old key can be removed from the list once ``rotate_keys --check``, run after every
process restarted with the new key first, reports nothing left under it.

Files. Each file has its own random 256-bit data key. The stored file is a fixed header of
``HEADER_SIZE`` bytes, then the content in chunks of ``CHUNK`` bytes, each sealed with AES-GCM
under the data key (nonce = the file's random prefix + the chunk's number; the last chunk is
marked in its associated data, so a file cut short or chunks swapped are refused). The header
holds the KEK's id and the data key wrapped (AES-GCM) under that KEK. Rotating a key rewrites
the header only (128 bytes at offset 0, inside the first disk sector), never the content: the
file's key does not change, only the key it is wrapped under. (A table of wrapped keys in the
database was the other way: it would put a query in every read, including the checks' threads
that must not touch the database, and let a file and its key drift apart in a backup.)

Fields. A document number is stored as ``pp1:<kek id>:<base64 nonce+ciphertext>``, sealed
under a key derived (HKDF) from a KEK, with the field's name as associated data; beside it a
keyed hash (HMAC-SHA256 of the number folded: no case, spaces or dashes) under another key
derived from the same KEK, for duplicate detection and search. Lookups hash with every listed
key (``lookup_hashes``), so a number stays findable between a key's arrival and its rotation.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import io
import os
import re
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MAGIC = b"\x89PPENC1\n"  # like PNG's: not text, not the start of any type we store
HEADER_SIZE = 128
CHUNK = 64 * 1024
TAG = 16
_KEY_ID_SIZE = 16
_HEADER = struct.Struct(">8s16s12s48s8sI")  # magic, kek id, wrap nonce, wrapped key, prefix, chunk
DEV_KEY_ID = "dev"
_KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,16}$")


class DecryptionError(Exception):
    """A stored file or value that does not open: tampered, cut short, or under an unknown key."""


class PlainFileError(DecryptionError):
    """A file stored before encryption, while reading plain files is refused."""


@dataclass(frozen=True)
class KeyRing:
    current: str
    keys: dict[str, bytes]

    def kek(self, key_id: str) -> bytes:
        try:
            return self.keys[key_id]
        except KeyError:
            raise DecryptionError(f"unknown key id {key_id!r}") from None


def _hkdf(secret: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"presspass", info=info).derive(secret)


def development_key() -> bytes:
    return _hkdf(settings.SECRET_KEY.encode(), b"presspass key-encryption key (development only)")


def parse_keys(text: str) -> dict[str, bytes]:
    """``id:base64key,…`` as an ordered dict; ImproperlyConfigured on anything else."""
    keys: dict[str, bytes] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        key_id, sep, encoded = item.partition(":")
        if not sep or not _KEY_ID.match(key_id) or key_id in keys:
            raise ImproperlyConfigured(
                "PRESSPASS_DATA_KEYS: each key is id:base64 (id of 1-16 letters, digits, . _ -), "
                "ids distinct"
            )
        try:
            key = base64.b64decode(encoded, validate=True)
        except ValueError:
            key = b""
        if len(key) != 32:
            raise ImproperlyConfigured(
                f"PRESSPASS_DATA_KEYS: key {key_id!r} is not 32 bytes in base64"
            )
        keys[key_id] = key
    return keys


@functools.lru_cache(maxsize=8)
def _ring(text: str, secret_key: str, production: bool) -> KeyRing:
    keys = parse_keys(text)
    if not keys:
        return KeyRing(DEV_KEY_ID, {DEV_KEY_ID: development_key()})
    if not production and DEV_KEY_ID not in keys:
        # Files made before real keys were set (a demo turned into a test deployment) still
        # open, and rotate_keys moves them under the real key.
        keys[DEV_KEY_ID] = development_key()
    return KeyRing(next(iter(keys)), keys)


def keyring() -> KeyRing:
    return _ring(
        settings.PRESSPASS_DATA_KEYS, settings.SECRET_KEY, getattr(settings, "PRODUCTION", False)
    )


def ring_setting(ring: KeyRing | None = None) -> str:
    """The key ring in PRESSPASS_DATA_KEYS's format, current key first: what another process
    (a test's web server and worker) needs to open what this one stored."""
    ring = ring or keyring()
    ordered = [ring.current, *(key_id for key_id in ring.keys if key_id != ring.current)]
    return ",".join(
        f"{key_id}:{base64.b64encode(ring.keys[key_id]).decode()}" for key_id in ordered
    )


def new_key() -> str:
    """A new KEK in the setting's format (base64 of 32 random bytes)."""
    return base64.b64encode(os.urandom(32)).decode()


# Files ---------------------------------------------------------------------------------------


def _wrap(ring: KeyRing, data_key: bytes, prefix: bytes) -> bytes:
    key_id = ring.current.encode().ljust(_KEY_ID_SIZE, b"\0")
    nonce = os.urandom(12)
    wrapped = AESGCM(ring.kek(ring.current)).encrypt(nonce, data_key, MAGIC + key_id + prefix)
    header = _HEADER.pack(MAGIC, key_id, nonce, wrapped, prefix, CHUNK)
    return header.ljust(HEADER_SIZE, b"\0")


@dataclass(frozen=True)
class Header:
    key_id: str
    data_key: bytes
    prefix: bytes
    chunk: int


def read_header(raw: bytes, ring: KeyRing | None = None) -> Header:
    if len(raw) < HEADER_SIZE or not raw.startswith(MAGIC):
        raise DecryptionError("not an encrypted file")
    magic, key_id_raw, nonce, wrapped, prefix, chunk = _HEADER.unpack_from(raw)
    key_id = key_id_raw.rstrip(b"\0").decode("ascii", "replace")
    ring = ring or keyring()
    try:
        data_key = AESGCM(ring.kek(key_id)).decrypt(nonce, wrapped, magic + key_id_raw + prefix)
    except InvalidTag:
        raise DecryptionError("the file's key does not open under its key id") from None
    if chunk <= 0 or chunk > 16 * CHUNK:
        raise DecryptionError("bad chunk size")
    return Header(key_id, data_key, prefix, chunk)


def header_key_id(raw: bytes) -> str | None:
    """The id of the key an encrypted file's data key is wrapped under (None: not encrypted),
    read without opening anything."""
    if len(raw) < HEADER_SIZE or not raw.startswith(MAGIC):
        return None
    return _HEADER.unpack_from(raw)[1].rstrip(b"\0").decode("ascii", "replace")


def is_encrypted(head: bytes) -> bool:
    return head.startswith(MAGIC)


def rewrapped_header(raw: bytes, ring: KeyRing | None = None) -> bytes | None:
    """The header of an encrypted file re-wrapped under the current key, or None when it is
    already under it. The data key, hence the content, stays the same."""
    ring = ring or keyring()
    header = read_header(raw, ring)
    if header.key_id == ring.current:
        return None
    return _wrap(ring, header.data_key, header.prefix)


def _aad(prefix: bytes, last: bool, name: str) -> bytes:
    """What each chunk is sealed with besides its content: the format, the file's prefix,
    whether it is the last chunk, and the storage name it is stored under (one stored file
    copied over another does not open under the other's name)."""
    return MAGIC + prefix + (b"\x01" if last else b"\x00") + name.encode("utf-8")


def _nonce(prefix: bytes, index: int) -> bytes:
    return prefix + struct.pack(">I", index)


def encrypt_chunks(
    chunks: Iterable[bytes], ring: KeyRing | None = None, *, name: str = ""
) -> Iterator[bytes]:
    """The stored form of the content given in pieces of any size, to be stored under
    ``name``: header, then sealed chunks."""
    ring = ring or keyring()
    data_key = AESGCM.generate_key(bit_length=256)
    prefix = os.urandom(8)
    yield _wrap(ring, data_key, prefix)
    aead = AESGCM(data_key)
    pending = bytearray()
    index = 0
    for piece in chunks:
        pending += piece
        while len(pending) > CHUNK:  # keep the last chunk back: it is sealed as the last
            yield aead.encrypt(
                _nonce(prefix, index), bytes(pending[:CHUNK]), _aad(prefix, False, name)
            )
            del pending[:CHUNK]
            index += 1
    yield aead.encrypt(_nonce(prefix, index), bytes(pending), _aad(prefix, True, name))


def encrypt_bytes(data: bytes, *, name: str = "") -> bytes:
    return b"".join(encrypt_chunks([data], name=name))


def plain_size(stored_size: int, chunk: int = CHUNK) -> int:
    body = stored_size - HEADER_SIZE
    chunks = max(1, -(-body // (chunk + TAG)))
    return body - chunks * TAG


class DecryptedFile(io.RawIOBase):
    """Reads the content of an encrypted file, chunk by chunk, from its open stored form
    (a local file, or a bucket's object): seekable, with the content's ``size``."""

    def __init__(
        self,
        raw,
        header_bytes: bytes,
        stored_size: int,
        ring: KeyRing | None = None,
        *,
        name: str = "",
    ):
        super().__init__()
        self._raw = raw
        self._name = name
        self._header = read_header(header_bytes, ring)
        self._aead = AESGCM(self._header.data_key)
        self._chunk = self._header.chunk
        self.size = plain_size(stored_size, self._chunk)
        if self.size < 0:
            raise DecryptionError("the file is cut short")
        self._chunks = max(1, -(-(stored_size - HEADER_SIZE) // (self._chunk + TAG)))
        self._pos = 0
        self._cached: tuple[int, bytes] | None = None
        self._plain_chunk(0)  # a wrong key or an altered start is refused on opening

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def _open_chunk(self, index: int, sealed) -> bytes:
        last = index == self._chunks - 1
        try:
            return self._aead.decrypt(
                _nonce(self._header.prefix, index),
                sealed,
                _aad(self._header.prefix, last, self._name),
            )
        except InvalidTag:
            raise DecryptionError("the file was altered or cut short") from None

    def _plain_chunk(self, index: int) -> bytes:
        if self._cached and self._cached[0] == index:
            return self._cached[1]
        self._raw.seek(HEADER_SIZE + index * (self._chunk + TAG))
        plain = self._open_chunk(index, self._raw.read(self._chunk + TAG))
        self._cached = (index, plain)
        return plain

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0 or size > self.size - self._pos:
            size = max(0, self.size - self._pos)
        if size == 0:
            return b""
        first, offset = divmod(self._pos, self._chunk)
        last = (self._pos + size - 1) // self._chunk
        if first == last:  # within one chunk (a response's small reads land here)
            piece = self._plain_chunk(first)[offset : offset + size]
        else:  # many chunks, read and opened one by one, joined once: one large allocation
            # only (each fresh multi-megabyte buffer costs its page faults, more than AES-GCM)
            sealed_size = self._chunk + TAG
            self._raw.seek(HEADER_SIZE + first * sealed_size)
            parts = [
                self._open_chunk(index, self._raw.read(sealed_size))
                for index in range(first, last + 1)
            ]
            self._cached = (last, parts[-1])
            joined = b"".join(parts)
            piece = joined[offset : offset + size] if offset or len(joined) != size else joined
        self._pos += len(piece)
        return piece

    def readall(self) -> bytes:
        return self.read(-1)

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


def decrypt_bytes(stored: bytes, *, name: str = "") -> bytes:
    with DecryptedFile(io.BytesIO(stored), stored[:HEADER_SIZE], len(stored), name=name) as reader:
        return reader.read()


# Fields --------------------------------------------------------------------------------------

FIELD_PREFIX = "pp1:"
_DASHES = re.compile(r"[\s\-‐‑‒–—―−]+")


@functools.lru_cache(maxsize=32)
def _field_key(kek: bytes) -> bytes:
    return _hkdf(kek, b"presspass field encryption v1")


@functools.lru_cache(maxsize=32)
def _hash_key(kek: bytes) -> bytes:
    return _hkdf(kek, b"presspass field hash v1")


def seal_text(value: str, field: str, ring: KeyRing | None = None) -> str:
    ring = ring or keyring()
    nonce = os.urandom(12)
    sealed = AESGCM(_field_key(ring.kek(ring.current))).encrypt(
        nonce, value.encode(), field.encode()
    )
    token = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
    return f"{FIELD_PREFIX}{ring.current}:{token}"


def is_sealed(value: str) -> bool:
    return value.startswith(FIELD_PREFIX)


def sealed_key_id(value: str) -> str:
    return value[len(FIELD_PREFIX) :].partition(":")[0]


def open_text(value: str, field: str, ring: KeyRing | None = None) -> str:
    ring = ring or keyring()
    key_id, _sep, token = value[len(FIELD_PREFIX) :].partition(":")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        plain = AESGCM(_field_key(ring.kek(key_id))).decrypt(raw[:12], raw[12:], field.encode())
    except (InvalidTag, ValueError):
        raise DecryptionError("a sealed value does not open") from None
    return plain.decode()


def fold_number(number: str) -> str:
    """A document number as compared: upper case, without spaces or dashes."""
    return _DASHES.sub("", (number or "").strip()).upper()


def _keyed_hash(kek: bytes, number: str) -> str:
    return hmac.new(_hash_key(kek), fold_number(number).encode(), hashlib.sha256).hexdigest()


def number_hash(number: str, ring: KeyRing | None = None) -> str:
    """The keyed hash stored beside a number (under the current key); empty for no number."""
    if not fold_number(number):
        return ""
    ring = ring or keyring()
    return _keyed_hash(ring.kek(ring.current), number)


def lookup_hashes(number: str, ring: KeyRing | None = None) -> list[str]:
    """The hashes a stored row of this number may carry: one per listed key."""
    if not fold_number(number):
        return []
    ring = ring or keyring()
    return [_keyed_hash(kek, number) for kek in ring.keys.values()]
