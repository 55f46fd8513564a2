"""Two days before the event, from 09:00 where it takes place, approved people who have not
collected their badge are told once where and when the desk is open, in their language."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.core import mail
from django.utils import formats, timezone, translation

from accreditation.communications.services import announcements_unsubscribe
from accreditation.models import AuditEntry
from accreditation.notify.reminders import all_reminders_send
from tests.communications.helpers import journalist
from tests.factories import make_event

pytestmark = pytest.mark.django_db

MINUTE = dt.timedelta(minutes=1)
DESK = {
    "fr": "Bureau des badges : centre de presse, porte 2, de 8 h à 18 h dès le 22.",
    "ar": "مكتب الشارات: المركز الصحفي، البوابة 2، من 8 إلى 18.",
}
DESK_DEFAULT = "Badge desk: Press centre, gate 2, 8:00 to 18:00 from the 22nd."


def run(at, capture) -> int:
    with time_machine.travel(at, tick=False), capture(execute=True):
        return all_reminders_send()["collection"]


def to(req):
    return [m for m in mail.outbox if m.to == [req.email]]


def nine_in_the_morning(event, days_before: int = 2) -> dt.datetime:
    """09:00 on the event's clock, ``days_before`` its first day."""
    day = event.starts_on - dt.timedelta(days=days_before)
    return dt.datetime.combine(day, dt.time(9), tzinfo=zoneinfo.ZoneInfo(event.time_zone))


def test_approved_people_who_have_not_collected_their_badge_are_told_once_where_to_collect_it(
    django_capture_on_commit_callbacks,
):
    event = make_event(badge_collection_info=DESK_DEFAULT, badge_collection_infos=DESK)
    at = nine_in_the_morning(event)
    opening = event.sessions.get(kind="opening")
    before = at - dt.timedelta(days=5)
    approved = journalist(event, language="fr", decided_at=before, sessions=[opening])
    issued = journalist(event, status="badge_issued", language="ar", decided_at=before)
    printed = journalist(event, status="printed", language="es", decided_at=before)
    unsubscribed = journalist(event, language="en", decided_at=before)
    # Operational, not an announcement: unsubscribing from those does not stop it.
    announcements_unsubscribe(request=unsubscribed)
    for status in ("collected", "revoked", "withdrawn", "rejected", "in_review"):
        journalist(event, status=status, decided_at=before)
    # Approved after the reminder's time: the approval e-mail, just sent, says it all.
    approved_late = journalist(event, decided_at=at + dt.timedelta(minutes=30))
    mail.outbox.clear()

    assert run(at - MINUTE, django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []

    assert run(at + MINUTE, django_capture_on_commit_callbacks) == 4
    assert len(mail.outbox) == 4
    (french,) = to(approved)
    assert DESK["fr"] in french.body
    assert approved.reference in french.body
    assert "Cérémonie d'ouverture" in french.body  # the sessions granted, in French
    with translation.override("fr"):
        assert formats.date_format(event.starts_on, "DATE_FORMAT") in french.body
    (arabic,) = to(issued)
    assert DESK["ar"] in arabic.body
    (spanish,) = to(printed)
    assert DESK_DEFAULT in spanish.body  # not written in Spanish: the default text
    assert len(to(unsubscribed)) == 1
    assert to(approved_late) == []
    assert AuditEntry.objects.filter(action="request.reminded_collection").count() == 4

    # The hourly job runs on until the event ends: nobody is told twice.
    for hours in (1, 24, 60):
        assert run(at + dt.timedelta(hours=hours), django_capture_on_commit_callbacks) == 0
    assert len(mail.outbox) == 4


def test_the_time_is_the_event_s_own(django_capture_on_commit_callbacks):
    # Auckland is 12 or 13 hours ahead of UTC: 09:00 there is the evening before in UTC.
    event = make_event(slug="nz", time_zone="Pacific/Auckland")
    at = nine_in_the_morning(event)
    assert at.astimezone(dt.UTC).date() == at.date() - dt.timedelta(days=1)
    req = journalist(event, decided_at=at - dt.timedelta(days=3))
    mail.outbox.clear()

    assert run(at - MINUTE, django_capture_on_commit_callbacks) == 0
    assert run(at + MINUTE, django_capture_on_commit_callbacks) == 1
    (reminder,) = to(req)
    assert req.reference in reminder.subject


def test_nothing_once_the_event_is_over(django_capture_on_commit_callbacks):
    event = make_event()
    journalist(event, decided_at=timezone.now())
    end = dt.datetime.combine(event.ends_on, dt.time.max, tzinfo=zoneinfo.ZoneInfo(event.time_zone))
    mail.outbox.clear()

    assert run(end + MINUTE, django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []
