"""The journalist downloads everything held about them from their status link: a ZIP with a
JSON of their request, its history and who opened their documents (by role), and their files."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accreditation import review
from accreditation.apply import status_path
from accreditation.badges import issuing
from accreditation.models import AuditEntry, Message, Scan
from accreditation.privacy.access import ROLE_LABELS
from accreditation.privacy.notice import notice_current
from accreditation.privacy.storage import private_storage
from accreditation.roles import REVIEWER
from events.models import Checkpoint
from tests.factories import make_request, make_user

pytestmark = pytest.mark.django_db


def export_path(req) -> str:
    return status_path(req).rstrip("/") + "/data/"


def download(client, req) -> tuple[dict, zipfile.ZipFile]:
    response = client.post(export_path(req))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Cache-Control"].startswith("no-store")
    assert f"presspass-{req.reference}.zip" in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    return json.loads(archive.read("data.json")), archive


def test_the_page_explains_the_download_in_the_persons_language(client, event):
    req = make_request(event, language="fr")
    page = client.get(export_path(req))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="export-download"' in html
    assert '<form method="post">' in html  # a button, not a link a preview could follow
    assert '<html lang="fr"' in html
    # Looking at the page is not a download.
    assert not AuditEntry.objects.filter(action="privacy.exported").exists()


def test_the_zip_holds_the_request_its_history_and_the_files(client, event):
    reviewer = make_user("k.benali", "Reviewer", first_name="Karim", last_name="Benali")
    notice_current(event=event, language="fr")  # the notice the form showed
    req = make_request(event, language="fr", given_names="Amina")
    Message.objects.create(request=req, author=Message.Author.STAFF, body="Merci d'envoyer")
    review.request_approve(request=req, actor=reviewer)
    badge = issuing.badge_issue(request_id=req.pk)
    checkpoint = Checkpoint.objects.create(event=event, name="Porte Menara")
    opening = event.sessions.get(kind="opening")
    Scan.objects.create(
        checkpoint=checkpoint,
        session=opening,
        badge=badge,
        badge_version=1,
        decision=Scan.Decision.ADMIT,
        reason="ok",
        agent=reviewer,
        device_id="phone-1",
        client_scan_id="scan-1",
        scanned_at=timezone.now() - dt.timedelta(minutes=5),
    )
    client.force_login(reviewer)
    identity = req.documents.get(kind="identity")
    client.get(reverse("admin:accreditation_document_file", args=[identity.pk, "original"]))
    client.logout()

    data, archive = download(client, req)

    fields = {row["field"]: row for row in data["request"]}
    assert fields["given_names"]["label"] == "Prénoms"  # labels in the person's language
    assert fields["given_names"]["value"] == "Amina"
    assert fields["id_document_type"]["value"] == "Passeport"
    assert fields["nationality"]["value"] == "Maroc"
    assert data["status"]["label"] == "Badge émis"
    assert [m["text"] for m in data["messages"]] == ["Merci d'envoyer"]
    assert [d["to"] for d in data["decisions"]][-2:] == ["Approuvée", "Badge émis"]
    assert data["sessions_granted"] == ["Cérémonie d'ouverture", "Closing ceremony"]
    with translation.override("fr"):
        assert data["badge"]["versions"][0]["state"] == _("In force")
    (scan,) = data["scans"]
    assert scan["gate"] == "Porte Menara"
    assert scan["session"] == "Cérémonie d'ouverture"
    assert scan["decision"] == "Admission"
    # Who opened the documents: the role, not the staff member's name.
    (view,) = data["document_views"]
    assert view["document"] == "Pièce d'identité"
    with translation.override("fr"):
        assert view["by"] == str(ROLE_LABELS[REVIEWER])
    assert "Benali" not in json.dumps(data)  # nor the staff member's name, nor username
    assert "k.benali" not in json.dumps(data)
    assert data["consent"]["version"] == 1
    assert data["consent"]["text"] == notice_current(event=event, language="fr").text

    # Each file as stored, under a readable name.
    names = {f["kind"]: f["file"] for f in data["files"]}
    assert set(archive.namelist()) == {"data.json", *names.values()}
    with private_storage().open(identity.file.name, "rb") as stored:
        assert archive.read(names["Pièce d'identité"]) == stored.read()
    assert names["Photo portrait"].endswith(".jpg")


def test_the_download_is_audited_as_an_access_by_the_person(client, event):
    req = make_request(event, language="en")
    download(client, req)
    (entry,) = AuditEntry.objects.filter(action="privacy.exported")
    assert entry.request_id == req.pk
    assert entry.actor_label == "applicant"
    assert entry.data["files"] == 3


def test_a_wrong_or_renewed_link_downloads_nothing(client, event, reviewer):
    from accreditation.apply.links import request_link_renew

    req = make_request(event, language="en")
    old = export_path(req)
    assert client.post(old.replace(req.reference, "ZZZZ-ZZZZ")).status_code == 404
    request_link_renew(request=req, actor=reviewer)
    assert client.post(old).status_code == 404
    assert client.post(export_path(req)).status_code == 200


def test_downloads_count_against_the_status_pages_limit(client, event, settings):
    settings.PRESSPASS_STATUS_VIEWS_PER_HOUR = 2
    req = make_request(event, language="en")
    assert client.get(status_path(req)).status_code == 200
    assert client.post(export_path(req)).status_code == 200
    assert client.post(export_path(req)).status_code == 429


def test_large_files_are_copied_through_the_storage_in_chunks(client, event, settings):
    """Three 10 MB documents: the ZIP is written to a temporary file and streamed, never held
    whole."""
    import os

    from django.core.files.base import ContentFile

    from accreditation.models import Document
    from accreditation.privacy.storage import random_name

    req = make_request(event, language="en", documents=())
    blobs = []
    for kind in ("identity", "press_card", "mission_letter"):
        blob = os.urandom(10 * 1024 * 1024)
        name = private_storage().save(random_name("documents", "pdf"), ContentFile(blob))
        Document.objects.create(
            request=req,
            kind=kind,
            file=name,
            original_name="big.pdf",
            content_type="application/pdf",
            size=len(blob),
        )
        blobs.append(blob)
    response = client.post(export_path(req))
    assert int(response["Content-Length"]) > 30 * 1024 * 1024
    assert response.streaming  # sent from its file, not a 30 MB body in memory
    pieces = list(response.streaming_content)
    assert max(len(piece) for piece in pieces) < 10 * 1024 * 1024
    archive = zipfile.ZipFile(io.BytesIO(b"".join(pieces)))
    data = json.loads(archive.read("data.json"))
    assert [archive.read(f["file"]) for f in data["files"]] == blobs


def test_announcements_sent_and_interviews_asked_are_in_it(client, event, supervisor):
    from accreditation.communications.models import Announcement, Delivery
    from accreditation.interviews.models import InterviewRequest, InterviewTarget

    req = make_request(event, language="fr", status="approved")
    announcement = Announcement.objects.create(
        event=event,
        titles={"fr": "Conférence de presse", "en": "Press conference"},
        bodies={"fr": "Salle Atlas, 15 h.", "en": "Atlas room, 3 pm."},
        created_by=supervisor,
    )
    Delivery.objects.create(
        announcement=announcement,
        request=req,
        batch=1,
        language="fr",
        state=Delivery.State.SENT,
        sent_at=timezone.now(),
    )
    target = InterviewTarget.objects.create(
        event=event,
        kind=InterviewTarget.Kind.OFFICIAL,
        name="Secretary General",
        names={"fr": "Secrétaire général"},
        contact_name="Office",
        contact_email="office@example.org",
        contact_language="en",
    )
    InterviewRequest.objects.create(
        event=event, request=req, target=target, topic="Cybercriminalité", format="in_person"
    )
    data, _archive = download(client, req)
    (sent,) = data["announcements"]
    assert (sent["title"], sent["text"]) == ("Conférence de presse", "Salle Atlas, 15 h.")
    (interview,) = data["interview_requests"]
    assert interview["with"] == "Secrétaire général" and interview["topic"] == "Cybercriminalité"
    assert "office@example.org" not in json.dumps(data)  # the target's contact is not theirs


def test_the_export_reads_a_bounded_number_of_rows_whatever_the_history(client, event):
    """Fifteen queries for a request, however many openings by however many staff members."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    req = make_request(event, language="en")
    identity = req.documents.get(kind="identity")
    open_as(client, make_user("first-reader", "Reviewer"), identity)
    with CaptureQueriesContext(connection) as short:
        download(client, req)
    for reader in [make_user(f"reader{n}", "Reviewer") for n in range(3)] * 4:
        open_as(client, reader, identity)
    with CaptureQueriesContext(connection) as long:
        data, _archive = download(client, req)
    assert len(data["document_views"]) == 13
    assert len(long.captured_queries) == len(short.captured_queries) <= 15


def open_as(client, user, document) -> None:
    client.force_login(user)
    client.get(reverse("admin:accreditation_document_file", args=[document.pk, "original"]))
    client.logout()


def test_a_file_already_deleted_is_named_not_sent(client, event):
    req = make_request(event, language="en")
    photo = req.documents.get(kind="photo")
    private_storage().delete(photo.file.name)
    data, archive = download(client, req)
    assert data["files_no_longer_kept"] == ["Portrait photo"]
    assert len(archive.namelist()) == 3  # data.json and the two files still kept
