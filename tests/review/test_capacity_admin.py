"""A supervisor raises a session's media capacity on its admin page: the waiting line moves at
once (the first in line gets the new place, their badge and an e-mail)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accreditation import review
from accreditation.models import WaitingPlace
from tests.events.test_admin_timezones import session_data
from tests.factories import make_request

pytestmark = pytest.mark.django_db


def local(value, event) -> tuple[str, str]:
    """A time as the page's two inputs show it (date, time), empty when it is not set."""
    if value is None:
        return "", ""
    moment = timezone.localtime(value, event.tz)
    return moment.date().isoformat(), moment.strftime("%H:%M")


def test_raising_the_capacity_on_the_sessions_page_offers_the_place_at_once(
    client, event, reviewer, supervisor, django_capture_on_commit_callbacks
):
    opening = event.sessions.get(kind="opening")
    opening.media_capacity = 1
    opening.save()
    first, waiting = make_request(event, language="en"), make_request(event, language="en")
    for req in (first, waiting):
        req.sessions_requested.add(opening)
        review.request_approve(request=req, actor=reviewer)
    assert WaitingPlace.objects.get().request == waiting
    mail.outbox.clear()
    client.force_login(supervisor)
    starts, ends = local(opening.starts_at, event), local(opening.ends_at, event)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            reverse("admin:events_session_change", args=[opening.pk]),
            session_data(
                opening,
                starts_at_0=starts[0],
                starts_at_1=starts[1],
                ends_at_0=ends[0],
                ends_at_1=ends[1],
                location=opening.location,
                media_capacity="2",
            ),
        )
    assert answer.status_code == 302, answer.context["adminform"].form.errors
    opening.refresh_from_db()
    assert opening.media_capacity == 2
    assert opening in waiting.sessions_granted.all()
    assert not WaitingPlace.objects.exists()
    assert [m.to for m in mail.outbox if "A place became free" in m.subject] == [[waiting.email]]
