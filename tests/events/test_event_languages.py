"""The event's own words in each reader's language: its name and venue on the public pages and
in e-mails, session titles, entered by staff one box per language (no JSON to type)."""

from __future__ import annotations

from html import unescape

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import application_data, application_files, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def translated(event):
    event.names = {"fr": "Assemblée générale", "es": "Asamblea General", "ar": "الجمعية العامة"}
    event.venues = {"fr": "Palais des congrès", "ar": "قصر المؤتمرات"}
    event.save()
    return event


@pytest.mark.parametrize(
    ("language", "name", "venue"),
    [
        ("fr", "Assemblée générale", "Palais des congrès"),
        ("es", "Asamblea General", None),  # no Spanish venue given: the default one
        ("ar", "الجمعية العامة", "قصر المؤتمرات"),
        ("en", "General Assembly", None),
    ],
)
def test_the_form_shows_the_events_name_and_venue_in_the_readers_language(
    client, translated, language, name, venue
):
    html = unescape(
        client.get(
            reverse("accreditation:apply", args=[translated.slug]), HTTP_ACCEPT_LANGUAGE=language
        ).content.decode()
    )
    assert f'<h1 class="h3">{name}</h1>' in html
    assert (venue or translated.venue) in html


def test_each_recipient_reads_the_events_name_in_their_language(
    client, translated, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("accreditation:apply", args=[translated.slug]),
            {**application_data(translated), **application_files()},
            HTTP_ACCEPT_LANGUAGE="ar",
        )
    confirmation = next(m for m in mail.outbox if m.to == ["amina@example.com"])
    assert "الجمعية العامة" in confirmation.subject and "الجمعية العامة" in confirmation.body


def test_staff_give_the_names_and_session_titles_one_box_per_language(client, event):
    from django.conf import settings

    client.force_login(make_user("root", "Supervisor", is_superuser=True))
    page = client.get(reverse("admin:events_event_change", args=[event.pk])).content.decode()
    assert 'name="names_3"' in page and 'lang="ar"' in page and 'dir="rtl"' in page
    assert 'name="titles"' not in page  # no JSON box any more
    codes = [code for code, _name in settings.LANGUAGES]
    typed = {"fr": "  Cérémonie   d'ouverture ", "ar": "حفل الافتتاح"}
    data = {"event": event.pk, "kind": "press_conference", "title": "Press conference"}
    data.update(media_access="on_request", colour="#1B7F3B", location="")
    data.update({f"titles_{i}": typed.get(code, "") for i, code in enumerate(codes)})
    answer = client.post(reverse("admin:events_session_add"), data)
    assert answer.status_code == 302, answer.context["adminform"].form.errors
    session = event.sessions.get(kind="press_conference")
    assert session.titles == {"fr": "Cérémonie d'ouverture", "ar": "حفل الافتتاح"}
    assert session.display_title("ar") == "حفل الافتتاح"
    assert session.display_title("es") == "Press conference"  # none given: the default


def test_where_to_collect_the_badge_is_told_in_the_journalists_language(
    event, reviewer, django_capture_on_commit_callbacks
):
    from accreditation import review
    from tests.factories import make_request

    event.badge_collection_info = "Badge desk, hall B, from 8:00."
    event.badge_collection_infos = {"ar": "مكتب الشارات، القاعة ب، ابتداءً من الساعة 8:00."}
    event.save()
    arabic = make_request(event, language="ar")
    spanish = make_request(event, language="es")
    with django_capture_on_commit_callbacks(execute=True):
        review.request_approve(request=arabic, actor=reviewer)
        review.request_approve(request=spanish, actor=reviewer)
    by_address = {m.to[0]: m.body for m in mail.outbox}
    assert "مكتب الشارات" in by_address[arabic.email]
    assert "hall B" in by_address[spanish.email]  # none given in Spanish: the default text
