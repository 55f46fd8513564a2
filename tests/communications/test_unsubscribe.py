"""A journalist stops optional announcements with the link in one; operational announcements
and the e-mails about their request and badge still reach them."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from accreditation import review
from accreditation.communications import links
from accreditation.communications.models import Delivery, OptOut
from accreditation.models import AuditEntry
from tests.communications.helpers import draft, journalist, send
from tests.factories import make_request

pytestmark = pytest.mark.django_db


def unsubscribe_link(message) -> str:
    line = next(line for line in message.body.splitlines() if "/announcements/unsubscribe/" in line)
    return line.rsplit(" ", 1)[-1].removeprefix("http://testserver")


def test_the_link_unsubscribes_from_optional_ones_and_operational_ones_still_come(
    client, event, press, django_capture_on_commit_callbacks
):
    req = journalist(event, language="en")
    send(draft(event, actor=press), press, django_capture_on_commit_callbacks)
    (optional,) = mail.outbox
    link = unsubscribe_link(optional)
    assert optional.extra_headers["List-Unsubscribe"] == f"<http://testserver{link}>"
    assert optional.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    page = client.get(link)  # opening it (or a mail scanner fetching it) changes nothing
    assert page.status_code == 200 and not OptOut.objects.exists()
    assert client.post(link, {"action": "unsubscribe"}).status_code == 302
    assert OptOut.objects.filter(request=req).exists()
    assert AuditEntry.objects.filter(action="announcements.unsubscribed", request=req).exists()

    mail.outbox.clear()
    send(draft(event, actor=press), press, django_capture_on_commit_callbacks)
    assert mail.outbox == []  # optional: not e-mailed …
    assert Delivery.objects.filter(request=req, state="unsubscribed").count() == 1  # … but listed
    send(draft(event, actor=press, operational=True), press, django_capture_on_commit_callbacks)
    (operational,) = mail.outbox
    assert "/announcements/unsubscribe/" not in operational.body
    assert "List-Unsubscribe" not in operational.extra_headers


def test_decisions_and_badge_emails_still_come_after_unsubscribing(
    event, press, reviewer, django_capture_on_commit_callbacks
):
    req = make_request(event, language="en")
    OptOut.objects.create(request=req)
    with django_capture_on_commit_callbacks(execute=True):
        review.request_approve(request=req, actor=reviewer)
    assert [m.to for m in mail.outbox] == [[req.email]]
    assert "approved" in mail.outbox[0].subject


def test_a_mail_clients_one_click_unsubscribes(client, event):
    req = journalist(event)
    response = client.post(links.unsubscribe_path(req), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 204
    assert OptOut.objects.filter(request=req).exists()


def test_they_can_receive_them_again(client, event):
    req = journalist(event, language="en")
    OptOut.objects.create(request=req)
    page = client.get(links.unsubscribe_path(req)).content.decode()
    assert "You receive no optional announcements" in page
    client.post(links.unsubscribe_path(req), {"action": "resubscribe"})
    assert not OptOut.objects.filter(request=req).exists()


def test_a_wrong_or_revoked_link_is_refused(client, event, reviewer):
    req = journalist(event)
    other = journalist(event)
    wrong = reverse(
        "communications:unsubscribe",
        kwargs={"reference": req.reference, "token": links.unsubscribe_path(other).split("/")[-2]},
    )
    assert client.get(wrong).status_code == 404
    old = links.unsubscribe_path(req)
    from accreditation.apply import request_link_renew

    request_link_renew(request=req, actor=reviewer)
    assert client.post(old, {"action": "unsubscribe"}).status_code == 404
    assert not OptOut.objects.exists()


def test_the_announcements_files_open_only_with_the_recipients_link(
    client, event, press, django_capture_on_commit_callbacks
):
    from tests.communications.test_admin import programme

    announcement = draft(event, actor=press)
    from accreditation.communications import services

    services.announcement_save(announcement=announcement, actor=press, files=[programme()])
    (attachment,) = announcement.attachments.all()
    req = journalist(event)
    outsider = journalist(event, status="in_review")
    send(announcement, press, django_capture_on_commit_callbacks)
    (message,) = mail.outbox
    assert [a[0] for a in message.attachments] == ["programme.pdf"]
    response = client.get(links.file_path(req, attachment.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store, private"
    assert client.get(links.file_path(outsider, attachment.pk)).status_code == 404


def test_the_unsubscribe_page_does_not_open_the_request(client, event):
    """Its link is handed to mail providers (List-Unsubscribe): it must not lead to the
    journalist's status page, which holds their request and documents (found in review)."""
    from accreditation.communications.links import unsubscribe_path
    from tests.factories import make_request

    req = make_request(event, language="en")
    page = client.get(unsubscribe_path(req)).content.decode()
    assert "/status/" not in page
