"""The journalist's status page: a refusal says why, withdrawing asks first and lets the
person apply again with the same address."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from accreditation import review
from accreditation.apply import status_path
from accreditation.models import AccreditationRequest, Status
from tests.factories import application_data, application_files, make_request

pytestmark = pytest.mark.django_db


def test_a_rejected_request_shows_its_reason_and_the_email_links_to_it(
    client, event, reviewer, django_capture_on_commit_callbacks
):
    req = make_request(event, language="en")
    with django_capture_on_commit_callbacks(execute=True):
        review.request_reject(request=req, actor=reviewer, text="Your outlet is not a news outlet.")
    page = client.get(status_path(req)).content.decode()
    assert "The reason is given below" in page
    assert "Your outlet is not a news outlet." in page
    (sent,) = mail.outbox
    assert "Your outlet is not a news outlet." in sent.body
    assert f"/status/{req.reference}/" in sent.body


def test_a_revoked_accreditation_shows_why(client, event, reviewer):
    req = make_request(event, language="en")
    review.request_approve(request=req, actor=reviewer)
    review.request_revoke(request=req, actor=reviewer, reason="Conduct at the opening.")
    assert "Conduct at the opening." in client.get(status_path(req)).content.decode()


def test_withdrawing_asks_for_a_confirmation_then_the_address_may_apply_again(client, event):
    req = make_request(event, email="amina@example.com", status=Status.IN_REVIEW, language="en")
    unconfirmed = client.post(status_path(req), {"action": "withdraw"}, follow=True)
    assert "Tick the box to confirm" in unconfirmed.content.decode()
    req.refresh_from_db()
    assert req.status == Status.IN_REVIEW
    page = client.post(status_path(req), {"action": "withdraw", "confirm": "yes"}, follow=True)
    req.refresh_from_db()
    assert req.status == Status.WITHDRAWN
    assert 'id="apply-again"' in page.content.decode()
    client.cookies.clear()
    again = client.post(
        reverse("accreditation:apply", args=[event.slug]),
        {**application_data(event, email="amina@example.com"), **application_files()},
    )
    assert again.status_code == 302
    assert AccreditationRequest.objects.filter(email="amina@example.com").count() == 2
    # Only one live request per address and event all the same.
    client.cookies.clear()
    third = client.post(
        reverse("accreditation:apply", args=[event.slug]),
        {**application_data(event, email="amina@example.com"), **application_files()},
    )
    assert third.status_code == 400


def test_the_address_step_offers_the_form_to_an_address_whose_request_was_withdrawn(
    client, event, settings, django_capture_on_commit_callbacks
):
    from tests.factories import solve_pow

    settings.PRESSPASS_CONFIRM_ADDRESS_FIRST = True
    make_request(event, email="amina@example.com", status=Status.WITHDRAWN)
    page = client.get(reverse("accreditation:apply", args=[event.slug])).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("accreditation:address_start", args=[event.slug]),
            {"email": "amina@example.com", "altcha": solve_pow(page)},
        )
    (sent,) = mail.outbox
    assert re.search(r"/apply/confirm/\?token=", sent.body)


def test_the_approval_email_and_the_status_page_list_the_sessions_granted_and_what_to_bring(
    client, event, reviewer, django_capture_on_commit_callbacks
):
    event.badge_collection_info = "Badge desk, Palais des congrès, hall B, from 8:00."
    event.save()
    req = make_request(event, language="fr")
    opening = event.sessions.get(kind="opening")
    req.sessions_requested.add(opening)
    with django_capture_on_commit_callbacks(execute=True):
        review.request_approve(request=req, actor=reviewer)
    req.refresh_from_db()
    granted = [s.display_title("fr") for s in req.sessions_granted.all()]
    assert granted
    approval = next(m for m in mail.outbox if m.to == [req.email])
    page = client.get(status_path(req), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    from html import unescape

    page = unescape(page)
    for text in (approval.body, page):
        assert all(title in text for title in granted)
        assert "hall B" in text and req.reference in text
    assert 'id="granted"' in page


def test_the_reviewer_who_asked_hears_of_the_answer(
    client, event, reviewer, django_capture_on_commit_callbacks
):
    reviewer.email = "reviewer@example.org"
    reviewer.save()
    req = make_request(event, language="en")
    review.request_ask_info(request=req, actor=reviewer, message="Which outlet sends you?")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(status_path(req), {"action": "answer", "body": "Le Matin."})
    assert response.status_code == 302
    (notice,) = [m for m in mail.outbox if m.to == ["reviewer@example.org"]]
    assert req.reference in notice.subject
    assert f"/admin/accreditation/accreditationrequest/{req.pk}/change/" in notice.body
