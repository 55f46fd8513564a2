"""Decide a file's type from its content, never from its name or the browser's claim."""

from __future__ import annotations

import io
import mmap
import os
import re
import struct
import zlib
from contextlib import contextmanager
from typing import BinaryIO

JPEG = "image/jpeg"
PNG = "image/png"
PDF = "application/pdf"

EXTENSIONS = {JPEG: "jpg", PNG: "png", PDF: "pdf"}

# The largest picture accepted, in pixels (checks/images.py explains the figure). Pillow is
# told the same (accreditation/apps.py): past it, opening any picture anywhere is an error.
MAX_PIXELS = 80_000_000

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


# --- The whole file, at upload --------------------------------------------------------------
# The first bytes say what a file claims to be; these say whether all of it is that: no web
# page or script hidden after a picture's header or before a PDF's (a file a browser could be
# made to run), not the antivirus test file, and a structure that reaches its end.

MARKUP = re.compile(
    rb"<(?:html|head|body|script|iframe|object|embed|svg|meta|form|frameset)[\s/>]"
    rb"|<!doctype\s+html|<\?php",
    re.IGNORECASE,
)
EICAR = b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE"


def screen(fileobj: BinaryIO, content_type: str) -> str | None:
    """Why the file is not entirely a ``content_type`` file ("markup", "malware", "structure"),
    or None. Looks at the whole file in place (mapped from the upload's temporary file, no
    copy), decodes nothing: a few milliseconds for a 10 MB file."""
    position = fileobj.tell()
    try:
        with _whole(fileobj) as data:
            if data.find(EICAR) != -1:
                return "malware"
            if MARKUP.search(data):  # fast: every branch starts with "<"
                return "markup"
            if content_type == JPEG:
                return None if _jpeg_whole(fileobj, data) else "structure"
        fileobj.seek(0)
        if content_type == PNG:
            return None if _png_whole(fileobj) else "structure"
        if content_type == PDF:
            return None if _pdf_ends(fileobj) else "structure"
        return None
    finally:
        fileobj.seek(position)


@contextmanager
def _whole(fileobj: BinaryIO):
    """The file's bytes: a read-only map of a real file, or its content in memory."""
    fileobj.seek(0)
    try:
        fileobj.flush()
        number = fileobj.fileno()
    except (AttributeError, OSError, io.UnsupportedOperation):
        yield fileobj.read()
        return
    if os.fstat(number).st_size == 0:
        yield b""
        return
    with mmap.mmap(number, 0, access=mmap.ACCESS_READ) as mapped:
        yield mapped


def _png_whole(fileobj: BinaryIO) -> bool:
    """Every chunk has its length and a right CRC, up to IEND, and nothing follows it."""
    if fileobj.read(8) != b"\x89PNG\r\n\x1a\n":
        return False
    while True:
        head = fileobj.read(8)
        if len(head) < 8:
            return False
        length, kind = struct.unpack(">I4s", head)
        data = fileobj.read(length)
        crc = fileobj.read(4)
        if len(data) < length or len(crc) < 4:
            return False
        if zlib.crc32(data, zlib.crc32(kind)) != struct.unpack(">I", crc)[0]:
            return False
        if kind == b"IEND":
            return fileobj.read(1) == b""


def _jpeg_whole(fileobj: BinaryIO, data) -> bool:
    """The segments lead to the image's scan, and its data ends with the end-of-image marker.
    (The EXIF thumbnail, in a segment before the scan, has its own: not the one looked for.
    Phones may append data after the end, e.g. a motion photo's video: what follows is
    screened above, not refused.)"""
    fileobj.seek(2)
    for _segment in range(4096):
        if fileobj.read(1) != b"\xff":
            return False
        marker = fileobj.read(1)
        while marker == b"\xff":
            marker = fileobj.read(1)
        if not marker or marker == b"\xd9":
            return False
        if marker[0] == 0x01 or 0xD0 <= marker[0] <= 0xD7:
            continue
        length_bytes = fileobj.read(2)
        if len(length_bytes) < 2:
            return False
        (length,) = struct.unpack(">H", length_bytes)
        fileobj.seek(length - 2, 1)
        if marker == b"\xda":
            # Searched from the end, where it is (none after the scan's start: cut off).
            return data.rfind(b"\xff\xd9", fileobj.tell()) != -1
    return False


def _pdf_ends(fileobj: BinaryIO) -> bool:
    """A PDF ends with ``%%EOF`` (within its last KiB, where readers look) after a
    ``startxref``."""
    fileobj.seek(0, 2)
    size = fileobj.tell()
    fileobj.seek(max(0, size - 2048))
    end = fileobj.read()
    return b"%%EOF" in end[-1024:] and b"startxref" in end
