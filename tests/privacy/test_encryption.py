"""Encryption at rest (issue #21): every private file is ciphertext on disk and opens only
whole and unaltered; a rotated key still opens old files; document numbers are not in the
database in clear, yet duplicates and searches still find them; files stored before
encryption are encrypted by `manage.py encrypt_files`."""

from __future__ import annotations

import base64
import logging
import os

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse

from accreditation import review
from accreditation.badges import issuing, printing
from accreditation.models import AccreditationRequest, CheckResult, PrintBatch, document_number_is
from accreditation.privacy import crypto
from accreditation.privacy.storage import INCOMING, private_storage, random_name
from tests.factories import application_data, application_files, make_request
from tests.privacy.submitting import submit_and_check

pytestmark = pytest.mark.django_db

SIGNATURES = (b"%PDF", b"\xff\xd8\xff", b"JFIF", b"Exif", b"\x89PNG", b"%%EOF", b"/Page")


def key(seed: int) -> str:
    return base64.b64encode(bytes([seed]) * 32).decode()


K1, K2 = f"k1:{key(1)}", f"k2:{key(2)}"


def stored_files(private_dir) -> list:
    return [p for p in private_dir.rglob("*") if p.is_file() and INCOMING not in p.parts]


def assert_ciphertext(raw: bytes, plain: bytes | None = None) -> None:
    assert raw.startswith(crypto.MAGIC)
    for signature in SIGNATURES:
        assert signature not in raw
    if plain:  # no 16-byte piece of the content, wherever it is taken
        step = max(1, len(plain) // 64)
        for start in range(0, max(1, len(plain) - 16), step):
            assert plain[start : start + 16] not in raw


def test_every_file_a_request_leaves_on_disk_is_ciphertext(
    client, event, reviewer, badge_desk, private_dir, django_capture_on_commit_callbacks
):
    """Submission, checks (normalised copies, previews, the badge crop), the badge and its print
    batch: every file written is encrypted, and each opens to its content."""
    req, sent = submit_and_check(client, event, django_capture_on_commit_callbacks)
    assert req.status == "in_review", req.check_results.values_list("code", "message")
    review.request_approve(request=req, actor=reviewer)
    badge = issuing.badge_issue(request_id=req.pk)
    batch = printing.batch_create(event=event, badges=[badge], actor=badge_desk)
    printing.batch_render(batch_id=batch.pk)
    batch = PrintBatch.objects.get(pk=batch.pk)

    storage = private_storage()
    names = [d.file.name for d in req.documents.all()]
    names += [n for d in req.documents.all() for n in d.derived.values()]
    names.append(batch.file.name)
    assert len(names) >= 7  # three documents, their derived copies, the batch
    on_disk = {str(p.relative_to(private_dir)) for p in stored_files(private_dir)}
    assert set(names) <= on_disk
    for name in on_disk:
        with storage.open(name, "rb") as handle:
            plain = handle.read()
        assert_ciphertext((private_dir / name).read_bytes(), plain)
    # The identity document opens as sent (the images are replaced by their normalised copies);
    # the batch opens as a PDF.
    with req.documents.get(kind="identity").file.open("rb") as handle:
        assert handle.read() == sent["identity"]
    with batch.file.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"
    # The uploads received in clear while the request streamed in are gone with it.
    assert not [p for p in (private_dir / INCOMING).glob("*") if p.is_file()]


def test_an_altered_or_shortened_file_is_refused(private_dir):
    storage = private_storage()
    content = os.urandom(3 * crypto.CHUNK + 100)
    name = storage.save(random_name("documents", "pdf"), ContentFile(content))
    path = private_dir / name
    good = path.read_bytes()
    with storage.open(name) as handle:
        assert handle.read() == content
        assert handle.size == len(content)
    assert storage.size(name) == len(content)

    def altered(raw: bytes):
        path.write_bytes(raw)
        with pytest.raises(crypto.DecryptionError):
            with storage.open(name) as handle:
                handle.read()

    flipped = bytearray(good)
    flipped[crypto.HEADER_SIZE + crypto.CHUNK + 50] ^= 1  # the second chunk
    altered(bytes(flipped))
    flipped = bytearray(good)
    flipped[40] ^= 1  # the wrapped data key
    altered(bytes(flipped))
    altered(good[: crypto.HEADER_SIZE + 3 * (crypto.CHUNK + crypto.TAG)])  # the last chunk cut
    altered(good[:-1])
    chunk = crypto.CHUNK + crypto.TAG
    first, second = crypto.HEADER_SIZE, crypto.HEADER_SIZE + chunk
    altered(
        good[:first] + good[second : second + chunk] + good[first:second] + good[second + chunk :]
    )


def test_a_rotated_key_still_opens_old_files_and_rotation_rewraps_them(
    settings, private_dir, event
):
    settings.PRESSPASS_DATA_KEYS = K1
    storage = private_storage()
    content = os.urandom(200_000)
    name = storage.save(random_name("documents", "jpg"), ContentFile(content))
    req = make_request(event, documents=(), id_document_number="XK-123 456")
    before = (private_dir / name).read_bytes()

    settings.PRESSPASS_DATA_KEYS = f"{K2},{K1}"  # a new key first, the old one kept
    with storage.open(name) as handle:
        assert handle.read() == content
    assert AccreditationRequest.objects.filter(document_number_is("xk123456")).exists()
    new = storage.save(random_name("documents", "jpg"), ContentFile(b"new"))
    assert crypto.read_header((private_dir / new).read_bytes()).key_id == "k2"

    # Before the walk, the check says what is left under the old key, and fails.
    with pytest.raises(CommandError):
        call_command("rotate_keys", "--check", stdout=open(os.devnull, "w"))
    from accreditation.privacy.at_rest import left_under_other_keys

    assert left_under_other_keys() == {"files": 1, "plain_files": 0, "numbers": 1}
    call_command("rotate_keys", stdout=open(os.devnull, "w"))
    assert left_under_other_keys() == {"files": 0, "plain_files": 0, "numbers": 0}
    call_command("rotate_keys", "--check", stdout=open(os.devnull, "w"))
    after = (private_dir / name).read_bytes()
    assert crypto.read_header(after).key_id == "k2"
    assert after[crypto.HEADER_SIZE :] == before[crypto.HEADER_SIZE :]  # the content untouched
    assert raw_number(req).startswith("pp1:k2:")

    settings.PRESSPASS_DATA_KEYS = K2  # the old key gone: everything still opens
    with storage.open(name) as handle:
        assert handle.read() == content
    assert AccreditationRequest.objects.get(pk=req.pk).id_document_number == "XK-123 456"
    assert AccreditationRequest.objects.filter(document_number_is("XK 123-456")).get() == req

    # Run again, nothing left to do.
    from accreditation.privacy.at_rest import rotate_keys

    result = rotate_keys()
    assert result["files"].changed == 0 and result["numbers"].changed == 0
    assert result["files"].unchanged == 2 and result["numbers"].unchanged == 1


def test_a_file_under_a_key_no_longer_listed_does_not_open(settings):
    settings.PRESSPASS_DATA_KEYS = K1
    storage = private_storage()
    name = storage.save(random_name("documents", "pdf"), ContentFile(b"%PDF-1.7"))
    settings.PRESSPASS_DATA_KEYS = K2
    with pytest.raises(crypto.DecryptionError):
        storage.open(name).read()


def raw_number(req) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_document_number FROM accreditation_accreditationrequest WHERE id = %s",
            [req.pk],
        )
        return cursor.fetchone()[0]


def test_document_numbers_are_not_in_the_database_in_clear(event):
    req = make_request(event, documents=(), id_document_number="ZX9876543")
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accreditation_accreditationrequest WHERE id = %s", [req.pk])
        row = " ".join(str(value) for value in cursor.fetchone())
    assert "9876543" not in row and "ZX98" not in row.upper()
    assert raw_number(req).startswith("pp1:")
    # Read through the model, it is the number; saved again, still sealed.
    req = AccreditationRequest.objects.get(pk=req.pk)
    assert req.id_document_number == "ZX9876543"
    req.id_document_number = "ZX9876544"
    req.save(update_fields=["id_document_number"])
    assert "9876544" not in raw_number(req)
    assert AccreditationRequest.objects.filter(document_number_is("zx 9876544")).get() == req
    assert not AccreditationRequest.objects.filter(document_number_is("ZX9876543")).exists()


def test_the_same_document_number_written_otherwise_is_flagged_as_a_duplicate(
    client, event, django_capture_on_commit_callbacks
):
    def submit(email, number):
        data = application_data(event, email=email, id_document_number=number)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("accreditation:apply", args=[event.slug]),
                {**data, **application_files()},
            )
        assert response.status_code == 302
        client.cookies.clear()
        return AccreditationRequest.objects.get(email=email)

    first = submit("amina@example.com", "AB1234567")
    twin = submit("sara@example.com", "ab 123-4567")
    other = submit("omar@example.com", "AB1234568")
    found = CheckResult.objects.filter(code="identity.duplicate").values_list("request", "value")
    assert set(found) == {(twin.pk, first.reference)}
    assert other.pk not in {pk for pk, _ref in found}


def test_staff_find_a_request_by_its_document_number(client, event, reviewer):
    req = make_request(event, documents=(), id_document_number="MA-445 1209")
    make_request(event, documents=(), id_document_number="MA4451208")
    client.force_login(reviewer)
    url = reverse("admin:accreditation_accreditationrequest_changelist")
    page = client.get(url, {"q": "ma4451209"}).content.decode()
    assert req.reference in page
    listed = client.get(url, {"q": "ma4451209"}).context["cl"].result_list
    assert [r.pk for r in listed] == [req.pk]
    # The request's page shows the number to the reviewer.
    assert (
        "MA-445 1209"
        in client.get(
            reverse("admin:accreditation_accreditationrequest_change", args=[req.pk])
        ).content.decode()
    )


def test_files_stored_before_encryption_open_then_are_encrypted_by_the_command(
    settings, private_dir, caplog
):
    plain_pdf = b"%PDF-1.4 " + os.urandom(5000) + b"\n%%EOF"
    names = []
    for i in range(3):  # as an earlier version wrote them: the content itself
        name = random_name("documents", "pdf")
        (private_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (private_dir / name).write_bytes(plain_pdf + bytes([i]))
        names.append(name)
    already = private_storage().save(random_name("derived", "jpg"), ContentFile(b"\xff\xd8\xff"))
    storage = private_storage()
    with caplog.at_level(logging.WARNING, logger="accreditation.privacy.storage"):
        with storage.open(names[0]) as handle:
            assert handle.read() == plain_pdf + b"\0"
    assert "unencrypted" in caplog.text
    settings.PRESSPASS_READ_PLAIN_FILES = False
    with pytest.raises(crypto.PlainFileError):
        storage.open(names[0])
    # A run stopped while writing an encrypted copy left it beside the plain file.
    partial = private_dir / (names[1] + ".encrypting")
    partial.write_bytes(b"half")

    out = open(os.devnull, "w")
    call_command("encrypt_files", stdout=out)
    assert not partial.exists()
    for i, name in enumerate(names):
        raw = (private_dir / name).read_bytes()
        assert_ciphertext(raw, plain_pdf)
        with storage.open(name) as handle:
            assert handle.read() == plain_pdf + bytes([i])
    from accreditation.privacy.at_rest import encrypt_files

    again = encrypt_files()
    assert (again.changed, again.unchanged) == (0, 4)
    with storage.open(already) as handle:
        assert handle.read() == b"\xff\xd8\xff"


def test_the_data_keys_setting_is_checked_and_production_needs_real_keys(settings):
    from django.core.exceptions import ImproperlyConfigured

    from config.deploy_checks import data_keys_are_set

    assert crypto.parse_keys(f"{K2}, {K1}") == {"k2": bytes([2]) * 32, "k1": bytes([1]) * 32}
    for bad in ("k1", "k1:short", f"{K1},{K1}", f"a key:{key(1)}"):
        with pytest.raises(ImproperlyConfigured):
            crypto.parse_keys(bad)
    settings.PRESSPASS_DATA_KEYS = ""
    assert crypto.keyring().current == crypto.DEV_KEY_ID
    assert [e.id for e in data_keys_are_set()] == ["presspass.E004"]
    settings.PRESSPASS_DATA_KEYS = "k1:nope"
    assert [e.id for e in data_keys_are_set()] == ["presspass.E004"]
    settings.PRESSPASS_DATA_KEYS = K1
    settings.PRESSPASS_X_ACCEL_PREFIX = ""
    settings.PRESSPASS_READ_PLAIN_FILES = False
    assert data_keys_are_set() == []


def test_the_data_migration_seals_the_numbers_of_existing_rows_and_can_open_them_again(event):
    import importlib
    from types import SimpleNamespace

    from django.apps import apps

    migration = importlib.import_module("accreditation.migrations.0025_document_numbers_encrypted")
    req = make_request(event, documents=(), id_document_number="PL 4455-667")
    with connection.cursor() as cursor:  # as the row was before the migration
        cursor.execute(
            "UPDATE accreditation_accreditationrequest "
            "SET id_document_number = %s, id_document_hash = '' WHERE id = %s",
            ["PL 4455-667", req.pk],
        )
    assert AccreditationRequest.objects.get(pk=req.pk).id_document_number == "PL 4455-667"
    assert not AccreditationRequest.objects.filter(document_number_is("PL4455667")).exists()

    # The functions use the schema editor's connection only (SQLite's editor cannot open
    # inside the test's transaction).
    editor = SimpleNamespace(connection=connection)
    migration.seal_numbers(apps, editor)
    assert raw_number(req).startswith("pp1:") and "4455" not in raw_number(req)
    assert AccreditationRequest.objects.filter(document_number_is("pl4455667")).get() == req
    migration.seal_numbers(apps, editor)  # run twice: nothing sealed twice
    assert AccreditationRequest.objects.get(pk=req.pk).id_document_number == "PL 4455-667"

    migration.open_numbers(apps, editor)
    assert raw_number(req) == "PL 4455-667"


@pytest.mark.django_db
def test_no_check_result_keeps_the_document_number_in_clear(event):
    """The document-number check keeps a measure beside its verdict: the number's length,
    never the number, which is sealed on the request only."""
    from accreditation.checks import pipeline
    from accreditation.models import CheckResult
    from tests.factories import make_request

    req = make_request(event, status="submitted")
    number = req.id_document_number
    pipeline.checks_run(request_id=req.pk)
    results = CheckResult.objects.filter(request=req, code="identity.document_number")
    assert results.exists()
    assert all(number not in result.value for result in results)


def test_a_number_typed_like_a_sealed_value_is_sealed_and_reads_back(event):
    """ "pp1:AB12" typed on the form looks like our sealed form: it is sealed like any other
    number (kept in clear, every page reading the request failed to open it)."""
    req = make_request(event, documents=(), id_document_number="pp1:AB12")
    assert AccreditationRequest.objects.get(pk=req.pk).id_document_number == "pp1:AB12"
    assert raw_number(req) != "pp1:AB12" and raw_number(req).startswith("pp1:")
