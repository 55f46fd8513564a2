"""What the upload form refuses before anything is kept: a post without its CSRF token, more
file parts than allowed, and file names that try to reach outside private storage."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accreditation.models import AccreditationRequest, Document, PendingUpload
from tests.factories import application_data, application_files, pdf_bytes, upload

pytestmark = pytest.mark.django_db


def stored(private_dir) -> list:
    return [p for p in private_dir.rglob("*") if p.is_file()]


def test_an_upload_without_its_csrf_token_is_refused_and_nothing_is_kept(event, private_dir):
    csrf_client = Client(enforce_csrf_checks=True)
    response = csrf_client.post(
        reverse("accreditation:apply", args=[event.slug]),
        {**application_data(event), **application_files()},
    )
    assert response.status_code == 403
    assert not AccreditationRequest.objects.exists() and not PendingUpload.objects.exists()
    assert stored(private_dir) == []


def test_more_file_parts_than_allowed_are_refused(client, event, settings, private_dir):
    extra = settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1
    files = {f"file{n}": upload(f"f{n}.pdf", pdf_bytes()) for n in range(extra)}
    response = client.post(
        reverse("accreditation:apply", args=[event.slug]), {**application_data(event), **files}
    )
    assert response.status_code == 400
    assert not AccreditationRequest.objects.exists() and not PendingUpload.objects.exists()


@pytest.mark.parametrize(
    "name", ["../../etc/passwd.pdf", "..\\..\\boot.ini.pdf", "x" * 300 + ".pdf", "x.php.pdf"]
)
def test_a_hostile_file_name_never_reaches_a_storage_path(client, event, private_dir, name):
    files = application_files(identity=upload(name, pdf_bytes()))
    response = client.post(
        reverse("accreditation:apply", args=[event.slug]), {**application_data(event), **files}
    )
    assert response.status_code == 302
    document = Document.objects.get(kind="identity")
    assert "/" not in document.original_name and "\\" not in document.original_name
    assert len(document.original_name) <= 200
    assert ".." not in document.file.name and "passwd" not in document.file.name
    assert "php" not in document.file.name
    path = (private_dir / document.file.name).resolve()
    assert path.is_file() and private_dir.resolve() in path.parents


def padded_pdf(size: int) -> bytes:
    """A PDF of exactly ``size`` bytes (a comment line after its header), ending in %%EOF."""
    pdf = pdf_bytes()
    head = pdf.index(b"\n") + 1
    filler = size - len(pdf) - 1
    return pdf[:head] + b"%" * filler + b"\n" + pdf[head:]


@pytest.mark.parametrize("slot", ["identity", "press_card", "mission_letter"])
def test_each_file_field_takes_its_limit_and_refuses_one_byte_more(client, event, settings, slot):
    settings.PRESSPASS_MAX_FILE_MB = 1
    settings.PRESSPASS_MAX_TOTAL_MB = 10
    limit = 1024 * 1024
    url = reverse("accreditation:apply", args=[event.slug])
    over = client.post(
        url,
        {
            **application_data(event),
            **application_files(**{slot: upload("doc.pdf", padded_pdf(limit + 1))}),
        },
    )
    assert over.status_code == 400
    assert "larger than 1 MB" in " ".join(over.context["form"].errors[slot])
    assert slot not in PendingUpload.objects.values_list("slot", flat=True)
    at = client.post(
        url,
        {
            **application_data(event),
            **application_files(**{slot: upload("doc.pdf", padded_pdf(limit))}),
        },
    )
    assert at.status_code == 302  # exactly at the limit: accepted
    assert Document.objects.get(kind=slot).size == limit
