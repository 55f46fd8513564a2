"""Supervisors see, per checkpoint and day, which session the gate applies at each hour and
what it answers media (drawn by the gate's own checkpoint_timeline), and the admin warns about
sessions without an end, overlapping sessions, and open sessions covering a closed one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from accreditation import gate
from events.models import Checkpoint, Session
from tests.factories import CASABLANCA, make_event

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 12, 15)  # Marrakech at UTC+01:00


def local(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=CASABLANCA)


@pytest.fixture
def event(db):
    """The demo's first day: an open opening ceremony 10:00–12:30, then the plenary closed to
    media 14:00–18:00, at one entrance; doors open 30 minutes before."""
    event = make_event(
        slug="ga-timeline", starts_on=DAY, ends_on=DAY + dt.timedelta(days=3), doors_open_minutes=30
    )
    event.sessions.filter(kind="opening").update(starts_at=local(10), ends_at=local(12, 30))
    event.sessions.filter(kind="plenary").update(starts_at=local(14), ends_at=local(18))
    return event


@pytest.fixture
def main_hall(event):
    checkpoint = Checkpoint.objects.create(event=event, name="Main hall")
    checkpoint.sessions.set(event.sessions.filter(kind__in=["opening", "plenary"]))
    return checkpoint


def timeline_url(checkpoint) -> str:
    return reverse("admin:events_checkpoint_timeline", args=[checkpoint.pk])


def messages_of(answer) -> list[str]:
    return [str(m) for m in answer.context["messages"]]


def covering(rows, starts: str, ends: str):
    """The row of the page's table that covers [starts, ends) (local times)."""
    found = [r for r in rows if r.starts <= starts and ends <= r.ends]
    assert len(found) == 1, [(r.starts, r.ends, r.title) for r in rows]
    return found[0]


def test_the_timeline_shows_the_plenary_closed_to_media_and_the_opening_admitting(
    client, main_hall, supervisor
):
    client.force_login(supervisor)
    answer = client.get(timeline_url(main_hall), {"day": "2025-12-15"})
    assert answer.status_code == 200
    rows = answer.context["rows"]

    opening = covering(rows, "09:30", "12:30")  # doors 30 minutes before 10:00
    assert (opening.starts, opening.ends) == ("09:30", "12:30")
    assert opening.title == "Opening ceremony" and opening.admits
    plenary = covering(rows, "13:30", "18:00")
    assert plenary.title == "Plenary" and not plenary.admits
    assert plenary.reason == "This session is closed to media."
    before = covering(rows, "00:00", "09:30")
    assert not before.admits and before.reason == "Doors are not open yet for this session."
    assert (rows[0].starts, rows[-1].ends) == ("00:00", "24:00")

    # The page is the gate's own timeline, read in local time.
    segments = gate.checkpoint_timeline(
        gate.checkpoint_windows(main_hall), day=DAY, tz=main_hall.event.tz
    )
    assert [(r.admits, r.title) for r in rows] == [
        (s.admits_media, s.session.title if s.session else "No session") for s in segments
    ]
    # The strip is the day in minutes, each segment as wide as it lasts.
    assert (
        sum(r.minutes for r in rows) == 24 * 60 == sum(h.minutes for h in answer.context["hours"])
    )
    assert covering(rows, "09:30", "12:30").minutes == 180

    page = answer.text
    assert 'colspan="180" class="pp-tl-ok"' in page
    assert "This session is closed to media." in page and "Africa/Casablanca" in page
    assert "style=" not in page.split('id="content-main"')[1]  # the CSP allows no inline style


def test_the_timeline_offers_the_days_with_sessions_and_starts_on_the_first(
    client, event, main_hall, supervisor
):
    Session.objects.create(
        event=event,
        kind="press_conference",
        title="Press conference",
        starts_at=local(11, day=DAY + dt.timedelta(days=1)),
        ends_at=local(12, day=DAY + dt.timedelta(days=1)),
        media_access="on_request",
    )
    main_hall.sessions.add(event.sessions.get(kind="press_conference"))
    client.force_login(supervisor)
    answer = client.get(timeline_url(main_hall))  # the event is over: its first session day
    assert answer.context["day"] == DAY
    assert [d for d, _label in answer.context["days"]] == [DAY, DAY + dt.timedelta(days=1)]
    assert "?day=2025-12-16" in answer.text
    second = client.get(timeline_url(main_hall), {"day": "2025-12-16"})
    conference = covering(second.context["rows"], "10:30", "12:00")
    assert conference.title == "Press conference" and conference.admits
    # Not a date: the default day.
    assert client.get(timeline_url(main_hall), {"day": "soon"}).context["day"] == DAY


def test_the_timeline_is_linked_from_the_checkpoints_list_and_page(client, main_hall, supervisor):
    client.force_login(supervisor)
    url = timeline_url(main_hall)
    assert url in client.get(reverse("admin:events_checkpoint_changelist")).text
    assert url in client.get(reverse("admin:events_checkpoint_change", args=[main_hall.pk])).text


def test_only_staff_who_may_view_checkpoints_see_the_timeline(client, main_hall, reviewer):
    url = timeline_url(main_hall)
    assert client.get(url).status_code == 302  # to the sign-in page
    client.force_login(reviewer)
    assert client.get(url).status_code == 403
    assert client.get(reverse("admin:events_checkpoint_timeline", args=[999])).status_code == 404


def test_a_session_without_an_end_is_warned_about_on_the_checkpoint_page(
    client, event, main_hall, supervisor
):
    event.sessions.filter(kind="opening").update(ends_at=None)
    client.force_login(supervisor)
    page = client.get(reverse("admin:events_checkpoint_change", args=[main_hall.pk]))
    warnings = messages_of(page)
    assert len(warnings) == 1
    # An open session without an end admits 120 minutes after its start (the event's default).
    assert warnings[0] == (
        "Main hall: Opening ceremony has no announced end: the gate admits until "
        "Mon 15 Dec 12:00 (Africa/Casablanca)."
    )
    assert warnings[0].replace("'", "&#x27;") in page.text
    # A warning does not block a save; it is said again after it.
    answer = client.post(
        reverse("admin:events_checkpoint_change", args=[main_hall.pk]),
        {
            "event": event.pk,
            "name": "Main hall",
            "sessions": list(main_hall.sessions.values_list("pk", flat=True)),
        },
        follow=True,
    )
    assert answer.redirect_chain[-1][0] == reverse("admin:events_checkpoint_changelist")
    assert any("has no announced end" in m for m in messages_of(answer))


def test_an_open_session_covering_a_closed_one_is_warned_about_on_the_event_page(
    client, event, main_hall, supervisor
):
    event.sessions.filter(kind="opening").update(ends_at=local(15))
    client.force_login(supervisor)
    page = client.get(reverse("admin:events_event_change", args=[event.pk]))
    assert messages_of(page) == [
        "Main hall: The window of Opening ceremony covers the closed Plenary: media are denied "
        "from Mon 15 Dec 13:30 to Mon 15 Dec 15:00 (Africa/Casablanca)."
    ]
    timeline = client.get(timeline_url(main_hall), {"day": "2025-12-15"})
    assert not covering(timeline.context["rows"], "13:30", "15:00").admits


def test_overlapping_sessions_are_warned_about_after_saving_the_events_sessions(
    client, event, main_hall, supervisor
):
    """The supervisor moves the plenary into the opening ceremony's hours and makes it open:
    the save goes through and the event's page says the two overlap at the main hall."""
    from tests.events.test_admin_timezones import FormValues

    plenary = event.sessions.get(kind="plenary")
    client.force_login(supervisor)
    url = reverse("admin:events_event_change", args=[event.pk])
    page = client.get(url)
    assert messages_of(page) == []
    values = FormValues.of(page.text, "event_form")
    row = next(
        i
        for i in range(int(values["sessions-TOTAL_FORMS"]))
        if values[f"sessions-{i}-id"] == str(plenary.pk)
    )
    values[f"sessions-{row}-starts_at_1"] = "12:00"
    values[f"sessions-{row}-media_access"] = "open"
    answer = client.post(url, values, follow=True)
    assert answer.redirect_chain[-1][0] == reverse("admin:events_event_changelist")
    plenary.refresh_from_db()
    assert plenary.starts_at == local(12) and plenary.media_access == "open"
    assert (
        "Main hall: Opening ceremony and Plenary overlap at this checkpoint from Mon 15 Dec "
        "11:30 to Mon 15 Dec 12:30 (Africa/Casablanca)."
    ) in messages_of(answer)
