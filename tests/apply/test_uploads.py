"""Files sent with the application form: received once, written once, kept whatever happens."""

import datetime as dt
import hashlib
import os
import time

import pytest
from django.urls import reverse

from accreditation import apply
from accreditation.checks import pipeline
from accreditation.errors import ServiceError
from accreditation.models import AccreditationRequest, Document, PendingUpload
from accreditation.privacy.storage import INCOMING, private_storage
from tests.factories import (
    application_data,
    application_files,
    image_bytes,
    pdf_bytes,
    portrait_bytes,
    upload,
)

pytestmark = pytest.mark.django_db


def post(client, event, data=None, files=None, language="en"):
    payload = {
        **(application_data(event) if data is None else data),
        **(application_files() if files is None else files),
    }
    return client.post(
        reverse("accreditation:apply", args=[event.slug]), payload, HTTP_ACCEPT_LANGUAGE=language
    )


def read_stored(name: str) -> bytes:
    """A stored file's content (the file on disk is encrypted: tests/privacy/test_encryption.py)."""
    with private_storage().open(name, "rb") as handle:
        return handle.read()


def stored_files(private_dir) -> list:
    return [p for p in private_dir.rglob("*") if p.is_file()]


def test_each_document_keeps_the_bytes_sent_and_the_checks_record_their_sha256(
    client, event, private_dir, reviewer
):
    sent = {
        "identity": pdf_bytes("Passport"),
        "press_card": image_bytes(),
        "photo": portrait_bytes(),
    }
    files = {
        "identity": upload("passport.pdf", sent["identity"]),
        "press_card": upload("card.jpg", sent["press_card"]),
        "photo": upload("me.jpg", sent["photo"]),
    }
    assert post(client, event, files=files).status_code == 302
    documents = {d.kind: d for d in Document.objects.all()}
    assert set(documents) == set(sent)
    for kind, content in sent.items():
        assert documents[kind].size == len(content)
        assert read_stored(documents[kind].file.name) == content
    # Nothing is left half-received: every file on disk is a document.
    assert sorted(stored_files(private_dir)) == sorted(
        private_dir / d.file.name for d in documents.values()
    )
    # The background checks hash what was uploaded (before they replace a photo by its
    # normalised copy), and a re-run keeps that hash.
    req = AccreditationRequest.objects.get()
    pipeline.checks_run(request_id=req.pk)
    hashes = {d.kind: d.sha256 for d in Document.objects.all()}
    assert hashes == {kind: hashlib.sha256(content).hexdigest() for kind, content in sent.items()}
    assert Document.objects.get(kind="photo").file.name != documents["photo"].file.name
    pipeline.checks_rerun(request=req, actor=reviewer)
    pipeline.checks_run(request_id=req.pk)
    assert {d.kind: d.sha256 for d in Document.objects.all()} == hashes


def test_files_kept_from_a_refused_form_go_into_the_corrected_request(client, event, private_dir):
    content = pdf_bytes("Passport")
    response = post(
        client,
        event,
        data=application_data(event, date_of_birth="1890-01-01"),
        files=application_files(identity=upload("passport.pdf", content)),
    )
    assert response.status_code == 400
    kept = PendingUpload.objects.get(slot="identity")
    assert read_stored(kept.file.name) == content
    # The corrected form, without the files, makes the request with them.
    assert post(client, event, files={}).status_code == 302
    identity = Document.objects.get(kind="identity")
    assert read_stored(identity.file.name) == content
    assert len(stored_files(private_dir)) == 3


def test_files_past_the_total_limit_are_refused_with_their_message(client, event, settings):
    settings.PRESSPASS_MAX_FILE_MB = 2
    settings.PRESSPASS_MAX_TOTAL_MB = 3
    # A comment line of 1.6 MB after the header: a PDF still ending in %%EOF.
    pdf = pdf_bytes()
    header_end = pdf.index(b"\n") + 1
    big = pdf[:header_end] + b"%" * int(1.6 * 1024 * 1024) + b"\n" + pdf[header_end:]
    files = application_files(
        identity=upload("passport.pdf", big),
        press_card=upload("card.pdf", big),
    )
    response = post(client, event, files=files)
    assert response.status_code == 400
    errors = response.context["form"].errors
    # Each file is under 2 MB; the second one takes the total past 3 MB, and so the photo too.
    assert "identity" not in errors
    for slot in ("press_card", "photo"):
        assert "larger than 2 MB (or the total of your files is too large)" in " ".join(
            errors[slot]
        )
    assert list(PendingUpload.objects.values_list("slot", flat=True)) == ["identity"]
    html = response.content.decode()
    assert 'value="El Idrissi"' in html


def test_a_cut_off_photo_is_refused_at_upload_and_the_other_files_are_kept(client, event):
    """The whole file is decided at upload now (it was left to the background checks): a JPEG
    whose data stops half-way is refused with a message, on the form, at once."""
    photo = portrait_bytes()
    damaged = photo[: len(photo) // 2]
    response = post(client, event, files=application_files(photo=upload("me.jpg", damaged)))
    assert response.status_code == 400
    assert "damaged or not entirely a JPEG file" in " ".join(
        response.context["form"].errors["photo"]
    )
    assert sorted(PendingUpload.objects.values_list("slot", flat=True)) == [
        "identity",
        "press_card",
    ]


def test_an_unknown_country_code_is_refused_and_everything_else_kept(client, event):
    response = post(client, event, data=application_data(event, nationality="XX"))
    assert response.status_code == 400
    assert "Select a valid choice" in " ".join(response.context["form"].errors["nationality"])
    assert 'value="El Idrissi"' in response.content.decode()
    assert (
        post(client, event, data=application_data(event, nationality="FR"), files={}).status_code
        == 302
    )
    assert AccreditationRequest.objects.get().nationality == "FR"


def test_a_submission_refused_by_the_service_keeps_the_files_of_that_post(event, private_dir):
    """The form passed, but the request could not be made (here another request took the address
    in the meantime): the files of the post become the draft's pending uploads."""
    data = {
        **application_data(event),
        "date_of_birth": dt.date(1988, 4, 12),
        "id_document_expiry": event.ends_on + dt.timedelta(days=400),
        "press_card_year": event.starts_on.year,
        "sessions_requested": [],
    }

    def checked_files():
        checked, refused = apply.uploads_check(
            uploads={
                "identity": upload("passport.pdf", pdf_bytes("Passport")),
                "press_card": upload("card.jpg", image_bytes()),
                "photo": upload("me.jpg", portrait_bytes()),
            }
        )
        assert not refused
        return checked

    apply.request_submit(
        event=event, data=data, draft_key="first", uploads=checked_files(), language="en"
    )
    with pytest.raises(ServiceError) as refused:
        apply.request_submit(
            event=event, data=data, draft_key="second", uploads=checked_files(), language="en"
        )
    assert refused.value.code == "duplicate_email"
    assert AccreditationRequest.objects.count() == 1
    kept = apply.pending_uploads("second")
    assert sorted(kept) == ["identity", "photo", "press_card"]
    on_disk = {str(p.relative_to(private_dir)) for p in stored_files(private_dir)}
    documents = set(Document.objects.values_list("file", flat=True))
    assert on_disk == documents | {p.file.name for p in kept.values()}


def test_a_file_of_the_wrong_type_is_refused_and_the_others_are_kept(client, event):
    files = application_files(photo=upload("me.png", pdf_bytes(), "image/png"))
    response = post(client, event, files=files)
    assert "not a JPEG, PNG file" in " ".join(response.context["form"].errors["photo"])
    assert sorted(PendingUpload.objects.values_list("slot", flat=True)) == [
        "identity",
        "press_card",
    ]
    assert (
        post(client, event, files={"photo": upload("me.jpg", portrait_bytes())}).status_code == 302
    )


def _zip(entries: dict[str, bytes]) -> bytes:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


HOSTILE_TYPES = {
    "php named .php.jpg": ("passport.php.jpg", b"<?php system($_GET['c']); ?>", "image/jpeg"),
    "svg with a script": (
        "passport.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "image/svg+xml",
    ),
    "zip named .pdf": ("passport.pdf", _zip({"passport.pdf": b"%PDF-1.4"}), "application/pdf"),
    "docx named .pdf": (
        "passport.pdf",
        _zip(
            {
                "[Content_Types].xml": b'<?xml version="1.0"?><Types/>',
                "word/document.xml": b"<w:document/>",
            }
        ),
        "application/pdf",
    ),
    "html named .png": ("passport.png", b"<!doctype html><script>alert(1)</script>", "image/png"),
}


@pytest.mark.parametrize("label", list(HOSTILE_TYPES))
def test_files_of_types_we_do_not_take_are_refused_at_upload_whatever_their_name(
    client, event, private_dir, label
):
    """SECURITY.md row 8: only PDF, JPEG and PNG, decided by content."""
    name, content, content_type = HOSTILE_TYPES[label]
    response = post(
        client, event, files=application_files(identity=upload(name, content, content_type))
    )
    assert response.status_code == 400
    assert "identity" in response.context["form"].errors
    assert "identity" not in PendingUpload.objects.values_list("slot", flat=True)
    stored = [read_stored(name) for name in private_storage().names()]
    assert stored and content not in stored


def test_uploads_left_half_received_by_a_killed_process_are_purged(private_dir):
    incoming = private_dir / INCOMING
    incoming.mkdir(parents=True)
    old = incoming / "tmpold.upload"
    old.write_bytes(b"half a passport")
    day_ago = time.time() - 25 * 3600
    os.utime(old, (day_ago, day_ago))
    fresh = incoming / "tmpfresh.upload"
    fresh.write_bytes(b"being received")
    apply.pending_purge()
    assert not old.exists()
    assert fresh.exists()


def test_a_complete_submission_takes_a_bounded_number_of_queries(
    client, event, django_assert_max_num_queries
):
    client.get(reverse("accreditation:apply", args=[event.slug]))
    # Event, session, pending uploads, form (media sessions twice, the address), the request in
    # one transaction (pending uploads, request, sessions, documents, audit, 3 outbox rows), the
    # outbox dispatch and the session, with the savepoints of atomic blocks inside the test's
    # own transaction; the look-up of a registered outlet of the same name or website
    # (accreditation.outlets: 2); and the consent notice agreed to (one, shared by the form's
    # check and the submission).
    with django_assert_max_num_queries(24):
        assert post(client, event).status_code == 302


def test_a_session_must_be_chosen_when_the_event_has_sessions_open_to_the_media(client, event):
    response = post(client, event, data=application_data(event, sessions_requested=[]))
    assert response.status_code == 400
    assert response.context["form"].errors["sessions_requested"]
    closed = event.sessions.get(kind="plenary")
    response = post(
        client, event, data=application_data(event, sessions_requested=[str(closed.pk)]), files={}
    )
    assert "not one of the available choices" in " ".join(
        response.context["form"].errors["sessions_requested"]
    )
    event.sessions.exclude(media_access="closed").update(media_access="closed")
    assert (
        post(
            client, event, data=application_data(event, sessions_requested=[]), files={}
        ).status_code
        == 302
    )


def test_on_a_new_deployment_documents_are_readable_by_the_application_only(
    client, event, private_dir
):
    import stat

    assert not private_dir.exists()  # nothing stored yet
    assert post(client, event).status_code == 302
    folders = [private_dir, *(p for p in private_dir.rglob("*") if p.is_dir())]
    files = [p for p in private_dir.rglob("*") if p.is_file()]
    assert len(files) == 3
    assert {oct(stat.S_IMODE(f.stat().st_mode)) for f in folders} == {"0o700"}
    assert {oct(stat.S_IMODE(f.stat().st_mode)) for f in files} == {"0o600"}


def test_both_sides_of_an_id_card_and_a_press_card_are_taken_and_checked(
    client, event, django_capture_on_commit_callbacks
):
    files = application_files(
        identity_back=upload("id-back.jpg", image_bytes()),
        press_card_back=upload("card-back.pdf", pdf_bytes("Card, back")),
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, event, files=files).status_code == 302
    req = AccreditationRequest.objects.get()
    kinds = sorted(req.documents.values_list("kind", flat=True))
    assert kinds == ["identity", "identity_back", "photo", "press_card", "press_card_back"]
    checked = set(req.check_results.values_list("document_kind", flat=True))
    assert {"identity_back", "press_card_back"} <= checked  # each side goes through the checks
    page = client.get(reverse("accreditation:apply", args=[event.slug]), HTTP_ACCEPT_LANGUAGE="en")
    assert "Its back, if it has one" in page.content.decode()
