"""Session and event times in the admin are the local time at the venue, labelled with its
zone: what a supervisor types is what the gate applies there (the database keeps UTC)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from events.models import Event, Session
from tests.factories import CASABLANCA, make_event

pytestmark = pytest.mark.django_db

UTC = dt.UTC
DAY = dt.date(2025, 12, 15)  # a Monday; Morocco is at UTC+01:00 (outside Ramadan)


class FormValues(HTMLParser):
    """What a browser posts for one form of a page, as it was rendered (the fields' values)."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id, self.inside, self.data = form_id, False, {}
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.data.setdefault(name, []).append(a.get("value", "on"))
            else:
                self.data[name] = [a.get("value") or ""]
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select].append(a.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = [""]

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][0] += data.removeprefix("\n")

    @classmethod
    def of(cls, html: str, form_id: str) -> dict:
        parser = cls(form_id)
        parser.feed(html)
        return {k: v if len(v) != 1 else v[0] for k, v in parser.data.items()}


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.fixture
def event(db):
    assert dt.datetime.combine(DAY, dt.time(12), tzinfo=CASABLANCA).utcoffset() == dt.timedelta(
        hours=1
    )
    return make_event(slug="ga-tz", starts_on=DAY, ends_on=DAY + dt.timedelta(days=3))


def session_data(session: Session, **overrides) -> dict:
    data = {
        "kind": session.kind,
        "title": session.title,
        "starts_at_0": "",
        "starts_at_1": "",
        "ends_at_0": "",
        "ends_at_1": "",
        "location": "",
        "media_access": session.media_access,
        "colour": session.colour,
    }
    data.update(overrides)
    return data


def test_a_supervisor_types_the_local_time_and_the_gate_gets_the_instant(client, event, supervisor):
    opening = event.sessions.get(kind="opening")
    client.force_login(supervisor)
    url = reverse("admin:events_session_change", args=[opening.pk])
    answer = client.post(
        url,
        session_data(
            opening,
            starts_at_0="2025-12-15",
            starts_at_1="09:30",
            ends_at_0="2025-12-15",
            ends_at_1="12:00",
        ),
    )
    assert answer.status_code == 302, answer.context["adminform"].form.errors
    opening.refresh_from_db()
    assert opening.starts_at == utc(2025, 12, 15, 8, 30)
    assert opening.ends_at == utc(2025, 12, 15, 11, 0)

    page = client.get(url).text
    values = FormValues.of(page, "session_form")
    assert values["starts_at_0"] == "2025-12-15" and values["starts_at_1"].startswith("09:30")
    assert values["ends_at_1"].startswith("12:00")
    assert "Starts (Africa/Casablanca)" in page and "Ends (Africa/Casablanca)" in page
    assert "Local time at the venue (Africa/Casablanca, UTC+01:00)" in page
    # The page's clock is the venue's: Django's "Now" shortcut and its note use this offset.
    assert 'data-admin-utc-offset="3600"' in page

    listing = client.get(reverse("admin:events_session_changelist")).text
    assert "09:30 (Africa/Casablanca)" in listing and "12:00 (Africa/Casablanca)" in listing
    assert "08:30" not in listing


def test_a_new_session_is_read_in_the_zone_of_the_event_chosen_in_the_same_form(
    client, event, supervisor
):
    glasgow = make_event(
        slug="ga92",
        name="92nd General Assembly",
        time_zone="Europe/London",
        starts_on=dt.date(2025, 7, 7),
        ends_on=dt.date(2025, 7, 10),
    )
    client.force_login(supervisor)
    add = reverse("admin:events_session_add")
    for target, expected in ((event, utc(2025, 12, 16, 8, 30)), (glasgow, utc(2025, 7, 8, 8, 30))):
        day = expected.date().isoformat()
        data = {"event": target.pk, "kind": "press_conference", "title": "Press conference"}
        data.update(starts_at_0=day, starts_at_1="09:30", ends_at_0=day, ends_at_1="10:30")
        data.update(media_access="on_request", colour="#1B7F3B", location="")
        answer = client.post(add, data)
        assert answer.status_code == 302, answer.context["adminform"].form.errors
        created = target.sessions.get(kind="press_conference")
        assert created.starts_at == expected  # 09:30 in Marrakech in December, Glasgow in July
        assert created.ends_at == expected + dt.timedelta(hours=1)

    # Asked for an event (?event=), the add page labels the times with its zone.
    page = client.get(add, {"event": glasgow.pk}).text
    assert "Starts (Europe/London)" in page and "UTC+01:00" in page


def test_a_time_that_does_not_exist_at_the_venue_is_refused(client, supervisor):
    london = make_event(
        slug="spring",
        time_zone="Europe/London",
        starts_on=dt.date(2027, 3, 28),
        ends_on=dt.date(2027, 3, 29),
    )
    opening = london.sessions.get(kind="opening")
    before = opening.starts_at
    client.force_login(supervisor)
    answer = client.post(
        reverse("admin:events_session_change", args=[opening.pk]),
        session_data(opening, starts_at_0="2027-03-28", starts_at_1="01:30"),
    )
    assert answer.status_code == 200  # clocks go from 01:00 to 02:00 that night
    assert "starts_at" in answer.context["adminform"].form.errors
    opening.refresh_from_db()
    assert opening.starts_at == before


def test_the_event_page_shows_and_reads_every_time_in_the_events_zone(client, event, supervisor):
    event.accreditation_opens_at = utc(2025, 9, 1, 7, 0)
    event.accreditation_deadline = utc(2025, 11, 30, 22, 59)  # 23:59 in Marrakech
    event.save()
    opening = event.sessions.get(kind="opening")
    plenary = event.sessions.get(kind="plenary")
    before = {s.pk: (s.starts_at, s.ends_at) for s in event.sessions.all()}
    client.force_login(supervisor)
    url = reverse("admin:events_event_change", args=[event.pk])
    page = client.get(url).text
    assert "Accreditation deadline (Africa/Casablanca)" in page
    assert "Starts (Africa/Casablanca)" in page  # the sessions' column
    values = FormValues.of(page, "event_form")
    assert values["accreditation_deadline_1"].startswith("23:59")
    rows = {values[f"sessions-{i}-id"]: i for i in range(int(values["sessions-TOTAL_FORMS"]))}
    row = rows[str(opening.pk)]
    assert values[f"sessions-{row}-starts_at_1"].startswith("10:30")  # as make_event set it

    # Saved as shown, nothing moves (the form reads back what it displayed).
    values.pop("_addanother", None)
    answer = client.post(url, values)
    assert answer.status_code == 302, answer.context and answer.context["errors"]
    event.refresh_from_db()
    assert event.accreditation_deadline == utc(2025, 11, 30, 22, 59)
    assert {s.pk: (s.starts_at, s.ends_at) for s in event.sessions.all()} == before

    # The plenary moved to 09:30 local in the event's page: 08:30 UTC.
    prow = rows[str(plenary.pk)]
    values[f"sessions-{prow}-starts_at_1"] = "09:30"
    answer = client.post(url, values)
    assert answer.status_code == 302, answer.context and answer.context["errors"]
    plenary.refresh_from_db()
    assert plenary.starts_at == utc(2025, 12, 15, 8, 30)

    listing = client.get(reverse("admin:events_event_changelist")).text
    assert "23:59 (Africa/Casablanca)" in listing


def test_changing_the_events_zone_keeps_the_instants_and_says_so(client, event, supervisor):
    opening = event.sessions.get(kind="opening")
    before = opening.starts_at
    client.force_login(supervisor)
    url = reverse("admin:events_event_change", args=[event.pk])
    values = FormValues.of(client.get(url).text, "event_form")
    values["time_zone"] = "Europe/Paris"
    answer = client.post(url, values, follow=True)
    assert [str(m) for m in answer.context["messages"]][0].startswith(
        "The event's time zone is now Europe/Paris"
    )
    opening.refresh_from_db()
    assert opening.starts_at == before
    assert Event.objects.get(pk=event.pk).time_zone == "Europe/Paris"
    page = client.get(url).text
    assert "Starts (Europe/Paris)" in page


def test_staff_who_may_only_view_read_local_times_with_the_zone(client, event, reviewer):
    opening = event.sessions.get(kind="opening")
    client.force_login(reviewer)
    page = client.get(reverse("admin:events_session_change", args=[opening.pk])).text
    assert "10:30 (Africa/Casablanca)" in page
    page = client.get(reverse("admin:events_event_change", args=[event.pk])).text
    assert "10:30 (Africa/Casablanca)" in page  # the sessions, read-only
    local = event.accreditation_deadline.astimezone(zoneinfo.ZoneInfo("Africa/Casablanca"))
    assert f"{local:%H:%M} (Africa/Casablanca)" in page


def test_a_new_events_times_are_read_in_the_zone_chosen_for_it(client, db):
    from tests.factories import make_user

    admin_user = make_user("root", "Supervisor", is_superuser=True)
    client.force_login(admin_user)
    add = reverse("admin:events_event_add")
    page = client.get(add).text
    assert "Accreditation deadline (event&#x27;s time zone)" in page
    values = FormValues.of(page, "event_form")
    values.update(
        name="Regional conference",
        slug="regional",
        venue="Palais des congrès",
        city="Marrakech",
        country="MA",
        time_zone="Africa/Casablanca",
        starts_on="2025-12-15",
        ends_on="2025-12-16",
        accreditation_opens_at_0="2025-09-01",
        accreditation_opens_at_1="00:00",
        accreditation_deadline_0="2025-11-30",
        accreditation_deadline_1="23:59",
        contact_email="press@example.org",
    )
    values.update(
        {
            "sessions-TOTAL_FORMS": "1",
            "sessions-0-kind": "opening",
            "sessions-0-title": "Opening",
            "sessions-0-starts_at_0": "2025-12-15",
            "sessions-0-starts_at_1": "10:30",
            "sessions-0-media_access": "open",
            "sessions-0-colour": "#1B7F3B",
        }
    )
    answer = client.post(add, values)
    assert answer.status_code == 302, answer.context and answer.context["errors"]
    event = Event.objects.get(slug="regional")
    assert event.accreditation_opens_at == utc(2025, 8, 31, 23, 0)
    assert event.accreditation_deadline == utc(2025, 11, 30, 22, 59)
    assert event.sessions.get().starts_at == utc(2025, 12, 15, 9, 30)
