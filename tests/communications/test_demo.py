"""The demo: a press office login, and a draft for the press conference that Presspass rewrites
with the time and place once staff set them; sent to everyone granted the conference, with its
calendar entry."""

from __future__ import annotations

import icalendar
import pytest
from django.core import mail
from django.urls import reverse

from accreditation.communications.models import Announcement
from tests.communications.helpers import journalists
from tests.events.test_admin_timezones import session_data
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_the_press_office_announces_the_press_conferences_time(
    client, django_capture_on_commit_callbacks
):
    from accreditation.roles import sync_roles
    from events.demo import seed_ga93, seed_role_logins

    sync_roles()
    event = seed_ga93().event
    seed_ga93()  # run twice, as the demo may be: still one draft
    line = seed_role_logins(password="demo password 123", site_url="http://localhost:8000")
    assert "press (http://localhost:8000/admin/communications/announcement/" in line
    conference = event.sessions.get(kind="press_conference")
    (announcement,) = Announcement.objects.filter(session=conference)
    assert announcement.state == "draft" and set(announcement.titles) == set(event.languages)
    granted = journalists(event, 3, sessions=[conference], language="ar")

    staff = make_user("chief", "Supervisor")
    client.force_login(staff)
    day = event.ends_on.isoformat()
    client.post(
        reverse("admin:events_session_change", args=[conference.pk]),
        session_data(conference, starts_at_0=day, starts_at_1="15:00", location="Press centre"),
    )
    (announcement,) = Announcement.objects.filter(session=conference)
    assert "15:00" in announcement.bodies["fr"]

    client.logout()
    credentials = {"username": "press", "password": "demo password 123"}
    assert client.post(reverse("admin:login"), credentials).status_code == 302
    change = reverse("admin:communications_announcement_change", args=[announcement.pk])
    assert client.get(change).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:communications_announcement_send", args=[announcement.pk]))
    received = {m.to[0] for m in mail.outbox}
    assert {r.email for r in granted} <= received  # with the demo's own journalists granted it
    assert received == set(
        conference.granted_requests.filter(status="approved").values_list("email", flat=True)
    )
    (ics,) = [a[1] for a in mail.outbox[0].attachments if a[0] == "session.ics"]
    entry = icalendar.Calendar.from_ical(ics).events[0]
    assert entry["DTSTART"].params["TZID"] == "Africa/Casablanca"
    assert entry.decoded("DTSTART").hour == 15
    deliveries = client.get(
        reverse("admin:communications_announcement_deliveries", args=[announcement.pk])
    ).text
    assert all(r.reference in deliveries for r in granted)
