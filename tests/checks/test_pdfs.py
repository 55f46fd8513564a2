"""Uploaded PDFs: active content reported, passwords refused, the first page previewed."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from accreditation.checks import pdfs
from accreditation.checks.pdfs import inspect_pdf
from accreditation.checks.results import Outcome, worst
from accreditation.filetypes import PNG, sniff
from tests import corpus

ACTIVE_CONTENT = (pdfs.JAVASCRIPT, pdfs.LAUNCH, pdfs.EMBEDDED_FILES)


def outcomes(report) -> dict[str, Outcome]:
    return {result.code: result.outcome for result in report.results}


def value_of(report, code: str) -> str:
    return next(result.value for result in report.results if result.code == code)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pdfs")


def test_a_plain_pdf_passes_and_gets_a_72_dpi_preview(folder):
    report = inspect_pdf(corpus.make_pdf(folder / "plain.pdf"))

    assert set(outcomes(report).values()) == {Outcome.PASS}
    assert set(outcomes(report)) == {
        pdfs.FORMAT,
        pdfs.READABLE,
        pdfs.ENCRYPTED,
        pdfs.PAGES,
        *ACTIVE_CONTENT,
        pdfs.PREVIEW,
    }
    assert report.page_count == 1
    preview = Image.open(io.BytesIO(report.preview_jpeg))
    assert preview.format == "JPEG"
    width, height = preview.size  # A4 is 595×842 points: one pixel each at 72 dpi
    assert abs(width - 595) <= 2 and abs(height - 842) <= 3


def test_a_scanned_letter_of_one_megabyte_is_previewed(folder):
    upload = corpus.make_scanned_letter_pdf(folder / "letter.pdf")
    assert 0.7e6 < upload.stat().st_size < 1.4e6

    report = inspect_pdf(upload)

    assert report.ok and report.preview_jpeg
    preview = Image.open(io.BytesIO(report.preview_jpeg)).convert("RGB")
    # The astronaut's photo on the letter, top right, shows in colour in the preview.
    red, green, blue = preview.crop((420, 80, 540, 230)).resize((1, 1)).getpixel((0, 0))
    assert max(red, green, blue) - min(red, green, blue) > 20


def test_the_page_count_is_limited(folder):
    three = inspect_pdf(corpus.make_pdf(folder / "three.pdf", pages=3))
    twelve = inspect_pdf(corpus.make_pdf(folder / "twelve.pdf", pages=12))

    assert outcomes(three)[pdfs.PAGES] is Outcome.PASS and three.page_count == 3
    assert outcomes(twelve)[pdfs.PAGES] is Outcome.FAIL and twelve.page_count == 12
    assert outcomes(inspect_pdf(folder / "three.pdf", max_pages=2))[pdfs.PAGES] is Outcome.FAIL


def test_document_level_javascript_fails(folder):
    report = inspect_pdf(corpus.make_pdf(folder / "script.pdf", javascript=True))

    assert outcomes(report)[pdfs.JAVASCRIPT] is Outcome.FAIL
    assert "/Root/Names/JavaScript" in value_of(report, pdfs.JAVASCRIPT)
    assert outcomes(report)[pdfs.LAUNCH] is Outcome.PASS


def test_javascript_run_on_opening_fails(folder):
    report = inspect_pdf(corpus.make_open_action_pdf(folder / "open.pdf"))

    assert outcomes(report)[pdfs.JAVASCRIPT] is Outcome.FAIL
    assert value_of(report, pdfs.JAVASCRIPT) == "/Root/OpenAction"


def test_javascript_hidden_in_a_link_under_an_escaped_name_fails(folder):
    upload = corpus.make_hidden_javascript_pdf(folder / "hidden.pdf")
    assert b"/JavaScript" not in upload.read_bytes()

    report = inspect_pdf(upload)

    assert outcomes(report)[pdfs.JAVASCRIPT] is Outcome.FAIL
    assert value_of(report, pdfs.JAVASCRIPT) == "/Root/Pages/Kids[0]/Annots[0]/A"


def test_an_xfa_form_is_a_warning(folder):
    report = inspect_pdf(corpus.make_xfa_form_pdf(folder / "xfa.pdf"))

    assert outcomes(report)[pdfs.JAVASCRIPT] is Outcome.WARNING


@pytest.mark.parametrize("maker", ["page_open", "document_open"])
def test_a_launch_action_fails(folder, maker):
    if maker == "page_open":
        upload = corpus.make_pdf(folder / "launch-page.pdf", launch_action=True)
    else:
        upload = corpus.make_open_action_pdf(folder / "launch-doc.pdf", action="Launch")

    report = inspect_pdf(upload)

    assert outcomes(report)[pdfs.LAUNCH] is Outcome.FAIL
    assert outcomes(report)[pdfs.JAVASCRIPT] is Outcome.PASS


def test_an_embedded_file_fails(folder):
    report = inspect_pdf(corpus.make_pdf(folder / "attached.pdf", embedded_file=True))

    assert outcomes(report)[pdfs.EMBEDDED_FILES] is Outcome.FAIL
    assert outcomes(report)[pdfs.JAVASCRIPT] is Outcome.PASS


def test_a_password_protected_pdf_fails_and_is_not_rendered(folder):
    report = inspect_pdf(corpus.make_pdf(folder / "locked.pdf", encrypted=True))

    assert outcomes(report)[pdfs.ENCRYPTED] is Outcome.FAIL
    assert report.preview_jpeg is None
    assert worst(report.results) is Outcome.FAIL


def test_an_encrypted_pdf_that_opens_without_a_password_is_a_warning(folder):
    upload = corpus.make_pdf(folder / "restricted.pdf", encrypted=True, user_password="")
    assert b"/Encrypt" in upload.read_bytes()

    report = inspect_pdf(upload)

    assert outcomes(report)[pdfs.ENCRYPTED] is Outcome.WARNING
    assert report.page_count == 1 and report.preview_jpeg


def test_a_png_renamed_pdf_is_refused_as_not_a_pdf(folder):
    upload = corpus.make_png_named_pdf(folder / "letter.pdf")
    with open(upload, "rb") as handle:
        assert sniff(handle) == PNG

    report = inspect_pdf(upload)

    assert outcomes(report) == {pdfs.FORMAT: Outcome.FAIL}
    assert value_of(report, pdfs.FORMAT) == PNG


@pytest.mark.parametrize(
    "make",
    [
        lambda path: corpus.make_broken_pdf(path),
        lambda path: corpus.make_truncated(path, kind="pdf", keep=0.5),
        lambda path: corpus.make_truncated(path, kind="pdf", keep=0.05),
    ],
    ids=["garbage-after-header", "truncated-half", "truncated-header-only"],
)
def test_a_damaged_pdf_is_not_readable(folder, make):
    report = inspect_pdf(make(folder / "damaged.pdf"))

    assert outcomes(report)[pdfs.READABLE] is Outcome.FAIL
    assert report.preview_jpeg is None


def test_a_picture_of_billions_of_pixels_is_not_rendered(folder):
    upload = corpus.make_huge_image_pdf(folder / "huge.pdf", side=60_000)
    assert upload.stat().st_size < 10_000

    report = inspect_pdf(upload)

    assert outcomes(report)[pdfs.PREVIEW] is Outcome.WARNING
    assert value_of(report, pdfs.PREVIEW) == str(60_000 * 60_000)
    assert report.preview_jpeg is None
    assert outcomes(report)[pdfs.READABLE] is Outcome.PASS


def test_bytes_and_an_open_file_work_like_a_path(folder):
    upload = corpus.make_pdf(folder / "plain.pdf")

    from_path = inspect_pdf(upload)
    from_bytes = inspect_pdf(upload.read_bytes())
    with open(upload, "rb") as handle:
        from_file = inspect_pdf(handle)

    assert outcomes(from_path) == outcomes(from_bytes) == outcomes(from_file)
    assert from_bytes.preview_jpeg == from_path.preview_jpeg


def test_a_missing_file_is_not_readable(folder):
    report = inspect_pdf(folder / "nothing-here.pdf")

    assert outcomes(report) == {pdfs.READABLE: Outcome.FAIL}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    header=st.sampled_from([b"%PDF-1.4\n", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", b"junk%PDF-2.0\n"]),
    rest=st.binary(max_size=800),
)
def test_garbage_behind_a_pdf_header_never_raises(header, rest):
    report = inspect_pdf(header + rest)

    assert report.results[0].code == pdfs.FORMAT
    assert worst(report.results) is Outcome.FAIL


def test_a_pdf_built_from_random_objects_never_raises(folder):
    """Structurally valid files with nonsense inside: every object type in odd places."""
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R /Names << /JavaScript 3 0 R >> >>",
        b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count -4 >>",
        b"<< /Names [(x) 9 0 R] /Kids 1 0 R >>",
    ]
    report = inspect_pdf(corpus.hand_built_pdf(folder / "odd.pdf", bodies))

    assert report.results[0].code == pdfs.FORMAT
    assert worst(report.results) is Outcome.FAIL
