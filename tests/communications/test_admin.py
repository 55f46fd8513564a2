"""The press office in the admin: writes a draft with a programme, previews the count and the
e-mail, sends, sees who received it and resends to the failures. Reviewers and gate agents
cannot send; the press office cannot open identity documents."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accreditation.communications.models import Announcement, Attachment, Delivery
from accreditation.models import Document
from tests.communications.helpers import draft, journalist, journalists
from tests.events.test_admin_timezones import FormValues, session_data
from tests.factories import image_bytes, make_request, pdf_bytes, upload

pytestmark = pytest.mark.django_db

LIST = "admin:communications_announcement_changelist"
ADD = "admin:communications_announcement_add"


def url(name, announcement, *args):
    return reverse(f"admin:communications_announcement_{name}", args=[announcement.pk, *args])


def programme():
    return upload("programme.pdf", pdf_bytes("Programme"), "application/pdf")


def new_draft(client, event, **extra):
    page = client.get(reverse(ADD)).text
    values = FormValues.of(page, "announcement_form")
    values.update(
        {
            "event": str(event.pk),
            "titles_0": "Conférence de presse",  # the boxes follow settings.LANGUAGES: fr first
            "titles_1": "Press conference",
            "bodies_0": "Au Centre de presse, à 15 h.",
            "bodies_1": "At the Press centre, at 3 pm.",
            **extra,
        }
    )
    values.pop("_addanother", None)
    values.pop("_continue", None)
    return client.post(reverse(ADD), values)


def test_the_press_office_writes_previews_sends_and_follows(
    client, event, press, refusing, django_capture_on_commit_callbacks, private_dir
):
    opening = event.sessions.get(kind="opening")
    journalists(event, 3, sessions=[opening])
    bad = journalist(event, sessions=[opening], email="gone@example.com")
    journalist(event, sessions=[opening], status="revoked")
    refusing.refused = {bad.email}
    client.force_login(press)
    assert client.get(reverse(LIST)).status_code == 200

    answer = new_draft(
        client, event, audience_session=str(opening.pk), session=str(opening.pk), files=programme()
    )
    assert answer.status_code == 302, answer.context and answer.context["adminform"].form.errors
    announcement = Announcement.objects.get()
    assert announcement.state == "draft" and announcement.created_by == press
    assert announcement.titles == {"fr": "Conférence de presse", "en": "Press conference"}
    (attachment,) = Attachment.objects.all()
    assert attachment.content_type == "application/pdf"
    assert attachment.original_name == "programme.pdf"
    assert "programme" not in attachment.file.name  # a random name …
    assert (private_dir / attachment.file.name).exists()  # … in private storage

    preview = client.get(url("preview", announcement)).text
    assert "4 recipients" in preview  # the revoked one is not counted
    assert "Au Centre de presse, à 15 h." in preview
    english = client.get(url("preview", announcement) + "?language=en").text
    assert "At the Press centre, at 3 pm." in english
    assert "BEGIN:VCALENDAR" in english and "SEQUENCE:0" in english  # the opening's entry
    assert "10:30" in english  # the opening's time, in the e-mail as it will go

    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(url("send", announcement))
    assert answer.status_code == 302
    announcement.refresh_from_db()
    assert announcement.state == "sent" and announcement.sent_by == press
    assert len(mail.outbox) == 3
    for message in mail.outbox:  # the programme, and the opening's calendar entry
        assert [a[0] for a in message.attachments] == ["session.ics", "programme.pdf"]

    page = client.get(url("change", announcement)).text
    assert "3 sent, 1 failed, 0 queued" in page
    assert 'id="resend-form"' in page
    failures = client.get(url("deliveries", announcement) + "?state=failed").text
    assert bad.reference in failures and "user unknown" in failures
    assert client.get(url("file", announcement, attachment.pk)).status_code == 200

    refusing.refused = set()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("resend", announcement))
    assert Delivery.objects.get(request=bad).state == "sent"
    assert len(mail.outbox) == 4


def test_a_file_that_is_not_what_its_name_says_is_refused(client, event, press):
    client.force_login(press)
    fake = upload("programme.pdf", b"MZ\x90\x00 not a pdf at all", "application/pdf")
    answer = new_draft(client, event, files=fake)
    assert answer.status_code == 200
    assert "is not a PDF, JPEG or PNG file" in answer.text
    assert not Announcement.objects.exists() and not Attachment.objects.exists()
    picture = upload("map.png", image_bytes("PNG"), "application/octet-stream")
    assert new_draft(client, event, files=picture).status_code == 302
    assert Attachment.objects.get().content_type == "image/png"


def test_the_first_language_is_required(client, event, press):
    client.force_login(press)
    answer = new_draft(client, event, titles_0="", bodies_0="")
    assert answer.status_code == 200 and "the event&#x27;s first language" in answer.text


def test_a_sent_announcement_is_read_only(client, event, press, django_capture_on_commit_callbacks):
    from tests.communications.helpers import send

    announcement = send(draft(event, actor=press), press, django_capture_on_commit_callbacks)
    client.force_login(press)
    page = client.get(url("change", announcement)).text
    assert 'name="titles_0"' not in page
    assert client.post(url("delete", announcement)).status_code == 403


def test_reviewers_and_gate_agents_cannot_send(
    client, event, press, reviewer, gate_agent, supervisor
):
    announcement = draft(event, actor=press)
    journalists(event, 2)
    for member in (reviewer, gate_agent, supervisor):
        client.force_login(member)
        assert client.get(reverse(LIST)).status_code in (302, 403)
        client.post(url("send", announcement))
        client.post(reverse(ADD), {"event": event.pk})
    announcement.refresh_from_db()
    assert announcement.state == "draft" and Announcement.objects.count() == 1
    assert mail.outbox == []


def test_the_press_office_cannot_open_identity_documents_nor_requests(client, event, press):
    req = make_request(event)
    identity = req.documents.get(kind=Document.Kind.IDENTITY)
    client.force_login(press)
    document = reverse("admin:accreditation_document_file", args=[identity.pk, "original"])
    assert client.get(document).status_code == 403
    change = reverse("admin:accreditation_accreditationrequest_change", args=[req.pk])
    assert client.get(change).status_code == 403


def test_the_list_costs_the_same_queries_for_one_or_many(client, event, press):
    client.force_login(press)
    draft(event, actor=press)
    client.get(reverse(LIST))
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse(LIST)).status_code == 200
    for _ in range(5):
        draft(event, actor=press, session=event.sessions.get(kind="opening"))
    with CaptureQueriesContext(connection) as many:
        client.get(reverse(LIST))
    assert len(many) == len(one)


def test_changing_a_sessions_time_proposes_the_announcement_to_those_granted_it(
    client, event, press, supervisor
):
    closing = event.sessions.get(kind="closing")
    granted = journalists(event, 2, sessions=[closing])
    journalists(event, 1)  # not granted the closing ceremony
    client.force_login(supervisor)
    answer = client.post(
        reverse("admin:events_session_change", args=[closing.pk]),
        session_data(
            closing,
            starts_at_0=event.ends_on.isoformat(),
            starts_at_1="17:00",
            location="Main hall",
        ),
        follow=True,
    )
    assert answer.status_code == 200
    proposal = Announcement.objects.get()
    assert proposal.proposed and proposal.state == "draft" and proposal.operational
    assert proposal.session == closing and proposal.audience_session == closing
    assert set(proposal.titles) == set(event.languages)
    assert "17:00" in proposal.bodies["fr"] and "Main hall" in proposal.bodies["fr"]
    assert "Cérémonie de clôture" not in proposal.bodies["en"]
    text = answer.content.decode()
    assert "ready to check and send" in text and "2 people" in text

    # A second change updates the same draft, not a second one.
    client.post(
        reverse("admin:events_session_change", args=[closing.pk]),
        session_data(
            closing,
            starts_at_0=event.ends_on.isoformat(),
            starts_at_1="18:00",
            location="Main hall",
        ),
    )
    (proposal,) = Announcement.objects.all()
    assert "18:00" in proposal.bodies["fr"]

    client.force_login(press)
    preview = client.get(url("preview", proposal)).text
    assert f"{len(granted)} recipients" in preview


def test_a_time_changed_on_the_events_page_proposes_it_too(client, event, press, supervisor):
    from tests.events.test_admin_timezones import FormValues

    opening = event.sessions.get(kind="opening")
    journalists(event, 1, sessions=[opening])
    client.force_login(supervisor)
    change = reverse("admin:events_event_change", args=[event.pk])
    values = FormValues.of(client.get(change).text, "event_form")
    rows = {values[f"sessions-{i}-id"]: i for i in range(int(values["sessions-TOTAL_FORMS"]))}
    values[f"sessions-{rows[str(opening.pk)]}-starts_at_1"] = "11:00"
    values.pop("_addanother", None)
    answer = client.post(change, values, follow=True)
    assert answer.status_code == 200
    (proposal,) = Announcement.objects.all()
    assert proposal.session == opening and "11:00" in proposal.bodies["fr"]
    assert "ready to check and send" in answer.text
    # Saving the page again with nothing changed proposes nothing more.
    values = FormValues.of(client.get(change).text, "event_form")
    values.pop("_addanother", None)
    client.post(change, values)
    assert Announcement.objects.count() == 1


def test_deleting_a_draft_deletes_its_files(client, event, press, private_dir):
    from accreditation.communications import services

    announcement = services.announcement_save(
        announcement=draft(event, actor=press), actor=press, files=[programme()]
    )
    (attachment,) = announcement.attachments.all()
    stored = private_dir / attachment.file.name
    assert stored.exists()
    client.force_login(press)
    answer = client.post(url("delete", announcement), {"post": "yes"})
    assert answer.status_code == 302
    assert not Announcement.objects.exists() and not stored.exists()
