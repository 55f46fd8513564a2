"""E-mails are plain text: names and outlets with apostrophes, ampersands or angle brackets
reach subjects and bodies as typed, never HTML-escaped."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import application_data, application_files

pytestmark = pytest.mark.django_db


def test_subjects_and_bodies_carry_names_as_typed(
    client, event, django_capture_on_commit_callbacks
):
    data = application_data(event, family_names="O'Brien", outlet_name="Smith & Sons <Press>")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accreditation:apply", args=[event.slug]), {**data, **application_files()}
        )
    assert response.status_code == 302
    sent = {m.to[0]: m for m in mail.outbox}
    notice = sent[event.contact_email]
    assert "O'BRIEN" in notice.subject and "Smith & Sons <Press>" in notice.subject
    confirmation = sent["amina@example.com"]
    assert "O'BRIEN" in confirmation.body
    for message in mail.outbox:
        for text in (message.subject, message.body):
            assert "&#x27;" not in text and "&amp;" not in text and "&lt;" not in text


def test_the_contact_address_gets_its_notices_in_the_language_chosen_for_it(
    client, event, django_capture_on_commit_callbacks
):
    """It was always the event's first language (French here), whoever reads that mailbox."""
    assert event.staff_language == "fr"
    event.contact_language = "en"
    event.save()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("accreditation:apply", args=[event.slug]),
            {**application_data(event), **application_files()},
            HTTP_ACCEPT_LANGUAGE="ar",
        )
    notice = next(m for m in mail.outbox if m.to == [event.contact_email])
    assert notice.subject.startswith("New accreditation request")
