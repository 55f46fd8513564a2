"""The whole way, as the issue's "done when" tells it: a journalist asks for an interview with a
delegation, the press office forwards it, the contact proposes two slots through their link,
the journalist confirms one, and both have it in their calendars."""

from __future__ import annotations

import re

import icalendar
import pytest
from django.core import mail
from django.urls import reverse

from accreditation.apply import status_path
from accreditation.interviews.models import InterviewRequest
from accreditation.models import AuditEntry
from tests.interviews.helpers import at, slot

pytestmark = pytest.mark.django_db


def calendar_of(message) -> icalendar.Calendar:
    (attachment,) = [a for a in message.attachments if a[0].endswith(".ics")]
    name, content, mimetype = attachment
    assert mimetype.startswith("text/calendar")
    return icalendar.Calendar.from_ical(content)


def test_a_journalist_asks_the_contact_proposes_two_slots_and_the_journalist_confirms_one(
    client, event, amina, target, press_office, django_capture_on_commit_callbacks
):
    # The journalist asks from their status page.
    page = client.get(status_path(amina)).content.decode()
    assert 'id="interview-ask"' in page
    ask_url = reverse("interviews:ask", args=[amina.reference, status_path(amina).split("/")[3]])
    answer = client.post(
        ask_url,
        {
            "target": target.pk,
            "topic": "Cybercrime in Africa",
            "languages": ["fr", "ar"],
            "format": "camera",
            "preferred_times": [f"{event.starts_on.isoformat()}/am"],
        },
    )
    assert answer.status_code == 302, answer.content.decode()
    interview = InterviewRequest.objects.get()
    assert (interview.status, interview.languages) == ("requested", ["fr", "ar"])

    # The press office forwards it: the contact gets their link, in French.
    client.force_login(press_office)
    triage = reverse("admin:interviews_triage", args=[interview.pk])
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(triage, {"action": "forward", "forward-note": "Un entretien court."})
    assert answer.status_code == 302
    (forwarded,) = mail.outbox
    assert forwarded.to == [target.contact_email]
    assert "Un entretien court." in forwarded.body
    assert forwarded.body.startswith("Bonjour Nadia Contact,")
    assert "Un journaliste accrédité demande un entretien avec Délégation : Maroc" in forwarded.body
    link = re.search(r"http://testserver(/interviews/contact/\S+)", forwarded.body).group(1)
    client.logout()

    # The contact proposes two slots and a place.
    assert client.get(link).status_code == 200
    first, second = slot(event, 1, 10), slot(event, 1, 15)
    local = "%Y-%m-%dT%H:%M"
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            link,
            {
                "action": "propose",
                "starts_1": first[0].strftime(local),
                "minutes_1": "30",
                "starts_2": second[0].strftime(local),
                "minutes_2": "45",
                "minutes_3": "30",
                "place": "Press centre, room 2",
            },
        )
    assert answer.status_code == 200, answer.content.decode()
    interview.refresh_from_db()
    assert interview.status == "proposed"
    assert [(s.starts_at, s.ends_at) for s in interview.slots.all()] == [
        first,
        (second[0], at(event, 1, 15, 45)),
    ]
    told = mail.outbox[-1]
    assert told.to == [amina.email] and status_path(amina) in told.body

    # The journalist confirms the second; both get it with its calendar entry.
    chosen = interview.slots.last()
    act = reverse(
        "interviews:act",
        args=[amina.reference, status_path(amina).split("/")[3], interview.pk, "confirm"],
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(act, {"slot": chosen.pk})
    assert answer.status_code == 302
    interview.refresh_from_db()
    assert (interview.status, interview.starts_at, interview.place) == (
        "confirmed",
        chosen.starts_at,
        "Press centre, room 2",
    )
    assert sorted(m.to[0] for m in mail.outbox) == sorted([amina.email, target.contact_email])
    uids = set()
    for message in mail.outbox:
        (entry,) = calendar_of(message).walk("VEVENT")
        assert entry["DTSTART"].params["TZID"] == "Africa/Casablanca"
        assert entry.decoded("DTSTART") == chosen.starts_at
        assert str(entry["LOCATION"]) == "Press centre, room 2"
        uids.add(str(entry["UID"]))
    assert len(uids) == 1
    # Every step is in the audit log.
    actions = list(
        AuditEntry.objects.filter(data__interview=interview.pk).values_list("action", flat=True)
    )
    assert actions == [
        "interview.requested",
        "interview.forwarded",
        "interview.proposed",
        "interview.confirmed",
    ]
    page = client.get(status_path(amina)).content.decode()
    assert "Press centre, room 2" in page
