"""Badge PDFs: page sizes, readable names in every script, a QR code a real decoder reads,
the photo embedded as it came, and batches that stream."""

from __future__ import annotations

import dataclasses
import io
import re
import unicodedata
import weakref

import numpy as np
import pypdf
import pypdfium2 as pdfium
import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from accreditation.badges.fonts import FONT_DIR, font_chains, visual
from accreditation.badges.qr import qr_bitmap, qr_image, qr_matrix
from accreditation.badges.render import BadgeData, accelerated, render_badge, render_badges
from accreditation.badges.signing import BadgeClaims, generate_keypair, sign_claims, verify_code

MM = 72 / 25.4
KEY, PUBLIC = generate_keypair()
ARABIC_NAME = "فاطمة الزهراء المنصوري"


def portrait_jpeg(seed: int = 0, fmt: str = "JPEG") -> bytes:
    """A 600×800 stand-in portrait: light background, a face-like oval, a dark jacket."""
    image = Image.new("RGB", (600, 800), (228 - seed % 20, 232, 236))
    draw = ImageDraw.Draw(image)
    draw.ellipse((190, 140, 410, 420), fill=(205, 160, 130))
    draw.rectangle((120, 500, 480, 800), fill=(40, 50 + seed % 100, 90))
    out = io.BytesIO()
    image.save(out, fmt, quality=85)
    return out.getvalue()


PHOTO = portrait_jpeg()


def make_badge(**overrides) -> BadgeData:
    claims = BadgeClaims(badge_id=4711, version=1, event_id=93, session_ids=(1, 2), key_id=1)
    values = {
        "event_name": "93rd INTERPOL General Assembly",
        "event_colour": "#0b3d6e",
        "accent_colour": "#c8102e",
        "photo_jpeg": PHOTO,
        "given_names": "Fatima Zahra",
        "family_names": "El Mansouri",
        "name_native": ARABIC_NAME,
        "outlet": "Agence Maghreb Arabe Presse",
        "country": "Morocco",
        "role": "Photographer",
        "sessions": [("Opening ceremony", "#1b7f3b"), ("Closing ceremony", "#6a1b9a")],
        "badge_number": "M-004711",
        "qr_text": sign_claims(claims, KEY),
        "footer": "Valid only with an identity document.",
    }
    values.update(overrides)
    return BadgeData(**values)


def pages(pdf: bytes) -> list[pypdf.PageObject]:
    return list(pypdf.PdfReader(io.BytesIO(pdf)).pages)


def page_text(pdf: bytes, index: int = 0) -> str:
    """The page's text as pdfium reads it (logical order, Arabic letters normalised)."""
    return pdfium.PdfDocument(pdf)[index].get_textpage().get_text_range()


def render_page(pdf: bytes, dpi: int, index: int = 0) -> Image.Image:
    return pdfium.PdfDocument(pdf)[index].render(scale=dpi / 72).to_pil()


# --- page sizes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("layout", "width_mm", "height_mm"),
    [("cr80", 85.6, 54), ("a6", 105, 148), ("a4_cr80", 210, 297)],
)
def test_each_layout_has_its_page_size(layout, width_mm, height_mm):
    (page,) = pages(render_badge(make_badge(), layout))
    assert float(page.mediabox.width) == pytest.approx(width_mm * MM, abs=0.05)
    assert float(page.mediabox.height) == pytest.approx(height_mm * MM, abs=0.05)


def test_a_cr80_card_is_242_65_by_153_07_points():
    (page,) = pages(render_badge(make_badge(), "cr80"))
    assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(
        (242.65, 153.07), abs=0.01
    )


def test_a4_sheets_hold_ten_cards_and_the_last_one_may_be_partly_filled():
    badges = (make_badge(badge_number=f"M-{i:06d}") for i in range(23))
    out = io.BytesIO()
    assert render_badges(badges, out, layout="a4_cr80") == 23
    sheets = pages(out.getvalue())
    assert len(sheets) == 3
    assert "M-000009" in page_text(out.getvalue(), 0)
    assert "M-000010" in page_text(out.getvalue(), 1)
    assert page_text(out.getvalue(), 2).count("M-0000") == 3


# --- what the badge says ------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["cr80", "a6", "a4_cr80"])
def test_names_details_sessions_and_number_are_printed(layout):
    pdf = render_badge(make_badge(), layout)
    text = page_text(pdf)
    for expected in (
        "EL MANSOURI",  # the family name, prominent and upper case
        "Fatima Zahra",  # given names exactly as given
        ARABIC_NAME,
        "Agence Maghreb Arabe Presse",
        "Morocco",
        "Photographer",
        "Opening ceremony",
        "Closing ceremony",
        "M-004711",
        "93rd INTERPOL General Assembly",
    ):
        assert expected in text
    # pypdf, a second reader, finds the Latin names too (and the Arabic, in contextual forms).
    extracted = pages(pdf)[0].extract_text()
    assert "EL MANSOURI" in extracted and "Fatima Zahra" in extracted
    assert ARABIC_NAME in unicodedata.normalize("NFKC", extracted)


def test_the_arabic_name_is_drawn_with_the_embedded_arabic_font():
    pdf = render_badge(make_badge(), "cr80")
    fonts_by_text = []
    pages(pdf)[0].extract_text(
        visitor_text=lambda text, cm, tm, font, size: fonts_by_text.append(
            (text, str(font.get("/BaseFont")) if font else "")
        )
    )
    arabic_runs = [
        font for text, font in fonts_by_text if any("\ufe70" <= ch <= "\ufeff" for ch in text)
    ]
    assert arabic_runs and all(font.endswith("+NotoNaskhArabic-Bold") for font in arabic_runs)
    latin_runs = [font for text, font in fonts_by_text if "Fatima" in text]
    assert latin_runs and all(font.endswith("+NotoSans-Regular") for font in latin_runs)


def test_every_arabic_letter_has_a_real_glyph_in_the_arabic_font():
    arabic = font_chains().arabic_bold.primary
    shaped = visual(ARABIC_NAME)
    assert shaped != ARABIC_NAME  # contextual forms, in visual order
    assert all(ord(ch) in arabic.covers for ch in shaped)  # so no character falls to .notdef


def test_the_arabic_name_shows_letters_not_empty_boxes():
    """Compare the rendered Arabic line with the same line made of glyphs no embedded font has
    (Hebrew letters, drawn as .notdef boxes in the same place): they must look different, and
    the Arabic line must have ink."""
    pdf = render_badge(make_badge(), "cr80")
    boxes_name = "".join(" " if ch == " " else "א" for ch in ARABIC_NAME)
    pdf_boxes = render_badge(make_badge(name_native=boxes_name), "cr80")

    textpage = pdfium.PdfDocument(pdf)[0].get_textpage()
    text = textpage.get_text_range()
    indexes = [i for i, ch in enumerate(text) if "\u0600" <= ch <= "\u06ff"]
    assert len(indexes) >= len(ARABIC_NAME.replace(" ", ""))
    charboxes = [textpage.get_charbox(i) for i in indexes]
    left = min(b[0] for b in charboxes)
    bottom = min(b[1] for b in charboxes)
    right = max(b[2] for b in charboxes)
    top = max(b[3] for b in charboxes)

    dpi = 300
    height_pt = 54 * MM

    def crop(pdf_bytes: bytes) -> np.ndarray:
        image = render_page(pdf_bytes, dpi).convert("L")
        s = dpi / 72
        box = (
            int(left * s),
            int((height_pt - top) * s),
            int(right * s) + 1,
            int((height_pt - bottom) * s) + 1,
        )
        return np.asarray(image.crop(box), dtype=np.int16)

    letters, notdef = crop(pdf), crop(pdf_boxes)
    ink = (letters < 128).mean()
    assert 0.05 < ink < 0.7, ink
    assert np.abs(letters - notdef).mean() > 20


def test_a_long_name_is_never_cut():
    family = "de los Santos García-Fernández de la Torre y Villalobos-Echeverría"
    given = "María de los Ángeles Inmaculada Concepción Guadalupe"
    for layout in ("cr80", "a6"):
        text = page_text(render_badge(make_badge(family_names=family, given_names=given), layout))
        squeezed = "".join(text.split())
        assert "".join(family.upper().split()) in squeezed
        assert "".join(given.split()) in squeezed


def test_a_single_name_and_other_scripts_render():
    pdf = render_badge(
        make_badge(family_names="Сухбаатар", given_names="", name_native="", footer=""), "a6"
    )
    text = page_text(pdf)
    assert "СУХБААТАР" in text


def test_many_sessions_still_fit_and_all_are_printed():
    sessions = [
        (f"Session {n}", colour) for n, colour in enumerate(["#ffffff", "#f2c500", "#000000"] * 3)
    ]
    for layout in ("cr80", "a6"):
        text = page_text(render_badge(make_badge(sessions=sessions), layout))
        for label, _ in sessions:
            assert label in text


# --- the QR code ------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["cr80", "a6", "a4_cr80"])
def test_the_printed_qr_code_decodes_to_a_verifiable_badge_code(layout):
    badge = make_badge()
    image = render_page(render_badge(badge, layout), 300)
    results = zxingcpp.read_barcodes(image)
    assert [r.format for r in results] == [zxingcpp.BarcodeFormat.QRCode]
    assert results[0].text == badge.qr_text
    assert verify_code(results[0].text, {1: PUBLIC}).badge_id == 4711


@pytest.mark.parametrize("sessions", [1, 6, 12])
def test_the_a6_badge_prints_its_qr_code_at_least_35_mm_wide(sessions):
    """SECURITY.md row 33 (the EU DCC's 35 mm), measured on the page a printer gets. The CR80
    card cannot give it that much of its 54 mm: docs/badge-format.md says why."""
    from accreditation.badges.signing import BadgeClaims

    claims = BadgeClaims(
        badge_id=4711, version=1, event_id=93, session_ids=range(1, sessions + 1), key_id=1
    )
    badge = make_badge(qr_text=sign_claims(claims, KEY))
    dpi = 300
    (result,) = zxingcpp.read_barcodes(render_page(render_badge(badge, "a6"), dpi))
    corners = result.position
    side_px = max(
        abs(corners.top_right.x - corners.top_left.x),
        abs(corners.bottom_left.y - corners.top_left.y),
    )
    assert side_px / dpi * 25.4 >= 35, result.extra


def test_the_qr_code_is_one_small_1_bit_image():
    (page,) = pages(render_badge(make_badge(), "cr80"))
    images = [x.get_object() for x in page["/Resources"]["/XObject"].values()]
    qr = [x for x in images if x["/BitsPerComponent"] == 1]
    assert len(qr) == 1
    assert qr[0]["/Width"] == qr[0]["/Height"] < 100  # one pixel per module


@settings(max_examples=15, deadline=None)
@given(st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:", min_size=1, max_size=300))
def test_the_qr_bitmap_is_the_symbol_with_its_quiet_zone_and_decodes(text):
    bitmap = qr_bitmap(text)
    matrix = qr_matrix(text)
    assert bitmap.size == len(matrix) + 8
    pixels = np.asarray(qr_image(text), dtype=bool)  # True = white
    assert pixels[:4].all() and pixels[-4:].all() and pixels[:, :4].all() and pixels[:, -4:].all()
    assert (~pixels[4:-4, 4:-4] == np.array([list(row) for row in matrix], dtype=bool)).all()
    (result,) = zxingcpp.read_barcodes(qr_image(text, scale=3))
    assert result.text == text


# --- the photo, fonts and speed-ups -------------------------------------------------------------


def test_the_photo_jpeg_is_embedded_byte_for_byte_and_once_per_file():
    out = io.BytesIO()
    render_badges((make_badge(badge_number=str(i)) for i in range(5)), out, layout="cr80")
    reader = pypdf.PdfReader(io.BytesIO(out.getvalue()))
    jpegs = {
        x.indirect_reference.idnum: x
        for page in reader.pages
        for x in (ref.get_object() for ref in page["/Resources"]["/XObject"].values())
        if x["/Filter"] == ["/DCTDecode"] or x["/Filter"] == "/DCTDecode"
    }
    assert len(jpegs) == 1
    (jpeg,) = jpegs.values()
    assert jpeg._data == PHOTO  # passed through, never decoded and re-encoded


def test_a_photo_in_another_format_is_converted():
    png = portrait_jpeg(fmt="PNG")
    text = page_text(render_badge(make_badge(photo_jpeg=png), "cr80"))
    assert "EL MANSOURI" in text


def test_every_font_is_embedded_from_the_project_font_folder():
    assert sorted(p.name for p in FONT_DIR.glob("*.ttf")) == [
        "NotoNaskhArabic-Bold.ttf",
        "NotoNaskhArabic-Regular.ttf",
        "NotoSans-Bold.ttf",
        "NotoSans-Regular.ttf",
    ]
    assert (FONT_DIR / "OFL.txt").is_file()
    (page,) = pages(render_badge(make_badge(), "a6"))
    fonts = [f.get_object() for f in page["/Resources"]["/Font"].values()]
    assert fonts
    for font in fonts:
        assert "/FontFile2" in font["/FontDescriptor"]  # no font left to the viewer's system


def test_reportlab_uses_its_c_accelerators():
    assert accelerated()


# --- batches ----------------------------------------------------------------------------------


def test_a_1000_badge_batch_streams_from_a_generator_without_keeping_badges():
    """The renderer pulls badges one at a time and lets each go once its page is drawn."""
    alive: list[weakref.ref] = []
    pulled = 0

    def badges():
        nonlocal pulled
        for i in range(1000):
            if i >= 2:  # the badge before the previous one has been drawn and let go
                assert alive[i - 2]() is None, f"badge {i - 2} is still held"
            badge = make_badge(
                badge_number=f"M-{i:06d}",
                family_names=f"Family{i}",
                photo_jpeg=PHOTO if i % 2 else PHOTO_B,
            )
            alive.append(weakref.ref(badge))
            pulled += 1
            yield badge

    out = io.BytesIO()
    assert render_badges(badges(), out, layout="cr80") == 1000
    assert pulled == 1000
    reader = pypdf.PdfReader(io.BytesIO(out.getvalue()))
    assert len(reader.pages) == 1000
    assert "FAMILY999" in reader.pages[999].extract_text()


PHOTO_B = portrait_jpeg(seed=7)


def test_the_streamed_file_has_a_correct_cross_reference_table():
    out = io.BytesIO()
    render_badges((make_badge(photo_jpeg=portrait_jpeg(i)) for i in range(3)), out, layout="cr80")
    pdf = out.getvalue()
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    startxref = int(re.findall(rb"startxref\s+(\d+)", pdf)[-1])
    assert pdf[startxref:].startswith(b"xref")
    entries = re.findall(rb"(\d{10}) 00000 n", pdf[startxref:])
    assert len(entries) > 10
    for number, offset in enumerate((int(e) for e in entries), start=1):
        assert pdf[offset:].startswith(f"{number} 0 obj".encode())
    assert len(pypdf.PdfReader(io.BytesIO(pdf), strict=True).pages) == 3


def test_nothing_is_written_when_a_batch_fails_half_way():
    def badges():
        yield make_badge()
        raise RuntimeError("database went away")

    out = io.BytesIO()
    with pytest.raises(RuntimeError):
        render_badges(badges(), out, layout="cr80")
    assert out.getvalue() == b""


def test_a_batch_is_one_badge_per_page_in_order():
    out = io.BytesIO()
    render_badges(
        [make_badge(badge_number=f"N-{i}", qr_text=f"PP1:{i}") for i in range(3)], out, layout="a6"
    )
    assert [f"N-{i}" in page_text(out.getvalue(), i) for i in range(3)] == [True] * 3


def test_bad_arguments_fail_loudly():
    with pytest.raises(ValueError):
        render_badge(make_badge(), "letter")
    with pytest.raises(ValueError):
        render_badges(iter(()), io.BytesIO(), layout="cr80")
    with pytest.raises(ValueError):
        render_badge(make_badge(event_colour="navy"), "cr80")
    assert render_badge(make_badge(event_colour="#fc0"), "cr80").startswith(b"%PDF-")


def test_badge_data_can_be_copied_with_changes():
    badge = make_badge()
    assert dataclasses.replace(badge, role="Camera").role == "Camera"
