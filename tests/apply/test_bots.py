"""Bot defences: a form sent within seconds of being shown, or without the token the page
gave it, is refused with a message (everything typed kept); a person, seconds later, passes."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
import time_machine
from django.urls import reverse

from accreditation.models import AccreditationRequest
from tests.factories import application_data, application_files

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def minimum(settings):
    settings.PRESSPASS_MIN_FILL_SECONDS = 3


def shown_token(html: str) -> str:
    return re.search(r'name="started" value="([^"]+)"', html).group(1)


def test_a_form_sent_at_once_is_refused_and_a_person_seconds_later_passes(client, event, caplog):
    url = reverse("accreditation:apply", args=[event.slug])
    start = dt.datetime.now(dt.UTC)
    with time_machine.travel(start, tick=False):
        token = shown_token(client.get(url).content.decode())
        with caplog.at_level(logging.WARNING, logger="presspass.security"):
            fast = client.post(
                url, {**application_data(event), **application_files(), "started": token}
            )
    assert fast.status_code == 400
    assert "very fast" in " ".join(
        fast.context["form"].non_field_errors() + fast.context["form"].errors.get("started", [])
    )
    assert 'value="El Idrissi"' in fast.content.decode()  # nothing typed is lost
    assert any(getattr(r, "event", "") == "bot.too_fast" for r in caplog.records)
    with time_machine.travel(start + dt.timedelta(seconds=20), tick=False):
        later = client.post(url, {**application_data(event), "started": token})
    assert later.status_code == 302 and AccreditationRequest.objects.count() == 1


def test_a_form_without_our_token_is_refused_and_the_page_gives_a_new_one(client, event):
    url = reverse("accreditation:apply", args=[event.slug])
    start = dt.datetime.now(dt.UTC)
    with time_machine.travel(start, tick=False):
        robot = client.post(url, {**application_data(event), **application_files()})
    assert robot.status_code == 400
    fresh = shown_token(robot.content.decode())
    with time_machine.travel(start + dt.timedelta(seconds=10), tick=False):
        person = client.post(url, {**application_data(event), "started": fresh})
    assert person.status_code == 302
