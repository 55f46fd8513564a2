"""A journalist's status link: never kept by a browser or a proxy, dead once the event's
retention period is over, and revocable by staff (who send a new one)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from accreditation import apply
from accreditation.models import AuditEntry
from tests.factories import make_request

pytestmark = pytest.mark.django_db


def test_the_status_page_is_never_stored(client, event):
    response = client.get(apply.status_path(make_request(event)))
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    assert "private" in response.headers["Cache-Control"]


def test_a_status_link_dies_with_the_events_retention_period(client, event):
    req = make_request(event)
    path = apply.status_path(req)
    last_day = dt.datetime.combine(event.personal_data_until, dt.time(12), tzinfo=event.tz)
    with time_machine.travel(last_day, tick=False):
        assert client.get(path).status_code == 200
    with time_machine.travel(last_day + dt.timedelta(days=1), tick=False):
        assert client.get(path).status_code == 404


def test_staff_revoke_a_leaked_link_and_the_journalist_gets_a_new_one(
    client, event, reviewer, django_capture_on_commit_callbacks
):
    req = make_request(event)
    old = apply.status_path(req)
    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:accreditation_accreditationrequest_changelist"),
            {"action": "renew_links", "_selected_action": [req.pk]},
        )
    assert response.status_code == 302
    client.logout()
    assert client.get(old).status_code == 404  # whoever had the old link has nothing now
    (email,) = mail.outbox
    assert email.to == [req.email]
    new = re.search(r"https?://\S+/status/\S+/", email.body).group(0)
    assert new.split("/status/", 1)[1] != old.split("/status/", 1)[1]
    assert client.get("/status/" + new.split("/status/", 1)[1]).status_code == 200
    assert AuditEntry.objects.filter(
        action="request.link_renewed", request=req, actor=reviewer
    ).exists()
