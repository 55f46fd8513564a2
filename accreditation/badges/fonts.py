"""The badge fonts: embedded Noto TTFs from static/fonts, registered once per process.

No system font is assumed. Text is split into runs, each drawn with the first font of a chain
that has its characters (Noto Sans for Latin, Greek and Cyrillic, Noto Naskh Arabic for
Arabic). Right-to-left text is shaped with arabic_reshaper (contextual letter forms,
ligatures) and put in visual order with python-bidi, because reportlab itself neither shapes
nor reorders.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import arabic_reshaper
from bidi import get_display
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

__all__ = [
    "FONT_DIR",
    "Font",
    "FontChain",
    "font_chains",
    "runs",
    "text_width",
    "unprintable",
    "visual",
]

# accreditation/badges/fonts.py → the repository root → static/fonts
FONT_DIR = Path(__file__).resolve().parents[2] / "static" / "fonts"

_FILES = {
    "PresspassSans": "NotoSans-Regular.ttf",
    "PresspassSans-Bold": "NotoSans-Bold.ttf",
    "PresspassArabic": "NotoNaskhArabic-Regular.ttf",
    "PresspassArabic-Bold": "NotoNaskhArabic-Bold.ttf",
}


@dataclass(frozen=True, slots=True, eq=False)
class Font:
    name: str  # the name registered with reportlab
    covers: frozenset[int]  # code points the font has a glyph for
    line_height: float  # a comfortable line height, as a multiple of the font size
    ascent: float  # cap-to-baseline room above the baseline, as a multiple of the font size


@dataclass(frozen=True, slots=True, eq=False)
class FontChain:
    fonts: tuple[Font, ...]

    @property
    def primary(self) -> Font:
        return self.fonts[0]

    @property
    def line_height(self) -> float:
        return self.fonts[0].line_height


@dataclass(frozen=True, slots=True)
class Chains:
    regular: FontChain
    bold: FontChain
    arabic: FontChain  # Arabic first, for names known to be Arabic
    arabic_bold: FontChain


_lock = threading.Lock()
_chains: Chains | None = None


def font_chains() -> Chains:
    """Register the fonts with reportlab on first use (thread-safe) and return the chains."""
    global _chains
    if _chains is None:
        with _lock:
            if _chains is None:
                fonts = {name: _register(name, file) for name, file in _FILES.items()}
                sans, sans_bold = fonts["PresspassSans"], fonts["PresspassSans-Bold"]
                arabic, arabic_bold = fonts["PresspassArabic"], fonts["PresspassArabic-Bold"]
                _chains = Chains(
                    regular=FontChain((sans, arabic)),
                    bold=FontChain((sans_bold, arabic_bold)),
                    arabic=FontChain((arabic, sans)),
                    arabic_bold=FontChain((arabic_bold, sans_bold)),
                )
    return _chains


def _register(name: str, filename: str) -> Font:
    path = FONT_DIR / filename
    if not path.is_file():
        raise FileNotFoundError(f"badge font missing: {path}")
    ttf = TTFont(name, str(path))
    pdfmetrics.registerFont(ttf)
    arabic = "Arabic" in filename
    return Font(
        name=name,
        covers=frozenset(ttf.face.charToGlyph),
        # Naskh letters reach far above and below the Latin cap height and baseline.
        line_height=1.55 if arabic else 1.2,
        ascent=0.95 if arabic else 0.75,
    )


# --- right-to-left text ---------------------------------------------------------------------------

_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
_reshaper = arabic_reshaper.ArabicReshaper(
    # Keep every mark the person's document has (shadda, vowels): names exactly as given.
    configuration={"delete_harakat": False, "support_ligatures": True}
)


def has_rtl(text: str) -> bool:
    return _RTL.search(text) is not None


def is_rtl(text: str) -> bool:
    """True if the first strongly directional character is right-to-left."""
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False


@lru_cache(maxsize=4096)
def visual(text: str) -> str:
    """The string in left-to-right drawing order, Arabic letters in their contextual forms."""
    if not has_rtl(text):
        return text
    return get_display(_reshaper.reshape(text))


# --- runs of one font -------------------------------------------------------------------------------


def runs(text: str, chain: FontChain) -> list[tuple[Font, str]]:
    """Split visual-order text into (font, text) runs, preferring to stay in the current font."""
    primary = chain.fonts[0]
    if primary.covers.issuperset(map(ord, text)):
        return [(primary, text)]
    out: list[tuple[Font, str]] = []
    current = None
    start = 0
    for i, ch in enumerate(text):
        cp = ord(ch)
        if current is not None and cp in current.covers:
            continue
        font = next((f for f in chain.fonts if cp in f.covers), primary)
        if font is not current:
            if current is not None:
                out.append((current, text[start:i]))
            current, start = font, i
    if current is not None:
        out.append((current, text[start:]))
    return out


def text_width(visual_text: str, chain: FontChain, size: float) -> float:
    return sum(
        pdfmetrics.stringWidth(part, font.name, size) for font, part in runs(visual_text, chain)
    )


def unprintable(text: str) -> list[str]:
    """The characters of ``text`` that no badge font has a letter for, each once, in order
    (spaces and joiners aside): the form refuses them rather than print nothing."""
    chains = font_chains()
    covered = [font.covers for font in chains.regular.fonts]
    missing: list[str] = []
    for char in dict.fromkeys(text + visual(text)):
        if char.isspace() or unicodedata.category(char) == "Cf":
            continue
        if not any(ord(char) in cover for cover in covered) and char not in missing:
            missing.append(char)
    return missing
