"""Each recipient reads the announcement in their language; a language it was not written in
gets the event's first, marked as such, with everything around it in theirs. It shows on the
journalist's status page too, in the page's language."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from accreditation.apply import status_path
from accreditation.communications.models import Delivery
from tests.communications.helpers import draft, journalist, outbox_to, send

pytestmark = pytest.mark.django_db

TEXTS = dict(
    titles={"fr": "Conférence de presse", "en": "Press conference", "ar": "ندوة صحفية"},
    bodies={
        "fr": "Rendez-vous au Centre de presse.",
        "en": "Meet at the Press centre.",
        "ar": "موعدنا في المركز الصحفي.",
    },
)


def test_each_recipient_reads_it_in_their_language(
    event, press, django_capture_on_commit_callbacks
):
    people = {code: journalist(event, language=code) for code in ("fr", "en", "ar")}
    send(draft(event, actor=press, **TEXTS), press, django_capture_on_commit_callbacks)
    for code, req in people.items():
        (message,) = outbox_to(req.email)
        assert TEXTS["titles"][code] in message.subject
        assert TEXTS["bodies"][code] in message.body
        assert "[" not in message.body.split("\n", 1)[0]  # no fallback note
    assert "Votre demande et votre badge" in outbox_to(people["fr"].email)[0].body


def test_a_missing_language_falls_back_to_the_events_first_marked_in_the_readers(
    event, press, django_capture_on_commit_callbacks
):
    assert event.languages[0] == "fr"
    spanish = journalist(event, language="es")
    send(draft(event, actor=press, **TEXTS), press, django_capture_on_commit_callbacks)
    (message,) = mail.outbox
    assert "Conférence de presse" in message.subject
    assert "Rendez-vous au Centre de presse." in message.body
    # The note and the rest are in Spanish, the reader's language.
    assert message.body.startswith("[Este anuncio no se redactó en su idioma")
    assert "Francés" in message.body.split("\n", 1)[0]
    delivery = Delivery.objects.get(request=spanish)
    assert (delivery.language, delivery.fallback) == ("fr", True)


def test_the_status_page_shows_it_in_the_journalists_language(
    client, event, press, django_capture_on_commit_callbacks
):
    arabic = journalist(event, language="ar")
    spanish = journalist(event, language="es")
    send(draft(event, actor=press, **TEXTS), press, django_capture_on_commit_callbacks)

    page = client.get(status_path(arabic)).content.decode()
    assert 'id="announcements"' in page
    assert "ندوة صحفية" in page and "موعدنا في المركز الصحفي." in page
    assert "Conférence de presse" not in page

    client.cookies.clear()
    page = client.get(status_path(spanish)).content.decode()
    assert "Conférence de presse" in page and "Rendez-vous au Centre de presse." in page
    assert "Este anuncio no se redactó en su idioma" in page


def test_the_status_page_follows_the_language_the_journalist_picks(
    client, event, press, django_capture_on_commit_callbacks
):
    arabic = journalist(event, language="ar")
    send(draft(event, actor=press, **TEXTS), press, django_capture_on_commit_callbacks)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(status_path(arabic)).content.decode()
    assert "Press conference" in page and "ندوة صحفية" not in page


def test_a_draft_is_not_on_the_status_page(client, event, press):
    req = journalist(event, language="fr")
    draft(event, actor=press, **TEXTS)
    assert 'id="announcements"' not in client.get(status_path(req)).content.decode()
