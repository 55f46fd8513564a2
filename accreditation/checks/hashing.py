"""Fingerprints: the exact bytes (SHA-256) and what a picture looks like (a 64-bit dHash).

The SHA-256 of a stored file finds the very same upload twice. The difference hash finds the
same *picture* sent again after being re-encoded, resized or renamed, which is how one photo
turns up on two applications. Two pictures are "the same" when their hashes differ in at most
:data:`SIMILAR_MAX_DISTANCE` of 64 bits; measured: the astronaut portrait halved and
re-encoded at JPEG quality 40 differs by 2 bits, blown up to 12 MP by 0; eight unrelated
photographs and scans differ pairwise by 23 to 42. The hash covers the whole picture, so the
same photo framed differently is a different picture: hash the badge crop
(:attr:`~accreditation.checks.faces.PortraitReport.badge_jpeg`), which is cut around the face
the same way every time, to find one face photo under two names.
"""

from __future__ import annotations

import hashlib
import io
import os
from typing import BinaryIO

from PIL import Image

from accreditation import filetypes
from accreditation.checks.images import (
    DEFAULT_MAX_BUFFERED_PIXELS,
    DEFAULT_MAX_PIXELS,
    NormalisedImage,
    read_header,
)
from accreditation.checks.sources import Source, open_source

SIMILAR_MAX_DISTANCE = 10
_HASH_SIZE = 8  # 8 rows of 8 comparisons: 64 bits


def sha256_of(src: Source) -> str:
    """The SHA-256 of a file (path, bytes or open binary file), as 64 hex digits."""
    if isinstance(src, bytes | bytearray | memoryview):
        return hashlib.sha256(src).hexdigest()
    with open_source(src) as fileobj:
        return hashlib.file_digest(fileobj, "sha256").hexdigest()


def perceptual_hash(
    picture: Image.Image | NormalisedImage | bytes | str | os.PathLike[str] | BinaryIO,
) -> str:
    """A 64-bit difference hash (dHash) as 16 hex digits.

    The picture is reduced to 9×8 grey pixels; each bit says whether a pixel is brighter
    than its right-hand neighbour. Only coarse structure survives, so re-encoding and
    resizing change few bits. Encoded pictures are decoded at 1/8 scale where possible, and
    refused (ValueError) above the pixel limit of :func:`~accreditation.checks.images.normalise_image`.
    """
    if isinstance(picture, NormalisedImage):
        if picture.preview is None:
            raise ValueError("the picture could not be decoded")
        image = picture.preview
    elif isinstance(picture, Image.Image):
        image = picture
    else:
        image = _open_small(picture)
    grey = image.convert("L") if image.mode != "L" else image
    if max(grey.size) > 128:
        grey = grey.reduce(max(1, max(grey.size) // 64))
    small = grey.resize((_HASH_SIZE + 1, _HASH_SIZE), Image.Resampling.BOX)
    pixels = small.tobytes()  # mode L: one byte per pixel, row by row
    bits = 0
    for row in range(_HASH_SIZE):
        for column in range(_HASH_SIZE):
            left = pixels[row * (_HASH_SIZE + 1) + column]
            right = pixels[row * (_HASH_SIZE + 1) + column + 1]
            bits = (bits << 1) | (left > right)
    return f"{bits:016x}"


def _open_small(src: bytes | str | os.PathLike[str] | BinaryIO) -> Image.Image:
    if isinstance(src, bytes):
        src = io.BytesIO(src)
    with open_source(src) as fileobj:
        header = read_header(fileobj)
        if header is None or header.pixels == 0:
            raise ValueError("not a readable JPEG or PNG picture")
        buffered = header.mime != filetypes.JPEG or header.progressive
        if header.pixels > (DEFAULT_MAX_BUFFERED_PIXELS if buffered else DEFAULT_MAX_PIXELS):
            raise ValueError(f"the picture declares {header.width}×{header.height} pixels")
        image = Image.open(fileobj, formats=["JPEG" if header.mime == filetypes.JPEG else "PNG"])
        image.draft("L", (64, 64))
        image.load()
        return image


def hamming(a: str, b: str) -> int:
    """How many bits differ between two hashes of the same length."""
    if len(a) != len(b):
        raise ValueError("hashes of different lengths cannot be compared")
    return (int(a, 16) ^ int(b, 16)).bit_count()


def similar(a: str, b: str, *, max_distance: int = SIMILAR_MAX_DISTANCE) -> bool:
    return hamming(a, b) <= max_distance
