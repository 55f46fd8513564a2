"""Text that fits its box: sizes chosen, lines wrapped, scripts mixed, never cut.

A ``Para`` is one piece of text (a name, an outlet) with a largest and smallest size and a
line budget; ``fit_block`` sizes a column of them to fit a box, shrinking them together if
needed; ``draw_block`` draws the result. Names are never truncated: past the smallest size a
line is shrunk until it fits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reportlab.lib import colors
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from .fonts import FontChain, is_rtl, runs, text_width, visual

__all__ = ["Box", "Para", "draw_block", "draw_line", "fit_block"]

INK = colors.HexColor("#1a1a1a")


@dataclass(frozen=True, slots=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def top(self) -> float:
        return self.y + self.h

    @property
    def right(self) -> float:
        return self.x + self.w


@dataclass(slots=True)
class Para:
    """A piece of text to fit into a box: one or more lines of one size."""

    text: str
    chain: FontChain
    sizes: tuple[float, float]
    max_lines: int
    colour: colors.Color = INK
    align: str = "start"  # start (left, or right for right-to-left text), centre
    lines: list[str] = field(default_factory=list)  # visual order, filled by fit_block()
    size: float = 0.0

    def line_height(self) -> float:
        return self.size * self.chain.line_height


def _wrap(text: str, chain: FontChain, size: float, width: float) -> list[str]:
    """Greedy word wrap in logical order; each line returned in visual order."""
    words = text.split()
    lines: list[str] = []
    current = ""
    for word in words:
        candidate = f"{current} {word}" if current else word
        if not current or text_width(visual(candidate), chain, size) <= width:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return [visual(line) for line in lines]


def _fit(para: Para, width: float, scale: float) -> None:
    """Choose a size (≤ the scaled maximum) and line breaks that fit the width and line budget.

    One line is preferred while it stays at 80 % of the largest size or more; then the text
    may wrap. Text is never cut: when even the smallest size needs too many lines, the size
    shrinks further until the lines fit.
    """
    largest, smallest = para.sizes
    top = largest * scale
    floor = min(smallest, top)
    if not para.text.strip():
        para.lines, para.size = [], top
        return
    whole = visual(" ".join(para.text.split()))
    one_line_floor = max(floor, top * 0.8) if para.max_lines > 1 else floor
    natural = text_width(whole, para.chain, top)
    if natural <= width or top * width / natural >= one_line_floor:
        para.lines, para.size = [whole], min(top, top * width / natural)
        return
    size = top
    while True:
        lines = _wrap(para.text, para.chain, size, width)
        if len(lines) <= para.max_lines and all(
            text_width(line, para.chain, size) <= width for line in lines
        ):
            para.lines, para.size = lines, size
            return
        if size <= floor:
            break
        size = max(floor, size - 0.5)
    if len(lines) > para.max_lines:  # join the overflow into the last allowed line
        head = lines[: para.max_lines - 1]
        lines = [*head, visual(" ".join(para.text.split()[_word_count(head) :]))]
    widest = max(text_width(line, para.chain, size) for line in lines)
    para.lines, para.size = lines, size * min(1.0, width / widest)


def _word_count(visual_lines: list[str]) -> int:
    return sum(len(line.split()) for line in visual_lines)


def fit_block(paras: list[Para], box: Box, gap: float) -> list[Para]:
    """Fit a column of paragraphs into a box, shrinking them together until they fit."""
    shown = [p for p in paras if p.text.strip()]
    scale = 1.0
    while True:
        for para in shown:
            _fit(para, box.w, scale)
        height = sum(p.line_height() * len(p.lines) for p in shown) + gap * (len(shown) - 1)
        if height <= box.h or scale < 0.3:
            return shown
        scale *= 0.9


def draw_line(
    c: Canvas,
    text: str,
    chain: FontChain,
    size: float,
    x: float,
    y: float,
    width: float,
    align: str,
) -> None:
    parts = runs(text, chain)
    if align == "centre":
        total = sum(pdfmetrics.stringWidth(t, f.name, size) for f, t in parts)
        x += (width - total) / 2
    elif align == "end":
        total = sum(pdfmetrics.stringWidth(t, f.name, size) for f, t in parts)
        x += width - total
    for font, part in parts:
        c.setFont(font.name, size)
        c.drawString(x, y, part)
        x += pdfmetrics.stringWidth(part, font.name, size)


def draw_block(c: Canvas, paras: list[Para], box: Box, gap: float, *, valign: str = "top") -> None:
    height = sum(p.line_height() * len(p.lines) for p in paras) + gap * (len(paras) - 1)
    y = box.top if valign == "top" else box.top - max(0.0, (box.h - height) / 2)
    for para in paras:
        c.setFillColor(para.colour)
        align = para.align
        if align == "start":
            align = "end" if is_rtl(para.text) else "start"
        for line in para.lines:
            lh = para.line_height()
            baseline = y - (lh - para.size) / 2 - para.size * para.chain.primary.ascent
            draw_line(c, line, para.chain, para.size, box.x, baseline, box.w, align)
            y -= lh
        y -= gap
