"""Private files as responses: streamed by Django, or — behind nginx, PRESSPASS_X_ACCEL_PREFIX —
an empty answer naming the file for nginx to send (tests/integration/test_nginx.py runs both)."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from accreditation.models import AuditEntry
from accreditation.privacy.storage import private_file_response, private_storage, random_name
from tests.factories import make_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored():
    return private_storage().save(random_name("documents", "pdf"), ContentFile(b"%PDF-1.4 x"))


def test_without_a_prefix_django_streams_the_file(settings, stored):
    settings.PRESSPASS_X_ACCEL_PREFIX = ""
    response = private_file_response(
        stored, filename="A-1.pdf", content_type="application/pdf", as_attachment=True
    )
    assert b"".join(response.streaming_content) == b"%PDF-1.4 x"
    assert not response.has_header("X-Accel-Redirect")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="A-1.pdf"'
    assert response["Cache-Control"] == "no-store, private"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_with_a_prefix_the_answer_is_empty_and_names_the_file_for_nginx(settings, stored):
    settings.PRESSPASS_X_ACCEL_PREFIX = "/_protected"
    response = private_file_response(
        stored, filename=None, content_type="image/jpeg", as_attachment=False
    )
    assert response.content == b""
    assert response["X-Accel-Redirect"] == f"/_protected/{stored}"
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == "inline"
    assert response["Cache-Control"] == "no-store, private"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("prefix", ["", "/_protected"])
def test_a_missing_file_is_not_found_either_way(settings, prefix):
    settings.PRESSPASS_X_ACCEL_PREFIX = prefix
    with pytest.raises(FileNotFoundError):
        private_file_response(
            "documents/00/gone.pdf",
            filename=None,
            content_type="application/pdf",
            as_attachment=False,
        )


def test_files_in_a_bucket_are_streamed_whatever_the_prefix(settings):
    """nginx reads a folder: with documents in a bucket (not a FileSystemStorage) Django streams."""
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    private_storage().reset()
    settings.PRESSPASS_X_ACCEL_PREFIX = "/_protected"
    name = private_storage().save("documents/ab/x.pdf", ContentFile(b"%PDF"))
    response = private_file_response(
        name, filename=None, content_type="application/pdf", as_attachment=False
    )
    assert not response.has_header("X-Accel-Redirect")
    assert b"".join(response.streaming_content) == b"%PDF"


def test_the_staff_document_view_hands_the_file_to_nginx_after_its_checks(
    client, settings, event, reviewer
):
    settings.PRESSPASS_X_ACCEL_PREFIX = "/_protected"
    req = make_request(event)
    identity = req.documents.get(kind="identity")
    client.force_login(reviewer)
    response = client.get(
        reverse("admin:accreditation_document_file", args=[identity.pk, "original"])
    )
    assert response.status_code == 200 and response.content == b""
    assert response["X-Accel-Redirect"] == f"/_protected/{identity.file.name}"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{req.reference}-identity-original.pdf"'
    )
    assert "sandbox" in response["Content-Security-Policy"]
    assert AuditEntry.objects.filter(action="document.viewed", actor=reviewer).count() == 1
