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
from accreditation.models import AccreditationRequest, Document
from accreditation.privacy.retention import retention_purge
from accreditation.privacy.storage import private_storage
from tests.factories import application_data, application_files

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
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accreditation:apply", args=[event.slug]),
            {**application_data(event), **application_files()},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 302
    req = AccreditationRequest.objects.get()
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

    # A reviewer opens the identity document through the checked view: the bucket's bytes.
    identity = req.documents.get(kind="identity")
    client.force_login(reviewer)
    opened = client.get(
        reverse("admin:accreditation_document_file", args=[identity.pk, "original"])
    )
    assert opened.status_code == 200
    body = b"".join(opened.streaming_content)
    expected = s3.get_object(Bucket=BUCKET, Key=f"presspass/{identity.file.name}")["Body"].read()
    assert body == expected and body.startswith(b"%PDF")

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
