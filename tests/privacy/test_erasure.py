"""Erasing one person leaves nothing of them: a search of every table of the database and of
every stored file finds none of their names, addresses, numbers or texts; what remains is a
tombstone without personal data, and everyone else's data are untouched."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from accreditation import review
from accreditation.apply import answers, links
from accreditation.badges import printing
from accreditation.communications.models import Announcement, Delivery
from accreditation.interviews.models import InterviewMessage, InterviewRequest, InterviewTarget
from accreditation.models import (
    AccreditationRequest,
    AddressCheck,
    AuditEntry,
    Badge,
    Document,
    OutboxTask,
    PrintBatch,
    Scan,
)
from accreditation.outlets.models import CrewMember, Outlet
from accreditation.privacy.erasure import erase_request, files_delete_pending
from accreditation.privacy.models import ERASURE, RETENTION, FileToDelete, Tombstone
from accreditation.privacy.search import database_cells, found_anywhere
from events.models import Checkpoint
from tests.factories import application_data, application_files, make_request

pytestmark = pytest.mark.django_db

# One unique marker per personal field: any of them found after the erasure is a leak.
MARKERS = {
    "given": "Zorblatt",
    "family": "Quixmantle",
    "native": "زوربلاتكس",
    "email": "zq.marker@example.net",
    "document": "QX7788123",
    "phone": "+212699887766",
    "press_card": "PCMARK-4417",
    "interview_wish": "wishmarker about ports",
    "equipment": "equipmarker tripod",
    "question": "questionmarker: send the back of the card",
    "answer": "answermarker here it is",
    "vetting": "vettingmarker note",
    "topic": "topicmarker on maritime crime",
    "thread": "threadmarker from the contact",
    "bounce": "bouncemarker mailbox full",
    "late_name": "Latemarker Person",
    "crew_name": "Crewmarker Person",
    "reprint": "reprintmarker lost at the hotel",
    "file_name": "filemarker-passport.pdf",
    "filming": "CCMMARK-5521",
    "website": "https://sitemarker.example",
    "declined": "declinedmarker busy that week",
}


# What the name is searched by (accreditation.models.names): the words run together.
FULL_NAME = f"{MARKERS['given']} {MARKERS['family']}"


def database_text() -> str:
    """Every text cell of every table (sealed columns opened, sessions decoded), lower case."""
    return "\n".join(value for _place, value in database_cells()).lower()


def leaks(root=None) -> list[str]:
    """The fields of MARKERS (and the name's search key) found anywhere: the whole database
    and every private file, decrypted (accreditation/privacy/search.py, as the command
    personal_data_search looks). ``root``, the storage's folder, is read through the storage."""
    texts = {**MARKERS, "name_key": FULL_NAME}
    found = set(found_anywhere(texts.values()))
    return [field for field, text in texts.items() if text in found]


@pytest.fixture
def person(client, event, reviewer, badge_desk, private_dir, django_capture_on_commit_callbacks):
    """One journalist with every personal field filled, through the real form and services."""
    data = application_data(
        event,
        given_names=MARKERS["given"],
        family_names=MARKERS["family"],
        name_native=MARKERS["native"],
        email=MARKERS["email"],
        id_document_number=MARKERS["document"],
        phone=MARKERS["phone"],
        press_card_number=MARKERS["press_card"],
        interview_requests=MARKERS["interview_wish"],
        equipment=MARKERS["equipment"],
        filming_authorisation_number=MARKERS["filming"],
        outlet_website=MARKERS["website"],
    )
    from tests.factories import pdf_bytes, upload

    files = application_files(identity=upload(MARKERS["file_name"], pdf_bytes("Passport")))
    url = reverse("accreditation:apply", args=[event.slug])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {**data, **files}, HTTP_ACCEPT_LANGUAGE="fr").status_code == 302
    req = AccreditationRequest.objects.get(email=MARKERS["email"])
    with django_capture_on_commit_callbacks(execute=True):
        review.request_ask_info(request=req, actor=reviewer, message=MARKERS["question"])
    answers.request_answer(request=req, text=MARKERS["answer"], draft_key="draft-marker")
    # Back in review once the checks ran again; the security service's note on the person.
    AccreditationRequest.objects.filter(pk=req.pk).update(
        status="in_review", vetting_note=MARKERS["vetting"]
    )
    req.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        review.request_approve(request=req, actor=reviewer)
    badge = Badge.objects.get(request=req)
    with django_capture_on_commit_callbacks(execute=True):
        batch = printing.batch_create(event=event, badges=[badge], actor=badge_desk)
    batch.refresh_from_db()
    PrintBatch.objects.filter(pk=batch.pk).update(reprint_reason=MARKERS["reprint"])
    assert batch.file
    checkpoint = Checkpoint.objects.create(event=event, name="Main gate")
    Scan.objects.create(
        checkpoint=checkpoint,
        session=event.sessions.get(kind="opening"),
        badge=badge,
        badge_version=1,
        decision="admit",
        reason="ok",
        agent=badge_desk,
        device_id="phone-1",
        client_scan_id="scan-1",
        scanned_at=timezone.now(),
    )
    target = InterviewTarget.objects.create(
        event=event,
        kind="official",
        name="Secretary General",
        contact_name="Press office",
        contact_email="office@example.org",
        contact_language="en",
    )
    interview = InterviewRequest.objects.create(
        event=event,
        request=req,
        target=target,
        topic=MARKERS["topic"],
        format="in_person",
        reason=MARKERS["declined"],
    )
    InterviewMessage.objects.create(interview=interview, author="contact", body=MARKERS["thread"])
    announcement = Announcement.objects.create(event=event, titles={"fr": "Point presse"})
    Delivery.objects.create(
        announcement=announcement,
        request=req,
        batch=1,
        language="fr",
        state="failed",
        error=f"550 {MARKERS['email']}: {MARKERS['bounce']}",
    )
    with django_capture_on_commit_callbacks(execute=True):
        links.late_admission_create(
            event=event,
            name=MARKERS["late_name"],
            email=MARKERS["email"],
            valid_until=timezone.now() + dt.timedelta(days=2),
            actor=reviewer,
        )
    AddressCheck.objects.create(
        event=event,
        email=MARKERS["email"],
        language="fr",
        nonce="n" * 32,
        created_at=timezone.now(),
    )
    outlet = Outlet.objects.create(
        event=event,
        name="Weekly",
        outlet_type="print",
        country="MA",
        focal_name="Focal",
        focal_email="focal@example.org",
        language="fr",
        nonce="n" * 32,
    )
    CrewMember.objects.create(
        outlet=outlet,
        name=MARKERS["crew_name"],
        email=MARKERS["email"],
        role="reporter",
        language="fr",
        nonce="n" * 32,
        request=req,
        status="completed",
    )
    # The address step remembers the proved address in the browser's session.
    session = client.session
    session[f"address:{event.pk}"] = {"email": MARKERS["email"], "at": 0}
    session[f"address_sent:{event.pk}"] = MARKERS["email"]
    session.save()
    LogEntry.objects.create(
        user=reviewer,
        content_type=ContentType.objects.get_for_model(AccreditationRequest),
        object_id=str(req.pk),
        object_repr=str(req)[:200],
        action_flag=CHANGE,
        change_message="[]",
    )
    return req


def stored_files_of(req) -> list[str]:
    names = []
    for document in Document.objects.filter(request=req):
        names.append(document.file.name)
        names.extend(document.derived.values())
    names.extend(b.file.name for b in PrintBatch.objects.filter(badges__request=req) if b.file)
    return names


def test_erasure_leaves_nothing_of_the_person_in_the_database_or_the_storage(
    person, event, private_dir, django_capture_on_commit_callbacks
):
    other = make_request(event, family_names="Keptperson")
    files = stored_files_of(person)
    assert len(files) > 4  # documents, their derived copies, the print batch
    assert all((private_dir / name).exists() for name in files)
    # Every marker is found before (the search works), the document number opened from its
    # sealed column.
    assert set(leaks(private_dir)) == set(MARKERS) | {"name_key"}

    with django_capture_on_commit_callbacks(execute=True):
        tombstone = erase_request(request=person, cause=ERASURE)

    assert leaks(private_dir) == []
    assert not any((private_dir / name).exists() for name in files)
    assert not FileToDelete.objects.exists()
    # Everyone else's data stay; the scan stays for the statistics, without the person.
    assert "keptperson" in database_text()
    assert AccreditationRequest.objects.filter(pk=other.pk).exists()
    scan = Scan.objects.get()
    assert scan.badge_id is None and scan.decision == "admit"
    assert PrintBatch.objects.filter(file="").count() == 1
    assert not OutboxTask.objects.filter(kwargs__request_id=person.pk).exists()
    # The tombstone: the end, when and why, the trail as actions and times.
    assert tombstone is not None
    assert (tombstone.final_status, tombstone.cause) == ("printed", "erasure")
    actions = [step["action"] for step in tombstone.trail]
    assert actions[0] == "request.submitted" and "accreditation.approved" in actions
    assert set().union(*(step.keys() for step in tombstone.trail)) == {"at", "action", "from", "to"}
    assert AuditEntry.objects.filter(action="privacy.erased").count() == 1


def test_erasing_again_does_nothing(person, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert erase_request(request=person, cause=ERASURE) is not None
    with django_capture_on_commit_callbacks(execute=True):
        assert erase_request(request=person, cause=ERASURE) is None
    assert Tombstone.objects.count() == 1
    assert AuditEntry.objects.filter(action="privacy.erased").count() == 1


def test_a_crash_after_the_commit_leaves_files_that_the_next_run_deletes(
    event, private_dir, django_capture_on_commit_callbacks
):
    """The rows go first; the files after the commit. Files whose deletion did not happen (the
    process died) are listed in FileToDelete, and the next erasure or purge deletes them: never a
    row that points at a missing file."""
    req = make_request(event)
    files = stored_files_of(req)
    with django_capture_on_commit_callbacks(execute=False):  # the process dies at the commit
        erase_request(request=req, cause=RETENTION)
    assert not Document.objects.filter(request_id=req.pk).exists()
    assert all((private_dir / name).exists() for name in files)
    assert FileToDelete.objects.count() == len(files)

    assert files_delete_pending() == len(files)
    assert not any((private_dir / name).exists() for name in files)
    assert not FileToDelete.objects.exists()
    assert files_delete_pending() == 0


def test_the_trail_of_the_tombstone_has_no_reason_nor_actor(event, reviewer):
    req = make_request(event)
    review.request_reject(request=req, actor=reviewer, text="Reasonmarker Quixmantle")
    tombstone = erase_request(request=req, cause=RETENTION)
    assert tombstone is not None
    text = repr(Tombstone.objects.filter(pk=tombstone.pk).values().get()).lower()
    assert "reasonmarker" not in text and "reviewer" not in text
    assert tombstone.trail[-1]["to"] == "rejected"


def test_an_erased_journalist_s_media_place_goes_to_the_next_in_line(
    event, reviewer, django_capture_on_commit_callbacks
):
    opening = event.sessions.get(kind="opening")
    opening.media_capacity = 1
    opening.save()
    first, second = make_request(event), make_request(event)
    with django_capture_on_commit_callbacks(execute=True):
        review.request_approve(request=first, actor=reviewer)
        review.request_approve(request=second, actor=reviewer)
    assert opening not in second.sessions_granted.all()
    with django_capture_on_commit_callbacks(execute=True):
        erase_request(request=first, cause=ERASURE, actor=reviewer)
    assert opening in second.sessions_granted.all()
