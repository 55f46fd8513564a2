"""Private files as responses: decrypted and streamed by Django, whatever
PRESSPASS_X_ACCEL_PREFIX says (nginx cannot decrypt; tests/integration/test_nginx.py runs the
real nginx in front)."""

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


@pytest.mark.parametrize("prefix", ["", "/_protected"])
def test_django_streams_the_file_decrypted_with_or_without_a_prefix(settings, stored, prefix):
    settings.PRESSPASS_X_ACCEL_PREFIX = prefix
    response = private_file_response(
        stored, filename="A-1.pdf", content_type="application/pdf", as_attachment=True
    )
    assert b"".join(response.streaming_content) == b"%PDF-1.4 x"
    assert response["Content-Length"] == str(len(b"%PDF-1.4 x"))  # the content's, not the file's
    assert not response.has_header("X-Accel-Redirect")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="A-1.pdf"'
    assert response["Cache-Control"] == "no-store, private"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_an_inline_file_says_so(stored):
    response = private_file_response(
        stored, filename=None, content_type="image/jpeg", as_attachment=False
    )
    assert response["Content-Disposition"] == "inline"
    assert response["Content-Type"] == "image/jpeg"


def test_a_missing_file_is_not_found():
    with pytest.raises(FileNotFoundError):
        private_file_response(
            "documents/00/gone.pdf",
            filename=None,
            content_type="application/pdf",
            as_attachment=False,
        )


def test_the_staff_document_view_streams_the_file_after_its_checks(
    client, settings, event, reviewer
):
    settings.PRESSPASS_X_ACCEL_PREFIX = "/_protected"
    req = make_request(event)
    identity = req.documents.get(kind="identity")
    with identity.file.open("rb") as handle:
        content = handle.read()
    assert content.startswith(b"%PDF")
    client.force_login(reviewer)
    response = client.get(
        reverse("admin:accreditation_document_file", args=[identity.pk, "original"])
    )
    assert response.status_code == 200 and b"".join(response.streaming_content) == content
    assert not response.has_header("X-Accel-Redirect")
    assert response["Content-Disposition"] == (
        f'attachment; filename="{req.reference}-identity-original.pdf"'
    )
    assert "sandbox" in response["Content-Security-Policy"]
    assert AuditEntry.objects.filter(action="document.viewed", actor=reviewer).count() == 1


def test_an_altered_file_answers_a_message_to_staff_not_an_error_page(
    client, event, reviewer, private_dir, caplog
):
    """A stored document altered on disk (or sealed under a key no longer configured) is not
    sent: the reviewer reads why, and the security log has it."""
    req = make_request(event)
    identity = req.documents.get(kind="identity")
    path = private_dir / identity.file.name
    raw = bytearray(path.read_bytes())
    raw[40] ^= 1  # inside the wrapped data key
    path.write_bytes(bytes(raw))
    client.force_login(reviewer)
    response = client.get(
        reverse("admin:accreditation_document_file", args=[identity.pk, "original"])
    )
    assert response.status_code == 500
    assert "cannot be opened" in response.content.decode()
    assert any(getattr(r, "event", "") == "document.unreadable" for r in caplog.records)


def test_every_caller_answers_an_altered_file_as_one_no_longer_kept(private_dir, caplog):
    """The journalist's announcement files, the desk's print batches and the gate's photos
    answer a missing file (FileNotFoundError) already: an altered one is one of those, never
    a 500."""
    from django.core.files.base import ContentFile

    from accreditation.privacy.storage import (
        UnreadableFileError,
        private_file_response,
        private_storage,
        random_name,
    )

    name = private_storage().save(random_name("announcements", "pdf"), ContentFile(b"%PDF-1.7"))
    path = private_dir / name
    raw = bytearray(path.read_bytes())
    raw[40] ^= 1
    path.write_bytes(bytes(raw))
    with pytest.raises(FileNotFoundError) as refused:
        private_file_response(
            name, filename="x.pdf", content_type="application/pdf", as_attachment=True
        )
    assert isinstance(refused.value, UnreadableFileError)
    assert any(getattr(r, "event", "") == "document.unreadable" for r in caplog.records)
