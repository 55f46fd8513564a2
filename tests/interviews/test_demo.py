"""The demo, as the issue's "done when" asks: a journalist's request to a delegation is waiting;
the press office forwards it, the delegation's contact proposes two slots through the link, the
journalist confirms one, and both have it in their calendars."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from accreditation.apply import status_path
from accreditation.interviews.models import InterviewRequest, InterviewTarget
from events.demo import seed_ga93

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_a_delegation_its_contact_and_a_waiting_request_once():
    seed_ga93()
    event = seed_ga93().event  # twice: nothing doubles
    assert InterviewTarget.objects.filter(event=event).count() == 2
    (interview,) = InterviewRequest.objects.all()
    assert (interview.status, interview.target.kind) == ("requested", "delegation")
    assert interview.request.status == "approved"


def test_the_demo_goes_from_the_request_to_both_calendars(
    client, press_office, django_capture_on_commit_callbacks
):
    event = seed_ga93().event
    interview = InterviewRequest.objects.get()
    client.force_login(press_office)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:interviews_triage", args=[interview.pk]), {"action": "forward"})
    link = re.search(r"http://testserver(/interviews/contact/\S+)", mail.outbox[-1].body)[1]
    client.logout()
    day = event.starts_on.isoformat()
    data = {"action": "propose", "place": "Centre de presse", "minutes_1": "30"}
    data.update(starts_1=f"{day}T16:00", starts_2=f"{day}T17:00")  # two slots
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(link, data).status_code == 200
    interview.refresh_from_db()
    assert interview.slots.count() == 2
    journalist = interview.request
    token = status_path(journalist).rstrip("/").rsplit("/", 1)[1]
    act = reverse("interviews:act", args=[journalist.reference, token, interview.pk, "confirm"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(act, {"slot": interview.slots.last().pk})
    interview.refresh_from_db()
    assert interview.status == "confirmed"
    with_calendar = sorted(m.to[0] for m in mail.outbox if m.attachments)
    assert with_calendar == sorted([journalist.email, interview.target.contact_email])
