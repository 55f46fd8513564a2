"""Badge PDFs: plain data in, PDF bytes out, one page (or one A4 slot) per badge.

Layouts:
    ``cr80``     85.6 × 54 mm card (ISO/IEC 7810 ID-1, landscape), one per page, for card printers;
    ``a6``       105 × 148 mm lanyard badge, one per page;
    ``a4_cr80``  CR80 cards ten to an A4 sheet (2 × 5) with crop marks, for office printers.

Speed comes from doing little per badge: fonts are registered once per process, the photo
JPEG goes into the PDF as it is (never decoded; one copy per distinct photo per file), the QR
code is one small 1-bit image, and reportlab's C accelerators (rl_accel) format the numbers.

Memory stays flat however long the batch: ``render_badges`` consumes its iterable lazily, one
page at a time, photos wait in a spool file rather than in RAM, and the PDF is written to
``out`` object by object (see pdf.py). Nothing is written to ``out`` until every page has
been drawn, so a failure half-way leaves ``out`` untouched.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice
from typing import BinaryIO

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, A6
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from .fonts import Chains, FontChain, font_chains, text_width, visual
from .pdf import ImageStore, new_canvas
from .text import INK, Box, Para, draw_block, draw_line, fit_block

__all__ = ["LAYOUTS", "BadgeData", "accelerated", "render_badge", "render_badges"]

LAYOUTS = ("cr80", "a6", "a4_cr80")

CR80_SIZE = (85.6 * mm, 54 * mm)
A4_COLUMNS, A4_ROWS = 2, 5
A4_GUTTER = 3 * mm  # between cards, so a slightly misplaced cut never eats into a neighbour
CROP_MARK_LENGTH = 4 * mm
CROP_MARK_OFFSET = 1 * mm  # marks start this far outside the card

WHITE = colors.white
GREY = colors.HexColor("#555555")
PHOTO_BACKGROUND = colors.HexColor("#d9d9d9")


@dataclass(frozen=True, kw_only=True)
class BadgeData:
    """Everything printed on one badge. Strings arrive translated and exactly as to be shown.

    ``photo_jpeg`` is the badge-ready portrait (3:4, e.g. 600×800, upright) as JPEG bytes; it
    is embedded as it is. Other image formats work but are re-encoded, which is slower.
    ``sessions`` are (label, "#rrggbb") pairs, shown as colour-coded labels.
    """

    event_name: str
    event_colour: str
    accent_colour: str
    photo_jpeg: bytes
    given_names: str
    family_names: str
    name_native: str = ""
    outlet: str
    country: str
    role: str
    sessions: Sequence[tuple[str, str]] = field(default_factory=tuple)
    badge_number: str
    qr_text: str
    footer: str = ""


def accelerated() -> bool:
    """True when reportlab uses its C accelerators (the rl_accel package) for every function."""
    from reportlab.lib import rl_accel

    return not rl_accel._py_funcs


# --- geometry ----------------------------------------------------------------------------------


def _mm(x: float, y: float, w: float, h: float) -> Box:
    return Box(x * mm, y * mm, w * mm, h * mm)


@dataclass(frozen=True, slots=True)
class CardSpec:
    """Where things go on one card, in points from the card's lower-left corner."""

    size: tuple[float, float]
    band_height: float
    accent_height: float
    event: Box
    event_size: tuple[float, float]  # largest and smallest font size
    photo: Box
    qr: Box
    number: Box
    number_size: float
    number_align: str  # "centre" or "end"
    names: Box
    family_size: tuple[float, float]
    given_size: tuple[float, float]
    arabic_size: tuple[float, float]
    detail_size: tuple[float, float]
    sessions: Box
    session_size: tuple[float, float]
    footer: Box
    footer_size: tuple[float, float]


CR80 = CardSpec(
    size=CR80_SIZE,
    band_height=8.5 * mm,
    accent_height=1.2 * mm,
    event=_mm(3, 45.5, 79.6, 8.5),
    event_size=(9, 5),
    photo=_mm(3, 9, 24, 32),
    qr=_mm(64.1, 2.5, 19, 19),
    number=_mm(3, 2.5, 24, 5),
    number_size=7.5,
    number_align="centre",  # under the photo
    names=_mm(29.5, 22.5, 53.1, 19.5),
    family_size=(11, 6),
    given_size=(8.5, 5.5),
    arabic_size=(10, 6),
    detail_size=(6.5, 4.5),
    sessions=_mm(29.5, 6.5, 33, 15),
    session_size=(8, 4.5),
    footer=_mm(29.5, 2.5, 33, 3.6),
    footer_size=(4.5, 3.5),
)

A6_SPEC = CardSpec(
    size=A6,
    band_height=20 * mm,
    accent_height=2 * mm,
    event=_mm(6, 128, 93, 20),
    event_size=(15, 8),
    photo=_mm(6, 71, 39, 52),
    qr=_mm(58, 81, 42, 42),  # the quiet zone sits inside this box
    number=_mm(45, 71, 54, 8),
    number_size=13,
    number_align="end",  # under the QR code
    names=_mm(6, 33, 93, 36),
    family_size=(20, 10),
    given_size=(14, 8),
    arabic_size=(17, 9),
    detail_size=(10.5, 7),
    sessions=_mm(6, 12, 93, 20),
    session_size=(14, 7),
    footer=_mm(6, 3, 93, 8),
    footer_size=(7.5, 5),
)


# --- colours ----------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _colour(hex_colour: str) -> colors.Color:
    value = hex_colour.strip()
    if not value.startswith("#") or len(value) not in (4, 7):
        raise ValueError(f"a colour must look like #rrggbb, not {hex_colour!r}")
    if len(value) == 4:
        value = "#" + "".join(ch * 2 for ch in value[1:])
    return colors.HexColor(value)


def _luminance(colour: colors.Color) -> float:
    def channel(v: float) -> float:
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(colour.red)
        + 0.7152 * channel(colour.green)
        + 0.0722 * channel(colour.blue)
    )


@lru_cache(maxsize=256)
def _text_on(hex_colour: str) -> colors.Color:
    """Black or white, whichever reads better on the given background."""
    lum = _luminance(_colour(hex_colour))
    return WHITE if (1.05 / (lum + 0.05)) >= ((lum + 0.05) / 0.05) else INK


def _is_pale(hex_colour: str) -> bool:
    return _luminance(_colour(hex_colour)) > 0.8


# --- one card ---------------------------------------------------------------------------------


def _draw_card(
    c: Canvas, images: ImageStore, badge: BadgeData, spec: CardSpec, fonts: Chains
) -> None:
    width, height = spec.size
    event_colour = _colour(badge.event_colour)
    accent = _colour(badge.accent_colour)

    # Event band and accent stripe.
    c.setFillColor(event_colour)
    c.rect(0, height - spec.band_height, width, spec.band_height, stroke=0, fill=1)
    c.setFillColor(accent)
    c.rect(
        0,
        height - spec.band_height - spec.accent_height,
        width,
        spec.accent_height,
        stroke=0,
        fill=1,
    )
    event = Para(
        badge.event_name, fonts.bold, spec.event_size, 2, _text_on(badge.event_colour), "centre"
    )
    draw_block(c, fit_block([event], spec.event, 0), spec.event, 0, valign="middle")

    # Photo.
    c.setFillColor(PHOTO_BACKGROUND)
    c.rect(spec.photo.x, spec.photo.y, spec.photo.w, spec.photo.h, stroke=0, fill=1)
    if badge.photo_jpeg:
        images.jpeg(badge.photo_jpeg, spec.photo.x, spec.photo.y, spec.photo.w, spec.photo.h)

    # QR code: a white square (the quiet zone is in the bitmap) so it reads on any background.
    side = min(spec.qr.w, spec.qr.h)
    qr_box = Box(spec.qr.right - side, spec.qr.y, side, side)
    c.setFillColor(WHITE)
    c.rect(qr_box.x, qr_box.y, side, side, stroke=0, fill=1)
    images.qr(badge.qr_text, qr_box.x, qr_box.y, side)

    # Badge number.
    number = Para(
        badge.badge_number,
        fonts.bold,
        (spec.number_size, spec.number_size * 0.6),
        1,
        align=spec.number_align,
    )
    draw_block(c, fit_block([number], spec.number, 0), spec.number, 0, valign="middle")

    # Names and details: family name first and largest, then given names, exactly as given.
    gap = 0.6 * mm
    paras = [
        Para(badge.family_names.upper(), fonts.bold, spec.family_size, 2),
        Para(badge.given_names, fonts.regular, spec.given_size, 2),
        Para(badge.name_native, fonts.arabic_bold, spec.arabic_size, 2),
        Para(
            badge.role,
            fonts.bold,
            spec.detail_size,
            1,
            accent if _text_on(badge.accent_colour) is WHITE else INK,  # dark enough to read
        ),
        Para(badge.outlet, fonts.regular, spec.detail_size, 2),
        Para(badge.country, fonts.regular, spec.detail_size, 1, GREY),
    ]
    draw_block(c, fit_block(paras, spec.names, gap), spec.names, gap)

    # Sessions as colour-coded labels, and the footer.
    sessions = (
        spec.sessions
        if badge.footer
        else Box(spec.sessions.x, spec.footer.y, spec.sessions.w, spec.sessions.top - spec.footer.y)
    )
    _draw_sessions(c, badge.sessions, sessions, spec.session_size, fonts.bold)
    if badge.footer:
        footer = Para(badge.footer, fonts.regular, spec.footer_size, 2, GREY, "centre")
        draw_block(c, fit_block([footer], spec.footer, 0), spec.footer, 0, valign="middle")


def _draw_sessions(
    c: Canvas,
    sessions: Sequence[tuple[str, str]],
    box: Box,
    sizes: tuple[float, float],
    chain: FontChain,
) -> None:
    if not sessions:
        return
    labels = [(visual(" ".join(label.split())), colour) for label, colour in sessions]
    largest, smallest = sizes
    size = largest
    while True:
        placed = _flow(labels, box, size, chain)
        if placed is not None or size <= smallest * 0.5:
            break
        size -= 0.5
    if placed is None:
        placed = _flow(labels, box, size, chain, force=True)
    assert placed is not None
    radius = size * 0.35
    for (text, colour), (x, y, w, h, text_size) in zip(labels, placed, strict=True):
        c.setFillColor(_colour(colour))
        if _is_pale(colour):
            c.setStrokeColor(GREY)
            c.setLineWidth(0.4)
            c.roundRect(x, y, w, h, radius, stroke=1, fill=1)
        else:
            c.roundRect(x, y, w, h, radius, stroke=0, fill=1)
        c.setFillColor(_text_on(colour))
        pad = (h - text_size) / 2
        draw_line(c, text, chain, text_size, x, y + pad + text_size * 0.18, w, "centre")


def _flow(
    labels: list[tuple[str, str]], box: Box, size: float, chain: FontChain, *, force: bool = False
) -> list[tuple[float, float, float, float, float]] | None:
    """Place labels left to right, top to bottom; None if they do not fit at this size."""
    pad_x, height, gap = size * 0.6, size * 1.7, size * 0.35
    x, y = box.x, box.top - height
    out = []
    for text, _colour_hex in labels:
        text_size = size
        w = text_width(text, chain, size) + 2 * pad_x
        if w > box.w:  # a label wider than the whole box: squeeze its text into one row
            if not force:
                return None
            text_size = size * (box.w - 2 * pad_x) / (w - 2 * pad_x)
            w = box.w
        if x > box.x and x + w > box.right:
            x, y = box.x, y - height - gap
        if y < box.y - 0.01 and not force:
            return None
        out.append((x, y, w, height, text_size))
        x += w + gap
    return out


# --- documents --------------------------------------------------------------------------------


def _crop_marks(c: Canvas, origins: list[tuple[float, float]], card: tuple[float, float]) -> None:
    """Short marks outside the grid, in line with every card edge."""
    width, height = card
    xs = sorted({x for x, _ in origins} | {x + width for x, _ in origins})
    ys = sorted({y for _, y in origins} | {y + height for _, y in origins})
    left, right, bottom, top = xs[0], xs[-1], ys[0], ys[-1]
    c.setStrokeColor(colors.black)
    c.setLineWidth(0.25)
    lines = []
    for x in xs:
        lines.append((x, top + CROP_MARK_OFFSET, x, top + CROP_MARK_OFFSET + CROP_MARK_LENGTH))
        lines.append(
            (x, bottom - CROP_MARK_OFFSET, x, bottom - CROP_MARK_OFFSET - CROP_MARK_LENGTH)
        )
    for y in ys:
        lines.append((left - CROP_MARK_OFFSET, y, left - CROP_MARK_OFFSET - CROP_MARK_LENGTH, y))
        lines.append((right + CROP_MARK_OFFSET, y, right + CROP_MARK_OFFSET + CROP_MARK_LENGTH, y))
    c.lines(lines)


def _a4_origins() -> list[tuple[float, float]]:
    """Lower-left corners of the cards on an A4 sheet, filled row by row from the top left."""
    card_w, card_h = CR80_SIZE
    grid_w = A4_COLUMNS * card_w + (A4_COLUMNS - 1) * A4_GUTTER
    grid_h = A4_ROWS * card_h + (A4_ROWS - 1) * A4_GUTTER
    x0, y0 = (A4[0] - grid_w) / 2, (A4[1] - grid_h) / 2
    return [
        (x0 + col * (card_w + A4_GUTTER), y0 + (A4_ROWS - 1 - row) * (card_h + A4_GUTTER))
        for row in range(A4_ROWS)
        for col in range(A4_COLUMNS)
    ]


def render_badges(badges: Iterable[BadgeData], out: BinaryIO, *, layout: str) -> int:
    """Write one PDF with every badge to ``out``; return how many badges it holds.

    The iterable is consumed lazily, one page at a time, so a generator over a queryset works
    for a batch of any size. Raises ValueError for an unknown layout or an empty batch.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"unknown badge layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
    fonts = font_chains()
    iterator: Iterator[BadgeData] = iter(badges)
    pagesize = A4 if layout == "a4_cr80" else CR80.size if layout == "cr80" else A6_SPEC.size
    c = new_canvas(out, pagesize, initial_font=fonts.regular.primary.name)
    images = ImageStore(c)
    count = 0
    try:
        if layout == "a4_cr80":
            origins = _a4_origins()
            while chunk := list(islice(iterator, len(origins))):
                for badge, (x, y) in zip(chunk, origins, strict=False):
                    c.saveState()
                    c.translate(x, y)
                    _draw_card(c, images, badge, CR80, fonts)
                    c.restoreState()
                _crop_marks(c, origins, CR80_SIZE)
                c.showPage()
                count += len(chunk)
                del chunk
        else:
            spec = CR80 if layout == "cr80" else A6_SPEC
            for badge in iterator:
                _draw_card(c, images, badge, spec, fonts)
                c.showPage()
                count += 1
        if not count:
            raise ValueError("there are no badges to render")
        c.save()
    finally:
        images.close()
    return count


def render_badge(badge: BadgeData, layout: str = "cr80") -> bytes:
    """One badge as its own PDF."""
    out = io.BytesIO()
    render_badges((badge,), out, layout=layout)
    return out.getvalue()
