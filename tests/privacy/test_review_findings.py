"""Review R: proofs of defects in encryption at rest (each test fails on b0d3a79..d1111c8)."""

from __future__ import annotations

import base64
import os

import pytest
from django.core.files.base import ContentFile

from accreditation.models import AccreditationRequest
from accreditation.privacy import at_rest, crypto
from accreditation.privacy.storage import private_storage, random_name
from tests.factories import make_request

pytestmark = pytest.mark.django_db


def _key(seed: int) -> str:
    return base64.b64encode(bytes([seed]) * 32).decode()


def test_encrypt_files_does_not_bring_back_a_file_erased_while_it_ran(private_dir, monkeypatch):
    """encrypt_files walks every file; an erasure (files_delete_pending) deletes one of them
    while it is being encrypted. os.replace() then puts the encrypted copy back under the
    erased name: the erased person's document is on disk again, referenced by nothing."""
    name = random_name("documents", "pdf")
    path = private_dir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"%PDF-1.4 passport of the erased person " + os.urandom(200_000))

    real = crypto.encrypt_chunks

    def while_erased(chunks, ring=None, *, name=""):
        for n, piece in enumerate(real(chunks, ring, name=name)):
            if n == 1:  # the erasure's files_delete_pending runs now, in another process
                private_storage().delete(name)
            yield piece

    monkeypatch.setattr(crypto, "encrypt_chunks", while_erased)
    private_storage().encrypt_in_place(name)
    assert not path.exists(), "the erased file was written back by encrypt_in_place"


def test_rotate_keys_does_not_undo_a_number_corrected_while_it_runs(settings, event, monkeypatch):
    """reseal_numbers reads a batch, opens and seals each number, then UPDATEs by id only:
    a number corrected meanwhile (staff in the admin, the journalist answering a question)
    is overwritten with the old one, and so is its hash (the duplicate check)."""
    settings.PRESSPASS_DATA_KEYS = f"k1:{_key(1)}"
    req = make_request(event, documents=(), id_document_number="OLD111111")
    settings.PRESSPASS_DATA_KEYS = f"k2:{_key(2)},k1:{_key(1)}"

    real = crypto.open_text

    done = []

    def corrected_meanwhile(value, field, ring=None):
        plain = real(value, field, ring)
        if not done:  # once, as the other process would
            done.append(True)
            # committed by the other process between reseal's SELECT and its UPDATE
            AccreditationRequest.objects.filter(pk=req.pk).update(
                id_document_number=crypto.seal_text("NEW222222", field),
                id_document_hash=crypto.number_hash("NEW222222"),
            )
        return plain

    monkeypatch.setattr(crypto, "open_text", corrected_meanwhile)
    at_rest.reseal_numbers()
    monkeypatch.setattr(crypto, "open_text", real)
    assert AccreditationRequest.objects.get(pk=req.pk).id_document_number == "NEW222222"


def test_a_stored_file_replaced_by_another_stored_file_is_refused(private_dir):
    """Each chunk's associated data is MAGIC + the file's random prefix: nothing binds a stored
    file to its name. Copying one person's encrypted photo over another's is not noticed:
    the badge desk sees and prints the wrong face, with no 'altered file' message."""
    storage = private_storage()
    mine = storage.save(random_name("documents", "jpg"), ContentFile(b"\xff\xd8\xff photo A"))
    theirs = storage.save(random_name("documents", "jpg"), ContentFile(b"\xff\xd8\xff photo B"))
    (private_dir / theirs).write_bytes((private_dir / mine).read_bytes())
    with pytest.raises(crypto.DecryptionError):
        with storage.open(theirs) as handle:
            handle.read()


def test_an_encrypted_file_replaced_by_a_plain_one_is_refused(settings, private_dir):
    """Plain files are read only while PRESSPASS_READ_PLAIN_FILES is on (the upgrade, until
    encrypt_files has run); otherwise a plain file written over an encrypted one is refused
    like an altered one, not served as genuine."""
    settings.PRESSPASS_READ_PLAIN_FILES = False
    storage = private_storage()
    name = storage.save(random_name("documents", "pdf"), ContentFile(b"%PDF-1.7 genuine"))
    (private_dir / name).write_bytes(b"%PDF-1.7 forged mission letter")
    with pytest.raises(crypto.DecryptionError):
        with storage.open(name) as handle:
            handle.read()


def test_production_reads_no_plain_file_unless_told_and_is_warned_while_told(settings):
    import os
    import subprocess
    import sys

    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRESSPASS_", "DJANGO_"))}
    env.update(
        PRESSPASS_ENV="production",
        SECRET_KEY="production-like-" + "k" * 50,
        ALLOWED_HOSTS="press.example.org",
        DATABASE_URL="sqlite:///" + str(settings.VAR_DIR / "never.sqlite3"),
        REDIS_URL="redis://127.0.0.1:6379/0",
        PRESSPASS_VAR_DIR=str(settings.VAR_DIR),
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    from accreditation.badges.signing import generate_keypair, private_key_b64

    env["BADGE_SIGNING_KEY"] = private_key_b64(generate_keypair()[0])
    read = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.PRESSPASS_READ_PLAIN_FILES)",
        ],
        env=env,
        cwd=str(settings.BASE_DIR),
        capture_output=True,
        text=True,
    )
    assert read.stdout.strip() == "False", read.stderr
    settings.PRESSPASS_READ_PLAIN_FILES = True
    settings.PRESSPASS_DATA_KEYS = f"k1:{_key(1)}"
    with pytest.raises(SystemCheckError, match="presspass.W006"):
        call_command("check", "--deploy", "--tag", "security", "--fail-level", "WARNING")


def test_an_erasure_during_the_checks_leaves_no_derived_copy_on_disk(
    client, event, private_dir, monkeypatch, django_capture_on_commit_callbacks
):
    """checks_run writes the derived copies (normalised passport, preview, badge portrait)
    before it locks the request; an erasure committed in between makes the lock's get()
    raise DoesNotExist, and the copies it wrote are referenced by nothing: erase_request's
    FileToDelete never knew them."""
    from django.urls import reverse

    from accreditation.checks import pipeline
    from accreditation.privacy.erasure import erase_request
    from accreditation.privacy.models import ERASURE
    from accreditation.privacy.storage import INCOMING
    from tests.factories import application_data, application_files

    response = client.post(  # no capture: the checks are not run yet
        reverse("accreditation:apply", args=[event.slug]),
        {**application_data(event), **application_files()},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302
    req = AccreditationRequest.objects.get()
    real = pipeline._related_checks

    def erased_meanwhile(document, request, phash):
        if AccreditationRequest.objects.filter(pk=request.pk).exists():
            with django_capture_on_commit_callbacks(execute=True):
                erase_request(request=request, cause=ERASURE)  # staff, in another process
        return real(document, request, phash)

    monkeypatch.setattr(pipeline, "_related_checks", erased_meanwhile)
    try:
        pipeline.checks_run(request_id=req.pk)
    except AccreditationRequest.DoesNotExist:
        pass
    left = [p for p in private_dir.rglob("*") if p.is_file() and INCOMING not in p.parts]
    assert left == [], f"{len(left)} file(s) of the erased person left on disk"


def test_an_altered_file_is_left_out_of_the_persons_download_not_a_crash(
    client, event, private_dir
):
    """A stored document that no longer opens (altered, or its key gone) is listed with the
    files no longer kept; the rest of the download is given."""
    import io
    import json
    import zipfile

    from django.urls import reverse

    from accreditation.apply import status_path

    req = make_request(event, language="en")
    identity = req.documents.get(kind="identity")
    path = private_dir / identity.file.name
    raw = bytearray(path.read_bytes())
    raw[40] ^= 1
    path.write_bytes(bytes(raw))
    token = status_path(req).rstrip("/").rsplit("/", 1)[1]
    response = client.post(reverse("privacy:export", args=[req.reference, token]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    archive = zipfile.ZipFile(io.BytesIO(body))
    data = json.loads(archive.read("data.json"))
    assert len([n for n in archive.namelist() if n.startswith("files/")]) == 2
    assert len(data["files_no_longer_kept"]) == 1
    assert data["desk_views"] == []
