"""Decide a file's type from its content, never from its name or the browser's claim."""

from __future__ import annotations

from typing import BinaryIO

JPEG = "image/jpeg"
PNG = "image/png"
PDF = "application/pdf"

EXTENSIONS = {JPEG: "jpg", PNG: "png", PDF: "pdf"}

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", JPEG),
    (b"\x89PNG\r\n\x1a\n", PNG),
)


def sniff_bytes(head: bytes) -> str | None:
    """Return the MIME type the leading bytes prove, or None if they prove nothing we accept."""
    for signature, mime in _SIGNATURES:
        if head.startswith(signature):
            return mime
    # A PDF header may be preceded by a little junk; readers accept it within the first 1 KiB.
    if b"%PDF-" in head[:1024]:
        return PDF
    return None


def sniff(fileobj: BinaryIO) -> str | None:
    """Sniff an open file without moving its position."""
    position = fileobj.tell()
    try:
        fileobj.seek(0)
        return sniff_bytes(fileobj.read(1024))
    finally:
        fileobj.seek(position)
