"""Each page in its reader's language: the status page in the language the journalist applied
in (until they choose another), Arabic with left-to-right values kept in order, one date
format per language."""

from __future__ import annotations

from html import unescape

import pytest
from django.conf import settings
from django.urls import reverse

from accreditation.apply import status_path
from tests.factories import make_request

pytestmark = pytest.mark.django_db


def test_the_status_page_speaks_the_requests_language_until_another_is_chosen(client, event):
    req = make_request(event, language="ar")
    page = client.get(status_path(req), HTTP_ACCEPT_LANGUAGE="fr")
    assert '<html lang="ar" dir="rtl">' in page.content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": status_path(req)})
    assert settings.LANGUAGE_COOKIE_NAME in client.cookies
    chosen = client.get(status_path(req), HTTP_ACCEPT_LANGUAGE="fr")
    assert '<html lang="en" dir="ltr">' in chosen.content.decode()


def test_in_arabic_left_to_right_values_are_isolated_and_dates_share_one_format(client, event):
    html = unescape(
        client.get(
            reverse("accreditation:apply", args=[event.slug]), HTTP_ACCEPT_LANGUAGE="ar"
        ).content.decode()
    )
    import re

    phone = re.search(r'<input[^>]*name="phone"[^>]*>', html).group(0)
    assert 'dir="ltr"' in phone
    email = re.search(r'<input[^>]*name="email"[^>]*>', html).group(0)
    assert 'dir="ltr"' in email
    header = re.search(r'<p[^>]*id="event-place-dates"[^>]*>(.*?)</p>', html, re.S).group(1)
    assert header.count("<bdi>") == 3  # the place, and each date, isolated
    # The deadline sentence writes its date as the header does (Arabic month, Arabic comma),
    # not in the English "Nov. 25, 2025" style.
    deadline = re.search(r"<p>(.*?)</p>", html.split("event-place-dates")[1], re.S).group(1)
    assert "،" in deadline and "a.m." not in deadline and "p.m." not in deadline
