"""QR codes for badges, built fast: a fixed mask and one small 1-bit bitmap per code.

segno spends most of its time choosing the "best" of the eight masks (it draws all eight and
scores them); every mask is valid and every reader handles each one, so we fix it. The code is
then kept as one bitmap with one pixel per module, which a PDF scales up as a single image
instead of drawing a rectangle per module.
"""

from __future__ import annotations

from dataclasses import dataclass

import segno
from PIL import Image

__all__ = [
    "ERROR_LEVEL",
    "FALLBACK_LEVEL",
    "MASK",
    "MAX_VERSION_AT_Q",
    "QUIET_ZONE",
    "QrBitmap",
    "qr_bitmap",
    "qr_code",
    "qr_image",
    "qr_matrix",
]

# 25 % of the code may be damaged (the EU digital COVID certificate's level, for codes worn
# and scratched) while the symbol fits version 8 (49 modules): a badge of up to 6 sessions.
# A longer code is made at M (15 %), which keeps version 8 up to 11 sessions, so that the
# modules stay large enough to scan on the CR80 card. segno raises either level for free when
# it fits the same version.
ERROR_LEVEL = "q"
FALLBACK_LEVEL = "m"
MAX_VERSION_AT_Q = 8
MASK = 0
QUIET_ZONE = 4  # modules of white around the code, as the standard asks

# A matrix row (one byte per module, 1 = dark) → ASCII bits with 1 = white, as PDF and PIL want.
_TO_WHITE_BITS = bytes.maketrans(b"\x00\x01", b"10")


@dataclass(frozen=True, slots=True)
class QrBitmap:
    """A QR code as packed 1-bit rows (most significant bit first, 1 = white, rows padded to
    whole bytes), quiet zone included: the layout of a PDF DeviceGray image and of PIL's "1"."""

    size: int  # pixels (= modules) per side, quiet zone included
    data: bytes
    version: int


def qr_code(text: str) -> segno.QRCode:
    """The symbol for ``text``: at Q while it fits version 8, otherwise at M."""
    code = segno.make(text, error=ERROR_LEVEL, mask=MASK, micro=False)
    if code.version > MAX_VERSION_AT_Q:
        code = segno.make(text, error=FALLBACK_LEVEL, mask=MASK, micro=False)
    return code


def qr_matrix(text: str) -> tuple[bytearray, ...]:
    """The symbol's modules, one bytearray per row, 1 = dark, without the quiet zone."""
    return qr_code(text).matrix


def qr_bitmap(text: str, *, border: int = QUIET_ZONE) -> QrBitmap:
    code = qr_code(text)
    matrix = code.matrix
    size = len(matrix) + 2 * border
    row_bytes = (size + 7) // 8
    pad = row_bytes * 8 - size
    edge = b"1" * border
    blank = ((1 << (row_bytes * 8)) - 1).to_bytes(row_bytes, "big")
    rows = [blank] * border
    for row in matrix:
        bits = edge + bytes(row).translate(_TO_WHITE_BITS) + edge
        rows.append((int(bits, 2) << pad).to_bytes(row_bytes, "big"))
    rows += [blank] * border
    return QrBitmap(size=size, data=b"".join(rows), version=code.version)


def qr_image(text: str, *, scale: int = 1, border: int = QUIET_ZONE) -> Image.Image:
    """The code as a PIL 1-bit image, ``scale`` pixels per module."""
    bitmap = qr_bitmap(text, border=border)
    image = Image.frombytes("1", (bitmap.size, bitmap.size), bitmap.data)
    if scale != 1:
        image = image.resize((bitmap.size * scale,) * 2, Image.Resampling.NEAREST)
    return image
