"""Private documents in an S3-compatible bucket, as a deployment over several machines keeps them
(docs/deploy.md): a request's whole life — submission, checks, a reviewer opening a document,
the badge, the retention purge — works without a local folder, and nothing is public.

The bucket is moto's in-process S3 (a real implementation of the S3 API, test-only dependency).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.storage import storages
from django.urls import reverse

from accreditation import review
from accreditation.badges import issuing, printing
from accreditation.models import Document
from accreditation.privacy import crypto
from accreditation.privacy.retention import retention_purge
from accreditation.privacy.storage import private_storage
from tests.privacy.submitting import submit_and_check

moto = pytest.importorskip("moto")
boto3 = pytest.importorskip("boto3")

pytestmark = pytest.mark.django_db
BUCKET = "presspass-private"
REGION = "eu-west-3"


@pytest.fixture
def s3(settings, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    with moto.mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        settings.STORAGES = {
            **settings.STORAGES,
            "private": {
                "BACKEND": "accreditation.privacy.storage.PrivateS3Storage",
                "OPTIONS": {
                    "bucket_name": BUCKET,
                    "region_name": REGION,
                    "access_key": "testing",
                    "secret_key": "testing",
                    "location": "presspass",
                },
            },
        }
        private_storage().reset()
        assert type(storages["private"]).__name__ == "PrivateS3Storage"
        yield client
    private_storage().reset()


def keys(client) -> set[str]:
    listing = client.list_objects_v2(Bucket=BUCKET)
    return {item["Key"] for item in listing.get("Contents", [])}


def test_a_request_lives_and_dies_in_the_bucket(
    s3, client, event, reviewer, badge_desk, django_capture_on_commit_callbacks
):
    req, sent = submit_and_check(client, event, django_capture_on_commit_callbacks)
    # The checks read the files from the bucket and stored their derived copies there.
    assert req.status == "in_review", req.check_results.values_list("code", "message")
    photo = req.documents.get(kind="photo")
    assert {"normalised", "badge"} <= set(photo.derived)
    stored = keys(s3)
    for document in req.documents.all():
        assert f"presspass/{document.file.name}" in stored
        for name in document.derived.values():
            assert f"presspass/{name}" in stored
    # Nothing in the bucket is readable by anyone but the application's own credentials.
    for key in stored:
        grants = s3.get_object_acl(Bucket=BUCKET, Key=key)["Grants"]
        assert all("URI" not in grant["Grantee"] for grant in grants), key
    with pytest.raises(NotImplementedError):
        photo.file.url  # noqa: B018 - private files have no URL

    # The bucket holds ciphertext only (tests/privacy/test_encryption.py: the format).
    for key in stored:
        raw = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        assert raw.startswith(crypto.MAGIC) and b"%PDF" not in raw and b"JFIF" not in raw, key

    # A reviewer opens the identity document through the checked view: the content sent.
    identity = req.documents.get(kind="identity")
    client.force_login(reviewer)
    opened = client.get(
        reverse("admin:accreditation_document_file", args=[identity.pk, "original"])
    )
    assert opened.status_code == 200
    body = b"".join(opened.streaming_content)
    assert body == sent["identity"] and body.startswith(b"%PDF")

    # Approved, the badge is drawn from the photo kept in the bucket.
    review.request_approve(request=req, actor=reviewer)
    badge = issuing.badge_issue(request_id=req.pk)
    batch = printing.batch_create(event=event, badges=[badge], actor=badge_desk)
    printing.batch_render(batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.file.name and f"presspass/{batch.file.name}" in keys(s3)

    # When the retention period ends, the bucket keeps nothing of the request.
    result = retention_purge(today=event.ends_on + dt.timedelta(days=event.retention_days + 1))
    assert result["requests"] == 1
    assert not Document.objects.exists()
    assert keys(s3) == set()


def test_in_the_bucket_plain_objects_are_encrypted_and_keys_rotated(s3, settings):
    """encrypt_files and rotate_keys work on a bucket too: an object cannot be rewritten in
    part, so it is written again, the sealed content unchanged by a rotation."""
    import base64

    from django.core.files.base import ContentFile

    from accreditation.privacy.at_rest import encrypt_files, rotate_keys

    k1 = "k1:" + base64.b64encode(bytes([1]) * 32).decode()
    k2 = "k2:" + base64.b64encode(bytes([2]) * 32).decode()
    settings.PRESSPASS_DATA_KEYS = k1
    storage = private_storage()
    s3.put_object(Bucket=BUCKET, Key="presspass/documents/ab/old.pdf", Body=b"%PDF-1.4 old")
    sealed = storage.save("documents/cd/new.pdf", ContentFile(b"%PDF-1.4 new"))
    counts = encrypt_files()
    assert (counts.changed, counts.unchanged) == (1, 1)
    raw_old = s3.get_object(Bucket=BUCKET, Key="presspass/documents/ab/old.pdf")["Body"].read()
    assert raw_old.startswith(crypto.MAGIC) and b"%PDF" not in raw_old
    before = s3.get_object(Bucket=BUCKET, Key=f"presspass/{sealed}")["Body"].read()

    settings.PRESSPASS_DATA_KEYS = f"{k2},{k1}"
    assert rotate_keys()["files"].changed == 2
    after = s3.get_object(Bucket=BUCKET, Key=f"presspass/{sealed}")["Body"].read()
    assert crypto.read_header(after).key_id == "k2"
    assert after[crypto.HEADER_SIZE :] == before[crypto.HEADER_SIZE :]
    settings.PRESSPASS_DATA_KEYS = k2
    with storage.open("documents/ab/old.pdf") as handle:
        assert handle.read() == b"%PDF-1.4 old"
    with storage.open(sealed) as handle:
        assert handle.read() == b"%PDF-1.4 new"
