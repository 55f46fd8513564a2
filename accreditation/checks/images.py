"""Decode an uploaded picture safely and keep a clean, upright, bounded copy of it.

Uploaded JPEG and PNG files are hostile input until proven otherwise. ``normalise_image``:

1. trusts the content, not the name: the leading bytes must say JPEG or PNG;
2. reads the pixel dimensions from the file header *before* decoding anything, and refuses a
   decompression bomb (a 50,000×50,000 PNG is a few hundred kilobytes on disk and 7.5 GB
   decoded) without allocating its pixels;
3. decodes JPEGs at a reduced scale (libjpeg's DCT scaling via Pillow's ``draft``), which is
   faster and smaller than decoding in full and resizing;
4. applies the EXIF orientation, then re-encodes to a fresh JPEG: no EXIF (so no GPS
   position, camera serial or thumbnail of the uncropped original), no XMP, no ICC profile,
   no comment survives;
5. reports the resolution of the original and whether the picture is in colour.

The caller stores ``jpeg`` and never serves the original upload.
"""

from __future__ import annotations

import io
import logging
import os
import struct
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import BinaryIO

import cv2
import numpy as np
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from PIL import Image

from accreditation import filetypes
from accreditation.checks.results import CheckResult, Outcome, interpolate
from accreditation.checks.sources import Source, open_source

logger = logging.getLogger(__name__)

FORMAT = "image.format"
PIXELS = "image.pixels"
DECODABLE = "image.decodable"
RESOLUTION = "image.resolution"
COLOUR = "image.colour"

# 80 MP covers every phone's default output (12–50 MP) with room to spare and stays below
# Pillow's own bomb warning (89 MP). Baseline JPEGs that big are decoded at 1/4 or 1/8 scale,
# so they cost a few megabytes, not hundreds.
DEFAULT_MAX_PIXELS = filetypes.MAX_PIXELS
# PNGs and progressive JPEGs are decoded at full size whatever the output size (libjpeg keeps
# every DCT coefficient of a progressive file in memory), so they get a lower ceiling:
# 25 MP RGBA is 100 MB while decoding. An A4 page scanned at 300 dpi is 8.7 MP.
DEFAULT_MAX_BUFFERED_PIXELS = 25_000_000
# The photo specification: at least 354×472 pixels (either orientation here; the portrait
# check insists on width × height).
DEFAULT_MIN_SIZE = (354, 472)
# A JPEG may be decoded at 1/2, 1/4 or 1/8 scale when the result keeps at least this share of
# ``max_side``: a 300 dpi A4 scan (3508 px) then decodes straight to 1754 px instead of being
# decoded in full and resized to 2000 px, at about half the cost.
DRAFT_SLACK = 0.8
JPEG_QUALITY = 85
# Greyscale test, on a ≈ 64-pixel box-filtered copy: a picture is in colour when at least 1 %
# of its pixels have a chroma (max(R,G,B) − min(R,G,B)) of 24 or more out of 255. A
# greyscale picture saved as RGB measures 0 everywhere, tinted paper 5–15; skin, clothing and
# printed colour measure 40 and more. A 1 % share lets a mostly white scanned page with a
# colour photo or stamp count as colour (the test scan has 3.8 %, the portrait 50 %).
COLOURFUL_CHROMA = 24
COLOURFUL_MIN_SHARE = 0.01

_SOF_MARKERS = frozenset(
    {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
)
_PROGRESSIVE_SOF_MARKERS = frozenset({0xC2, 0xC6, 0xCA, 0xCE})
_ORIENTATION_TAG = 0x0112
_TRANSPOSE_FOR_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_PILLOW_FORMATS = {filetypes.JPEG: "JPEG", filetypes.PNG: "PNG"}


@dataclass(frozen=True, slots=True)
class ImageHeader:
    """What the file header declares, read without decoding a single pixel."""

    mime: str
    width: int
    height: int
    progressive: bool = False

    @property
    def pixels(self) -> int:
        return self.width * self.height


@dataclass(frozen=True)
class NormalisedImage:
    """The outcome of :func:`normalise_image`.

    ``jpeg`` is the copy to store (None when the upload is unusable); ``width``/``height`` are
    its size. ``source_width``/``source_height`` are the original's size, upright. ``image``
    holds the decoded pixels of ``jpeg`` (RGB or L) so that the portrait check does not have
    to decode it again; ``preview`` is the same picture box-reduced to a long side of
    320–639 pixels, for the checks that only need a glance (colour, face detection, hash).
    """

    results: list[CheckResult]
    jpeg: bytes | None = field(default=None, repr=False)
    width: int = 0
    height: int = 0
    source_width: int = 0
    source_height: int = 0
    mime: str = ""
    image: Image.Image | None = field(default=None, repr=False, compare=False)
    preview: Image.Image | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.jpeg is not None and not any(result.failed for result in self.results)

    @property
    def greyscale(self) -> bool:
        return any(r.code == COLOUR and r.value == "greyscale" for r in self.results)


def normalise_image(
    src: Source,
    *,
    max_side: int = 2000,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_buffered_pixels: int = DEFAULT_MAX_BUFFERED_PIXELS,
    min_size: tuple[int, int] = DEFAULT_MIN_SIZE,
    require_colour: bool = False,
) -> NormalisedImage:
    """Check an uploaded JPEG or PNG and produce a clean JPEG no larger than ``max_side``.

    Never raises on bad input: problems come back as FAIL results and ``jpeg=None``.
    ``require_colour`` turns a greyscale picture from a WARNING (fine for a photocopy of a
    document) into a FAIL (a badge photo must be in colour).
    """
    results: list[CheckResult] = []
    with open_source(src) as fileobj:
        header = read_header(fileobj)
        if header is None:
            results.append(
                CheckResult(FORMAT, Outcome.FAIL, _("The file is not a JPEG or PNG picture."))
            )
            return NormalisedImage(results)
        results.append(
            CheckResult(FORMAT, Outcome.PASS, _("The file is a JPEG or PNG picture."), header.mime)
        )
        dimensions = f"{header.width}×{header.height}"
        buffered = header.mime != filetypes.JPEG or header.progressive
        limit = min(max_pixels, max_buffered_pixels) if buffered else max_pixels
        if header.pixels == 0:
            results.append(
                CheckResult(
                    DECODABLE,
                    Outcome.FAIL,
                    _("The picture is damaged or incomplete and cannot be read."),
                    dimensions,
                )
            )
            return NormalisedImage(results, mime=header.mime)
        if header.pixels > limit:
            results.append(
                CheckResult(
                    PIXELS,
                    Outcome.FAIL,
                    interpolate(
                        ngettext_lazy(
                            "The picture declares %(dimensions)s pixels, more than the "
                            "%(megapixels)s megapixel accepted; it was not opened.",
                            "The picture declares %(dimensions)s pixels, more than the "
                            "%(megapixels)s megapixels accepted; it was not opened.",
                            limit // 1_000_000,
                        ),
                        dimensions=dimensions,
                        megapixels=limit // 1_000_000,
                    ),
                    dimensions,
                )
            )
            return NormalisedImage(results, mime=header.mime)
        results.append(
            CheckResult(PIXELS, Outcome.PASS, _("The picture's size is within limits."), dimensions)
        )
        try:
            image, source_size = _decode(fileobj, header, max_side)
        except TooLargeToDecode as error:
            results.append(
                CheckResult(
                    PIXELS,
                    Outcome.FAIL,
                    _("The picture is too large to open (its size and colour depth together)."),
                    str(error),
                )
            )
            return NormalisedImage(results, mime=header.mime)
        except Exception as error:  # any decoder error on hostile input means "not decodable"
            logger.info("image not decodable: %r", error)
            results.append(
                CheckResult(
                    DECODABLE,
                    Outcome.FAIL,
                    _("The picture is damaged or incomplete and cannot be read."),
                    type(error).__name__,
                )
            )
            return NormalisedImage(results, mime=header.mime)
    results.append(CheckResult(DECODABLE, Outcome.PASS, _("The picture can be read.")))
    results.append(_resolution_result(source_size, min_size))
    preview = make_preview(image)
    results.append(_colour_result(preview, require_colour))
    jpeg = encode_jpeg(image)
    return NormalisedImage(
        results,
        jpeg=jpeg,
        width=image.width,
        height=image.height,
        source_width=source_size[0],
        source_height=source_size[1],
        mime=header.mime,
        image=image,
        preview=preview,
    )


def read_header(fileobj: BinaryIO) -> ImageHeader | None:
    """Dimensions from a JPEG's SOF segment or a PNG's IHDR chunk.

    None when the content is neither JPEG nor PNG; a header of 0×0 pixels when it starts
    like one but its dimensions cannot be found (a damaged or cut-off file).
    """
    mime = filetypes.sniff(fileobj)
    if mime not in _PILLOW_FORMATS:
        return None
    fileobj.seek(0)
    try:
        if mime == filetypes.PNG:
            head = fileobj.read(24)
            if len(head) < 24 or head[12:16] != b"IHDR":
                return ImageHeader(mime, 0, 0)
            width, height = struct.unpack(">II", head[16:24])
            return ImageHeader(mime, width, height)
        return _read_jpeg_header(fileobj) or ImageHeader(mime, 0, 0)
    finally:
        fileobj.seek(0)


def _read_jpeg_header(fileobj: BinaryIO) -> ImageHeader | None:
    fileobj.seek(2)
    for _segment in range(4096):  # a real file reaches its SOF within a handful of segments
        byte = fileobj.read(1)
        if byte != b"\xff":
            return None
        marker = fileobj.read(1)
        while marker == b"\xff":  # fill bytes
            marker = fileobj.read(1)
        if not marker:
            return None
        code = marker[0]
        if code == 0x01 or 0xD0 <= code <= 0xD8:  # standalone markers carry no length
            continue
        if code in (0xD9, 0xDA):  # end of image, or scan data before any frame header
            return None
        length_bytes = fileobj.read(2)
        if len(length_bytes) < 2:
            return None
        (length,) = struct.unpack(">H", length_bytes)
        if length < 2:
            return None
        if code in _SOF_MARKERS:
            frame = fileobj.read(5)
            if len(frame) < 5:
                return None
            _precision, height, width = struct.unpack(">BHH", frame)
            return ImageHeader(filetypes.JPEG, width, height, code in _PROGRESSIVE_SOF_MARKERS)
        fileobj.seek(length - 2, 1)
    return None


def _decode(
    fileobj: BinaryIO, header: ImageHeader, max_side: int
) -> tuple[Image.Image, tuple[int, int]]:
    """Decode at the smallest useful scale; return the upright RGB/L image and the source size."""
    image = Image.open(fileobj, formats=[_PILLOW_FORMATS[header.mime]])
    if image.size != (header.width, header.height):
        raise ValueError(f"header says {header.width}×{header.height}, decoder {image.size}")
    orientation = _orientation(image)
    if header.mime == filetypes.JPEG:
        scale = _draft_scale(image.size, max_side)
        if scale > 1:
            # Pillow picks the largest libjpeg scale that keeps the image at least this size.
            image.draft(None, (max(1, image.width // scale), max(1, image.height // scale)))
    # The decoded pixels and the copies made from them, counted against the process's budget
    # (whatever the mode and bit depth: a 24 MP 16-bit PNG with alpha is 190 MB of them).
    with DECODE_BUDGET.reserve(image.width * image.height * _PEAK_BYTES.get(image.mode, 12)):
        image.load()
        image = _to_rgb_or_l(image)
        image = _fit(image, max_side)
    source_size = (header.width, header.height)
    if orientation in _TRANSPOSE_FOR_ORIENTATION:
        image = image.transpose(_TRANSPOSE_FOR_ORIENTATION[orientation])
        if orientation >= 5:  # the four orientations that swap width and height
            source_size = (header.height, header.width)
    image.info.clear()  # nothing of the original's metadata may follow the pixels
    return image, source_size


# Bytes a decoded pixel costs at the peak of _decode (the pixels, the copy a conversion makes,
# the RGB or grey result), by the mode Pillow decodes to.
_PEAK_BYTES = {"1": 2, "L": 2, "P": 9, "RGB": 4, "YCbCr": 7, "CMYK": 8, "LA": 9, "PA": 9}
_PEAK_BYTES.update({"RGBA": 8, "I": 14, "I;16": 12, "I;16B": 12, "I;16L": 12, "I;16N": 12})


class TooLargeToDecode(Exception):
    pass


class DecodeBudget:
    """How many bytes of decoded pixels this process holds at once, across its threads: a
    picture waits until enough is free, and one that alone needs more than the whole budget is
    refused (PRESSPASS_DECODE_BUDGET_MB)."""

    def __init__(self, limit_bytes: int):
        self.limit = limit_bytes
        self.used = 0
        self._free = threading.Condition()

    @contextmanager
    def reserve(self, amount: int):
        if amount > self.limit:
            raise TooLargeToDecode(f"{amount // 2**20} MB > {self.limit // 2**20} MB")
        with self._free:
            self._free.wait_for(lambda: self.used + amount <= self.limit)
            self.used += amount
        try:
            yield
        finally:
            with self._free:
                self.used -= amount
                self._free.notify_all()


def _budget_bytes() -> int:
    from django.conf import settings

    megabytes = (
        getattr(settings, "PRESSPASS_DECODE_BUDGET_MB", None) if settings.configured else None
    )
    return int(megabytes or os.environ.get("PRESSPASS_DECODE_BUDGET_MB") or 400) * 2**20


DECODE_BUDGET = DecodeBudget(_budget_bytes())


def _orientation(image: Image.Image) -> int:
    try:
        return int(image.getexif().get(_ORIENTATION_TAG, 1))
    except Exception:  # a broken EXIF block must not make the picture unusable
        return 1


def _draft_scale(size: tuple[int, int], max_side: int) -> int:
    """The largest of 8, 4, 2 that keeps the long side at least DRAFT_SLACK × max_side."""
    long_side = max(size)
    for scale in (8, 4, 2):
        if long_side / scale >= DRAFT_SLACK * max_side:
            return scale
    return 1


def _to_rgb_or_l(image: Image.Image) -> Image.Image:
    if image.mode in ("RGB", "L"):
        return image
    if image.mode == "1":
        return image.convert("L")
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        pixels = np.asarray(image)
        shift = 8 if pixels.max(initial=0) > 255 else 0
        return Image.fromarray((pixels >> shift).clip(0, 255).astype(np.uint8), "L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image if image.mode == "RGBA" else image.convert("RGBA")
        flattened = Image.new("RGB", rgba.size, (255, 255, 255))
        flattened.paste(rgba, mask=rgba.getchannel("A"))
        return flattened
    return image.convert("RGB")


def _fit(image: Image.Image, max_side: int) -> Image.Image:
    """Shrink so that the long side is at most ``max_side``.

    Integer factors use Pillow's box ``reduce`` (cheap); the remaining small factor uses
    OpenCV's bilinear resize, about twice as fast as Pillow's on this hardware and adequate
    for a ratio between 1/2 and 1.
    """
    long_side = max(image.size)
    if long_side <= max_side:
        return image
    factor = long_side // max_side
    if factor >= 2:
        image = image.reduce(factor)
        long_side = max(image.size)
        if long_side <= max_side:
            return image
    ratio = max_side / long_side
    size = (max(1, round(image.width * ratio)), max(1, round(image.height * ratio)))
    size = (min(size[0], max_side), min(size[1], max_side))
    pixels = cv2.resize(np.asarray(image), size, interpolation=cv2.INTER_LINEAR)
    return Image.fromarray(pixels, image.mode)


def _resolution_result(source_size: tuple[int, int], min_size: tuple[int, int]) -> CheckResult:
    dimensions = f"{source_size[0]}×{source_size[1]}"
    if min(source_size) < min(min_size) or max(source_size) < max(min_size):
        return CheckResult(
            RESOLUTION,
            Outcome.FAIL,
            interpolate(
                _("The picture is %(dimensions)s pixels; at least %(minimum)s are needed."),
                dimensions=dimensions,
                minimum=f"{min_size[0]}×{min_size[1]}",
            ),
            dimensions,
        )
    return CheckResult(
        RESOLUTION, Outcome.PASS, _("The picture's resolution is sufficient."), dimensions
    )


PREVIEW_LONG_SIDE = 320


def make_preview(image: Image.Image) -> Image.Image:
    """A box-reduced copy with a long side between PREVIEW_LONG_SIDE and twice that."""
    factor = max(1, max(image.size) // PREVIEW_LONG_SIDE)
    return image.reduce(factor) if factor > 1 else image


def colourful_share(image: Image.Image) -> float:
    """The share of pixels, on a ≈ 64-pixel box-filtered copy, that are clearly coloured."""
    if image.mode != "RGB":
        return 0.0
    factor = max(1, max(image.size) // 64)
    small = np.asarray(image.reduce(factor) if factor > 1 else image, dtype=np.int16)
    chroma = small.max(axis=2) - small.min(axis=2)
    return float((chroma >= COLOURFUL_CHROMA).mean())


def is_greyscale(image: Image.Image) -> bool:
    return colourful_share(image) < COLOURFUL_MIN_SHARE


def _colour_result(image: Image.Image, require_colour: bool) -> CheckResult:
    if not is_greyscale(image):
        return CheckResult(COLOUR, Outcome.PASS, _("The picture is in colour."), "colour")
    if require_colour:
        return CheckResult(
            COLOUR,
            Outcome.FAIL,
            _("The picture is black and white; send a colour one."),
            "greyscale",
        )
    return CheckResult(COLOUR, Outcome.WARNING, _("The picture is black and white."), "greyscale")


def encode_jpeg(image: Image.Image, *, quality: int = JPEG_QUALITY) -> bytes:
    """A baseline JPEG carrying pixels only: Pillow writes no EXIF, XMP, ICC or comment
    unless asked, and ``image.info`` has been emptied so none is carried over."""
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()
