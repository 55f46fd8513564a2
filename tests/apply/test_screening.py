"""At upload, the whole file must be what its first bytes claim: a picture with a web page
after its header, a web page with "%PDF-" in its first KiB, the antivirus test file, a PNG
with something after its end or a PDF cut short are refused on the form, with a message, and
the other files of the post are kept. Real files from phones pass."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from accreditation.filetypes import JPEG, PDF, PNG, screen
from accreditation.models import AccreditationRequest, PendingUpload
from tests.apply.test_uploads import post
from tests.factories import application_files, pdf_bytes, portrait_bytes, upload

pytestmark = pytest.mark.django_db

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
PAGE = b"<!DOCTYPE html><html><body><script>fetch('/steal?c='+document.cookie)</script>"


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (400, 500), (200, 120, 90)).save(out, "PNG")
    return out.getvalue()


def jpeg_with_thumbnail() -> bytes:
    """A phone-like JPEG: an EXIF block that carries a thumbnail (with its own end marker)."""
    thumb = io.BytesIO()
    Image.new("RGB", (160, 120), (10, 20, 30)).save(thumb, "JPEG")
    exif = Image.Exif()
    exif[0x0110] = "Phone"
    out = io.BytesIO()
    Image.open(io.BytesIO(portrait_bytes()), formats=["JPEG"]).save(
        out, "JPEG", exif=exif.tobytes() + thumb.getvalue()
    )
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "kind", "problem"),
    [
        (portrait_bytes() + PAGE, JPEG, "markup"),
        (b"<html><body>" + b"%PDF-1.4 " + PAGE, PDF, "markup"),
        (pdf_bytes()[:-200] + EICAR + pdf_bytes()[-200:], PDF, "malware"),
        (png_bytes() + b"\x00trailing", PNG, "structure"),
        (pdf_bytes()[: len(pdf_bytes()) // 2], PDF, "structure"),
        (portrait_bytes()[: len(portrait_bytes()) // 2], JPEG, "structure"),
        (jpeg_with_thumbnail()[: len(jpeg_with_thumbnail()) // 2], JPEG, "structure"),
    ],
    ids=["jpeg+html", "html+%PDF-", "eicar", "png+trailer", "pdf cut", "jpeg cut", "phone cut"],
)
def test_what_is_not_entirely_its_type_is_found(content, kind, problem):
    assert screen(io.BytesIO(content), kind) == problem


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (portrait_bytes(), JPEG),
        (jpeg_with_thumbnail(), JPEG),
        (jpeg_with_thumbnail() + b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40, JPEG),
        (png_bytes(), PNG),
        (pdf_bytes(), PDF),
        (pdf_bytes() + b"\r\n", PDF),
    ],
    ids=["jpeg", "phone jpeg", "motion photo", "png", "pdf", "pdf+newline"],
)
def test_real_files_pass(content, kind):
    assert screen(io.BytesIO(content), kind) is None


def test_a_picture_with_a_web_page_inside_is_refused_on_the_form_and_nothing_else_is_lost(
    client, event
):
    response = post(
        client,
        event,
        files=application_files(
            photo=upload("me.jpg", portrait_bytes() + PAGE),
            identity=upload("passport.pdf", pdf_bytes()[:-200] + EICAR + pdf_bytes()[-200:]),
        ),
        language="en",
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "web-page code" in " ".join(errors["photo"])
    assert "virus check" in " ".join(errors["identity"])
    assert list(PendingUpload.objects.values_list("slot", flat=True)) == ["press_card"]
    assert 'value="El Idrissi"' in response.content.decode()
    assert not AccreditationRequest.objects.exists()


def test_the_png_chunks_are_checked_to_their_end():
    good = png_bytes()
    # One byte of the image data changed: its chunk's CRC no longer matches.
    idat = good.index(b"IDAT") + 10
    bad = good[:idat] + bytes([good[idat] ^ 0xFF]) + good[idat + 1 :]
    assert screen(io.BytesIO(bad), PNG) == "structure"
