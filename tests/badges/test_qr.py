"""The badge QR symbol: its size and error-correction level for the longest realistic badge
code, and what a blot on the symbol does at level M and at level Q (docs/badge-format.md,
"The QR symbol"). Every check decodes with zxing-cpp, a real reader."""

from __future__ import annotations

import math

import numpy as np
import pypdfium2 as pdfium
import pytest
import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image

from accreditation.badges.qr import QUIET_ZONE, qr_bitmap, qr_code, qr_matrix
from accreditation.badges.render import render_badge
from accreditation.badges.signing import BadgeClaims, sign_claims, verify_code

from .test_render import make_badge

# The test-vector key of docs/badge-format.md: Ed25519 is deterministic, so every code below,
# and so every symbol and every decoding result, is the same on every run.
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
PUBLIC = {0xFFFF: KEY.public_key()}
LARGEST = 0xFFFF_FFFF  # 4,294,967,295: a ten-digit id, the most a u32 field holds
LONGEST_REALISTIC_SESSIONS = 12


def longest_code(sessions: int) -> str:
    """A badge code with every field at its largest: the code for that many sessions."""
    claims = BadgeClaims(
        badge_id=LARGEST,
        version=0xFFFF,
        event_id=LARGEST,
        session_ids=tuple(range(LARGEST - sessions + 1, LARGEST + 1)),
        key_id=0xFFFF,
    )
    return sign_claims(claims, KEY)


def read(image: Image.Image) -> list[zxingcpp.Barcode]:
    return zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)


def symbol_image(modules: np.ndarray, scale: int = 4) -> Image.Image:
    """Modules (True = dark) as a clean image with the quiet zone, ``scale`` pixels a module."""
    white = np.pad(~modules, QUIET_ZONE, constant_values=True)
    image = Image.fromarray(white.astype(np.uint8) * 255)
    return image.resize((white.shape[0] * scale,) * 2, Image.Resampling.NEAREST)


def blot_bottom_right(modules: np.ndarray, fraction: float) -> np.ndarray:
    """The symbol with a white square over ``fraction`` of its area in the bottom-right corner,
    the one corner without a finder pattern (a sticker, a punched hole, a worn patch)."""
    side = round(math.sqrt(fraction) * len(modules))
    assert side <= len(modules) - 8  # clear of the finder patterns and their separators
    assert abs(side**2 / modules.size - fraction) < 0.01
    damaged = modules.copy()
    damaged[-side:, -side:] = False
    return damaged


def test_a_code_is_121_characters_plus_6_a_session_whatever_the_ids():
    for sessions in (0, 1, 6, 12):
        smallest = BadgeClaims(
            badge_id=1, version=1, event_id=1, session_ids=range(1, sessions + 1), key_id=1
        )
        assert len(sign_claims(smallest, KEY)) == len(longest_code(sessions)) == 121 + 6 * sessions


@pytest.mark.parametrize("layout", ["cr80", "a6"])
def test_the_longest_realistic_code_prints_as_version_8_at_level_m_and_reads_exactly(layout):
    text = longest_code(LONGEST_REALISTIC_SESSIONS)
    assert len(text) == 193
    pdf = render_badge(make_badge(qr_text=text), layout)
    page = pdfium.PdfDocument(pdf)[0].render(scale=300 / 72).to_pil()  # a card printer's 300 dpi
    (result,) = read(page)
    assert result.text == text
    assert result.ec_level == "M"
    assert result.extra["Version"] == "8"
    assert verify_code(result.text, PUBLIC).session_ids[-1] == LARGEST


def test_codes_are_at_level_q_up_to_six_sessions_then_at_m_within_version_8():
    """The format is 78 bytes before any session; Q at version 8 holds 157 characters, i.e. six
    sessions (docs/badge-format.md). Beyond, Q would need version 9 or 10, whose smaller
    modules scan worse on a 19 mm CR80 code, so those codes are at M, still version 8."""
    for sessions in range(0, 7):
        code = qr_code(longest_code(sessions))
        assert code.error in ("Q", "H") and code.version <= 8, (sessions, code.designator)
    for sessions in range(7, LONGEST_REALISTIC_SESSIONS + 1):
        code = qr_code(longest_code(sessions))
        assert code.error in ("M", "Q") and code.version <= 8, (sessions, code.designator)
    assert qr_code(longest_code(7)).designator == "7-M"
    assert qr_bitmap(longest_code(LONGEST_REALISTIC_SESSIONS)).version == 8


@pytest.mark.parametrize("sessions", [1, 3, 6])
def test_a_badge_of_up_to_six_sessions_survives_a_blot_over_a_fifth_of_its_code(sessions):
    text = longest_code(sessions)
    printed = np.array(qr_matrix(text), dtype=bool)  # what the badges print
    (intact,) = read(symbol_image(printed))
    assert intact.text == text
    (result,) = read(symbol_image(blot_bottom_right(printed, 0.20)))
    assert result.text == text
    assert result.ec_level in ("Q", "H")


def test_a_code_at_level_m_does_not_survive_that_blot():
    """Why Q where it fits: the same blot defeats the level-M code of a long badge."""
    text = longest_code(LONGEST_REALISTIC_SESSIONS)
    printed = np.array(qr_matrix(text), dtype=bool)
    assert [r.text for r in read(symbol_image(printed))] == [text]
    assert [r.text for r in read(symbol_image(blot_bottom_right(printed, 0.20)))] == []
