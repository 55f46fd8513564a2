"""Who an announcement reaches: all accredited media by default, or those granted a session, in
a status, from a country or of an outlet type; revoked, withdrawn and rejected never."""

from __future__ import annotations

import pytest

from accreditation.communications import audience
from tests.communications.helpers import draft, journalist, journalists

pytestmark = pytest.mark.django_db

ENDED = ("revoked", "withdrawn", "rejected")


def emails(announcement) -> set[str]:
    return set(audience.recipients(announcement).values_list("email", flat=True))


@pytest.fixture
def everyone(event):
    """One journalist in each status, and the ended ones granted everything too."""
    opening = event.sessions.get(kind="opening")
    people = {}
    for status in (
        "submitted",
        "in_review",
        "info_requested",
        "approved",
        "badge_issued",
        "printed",
        "collected",
        *ENDED,
    ):
        people[status] = journalist(
            event, status=status, email=f"{status}@example.com", sessions=[opening]
        )
    return people


def test_by_default_all_accredited_media_and_only_them(event, press, everyone):
    announcement = draft(event, actor=press)
    assert emails(announcement) == {
        f"{s}@example.com" for s in ("approved", "badge_issued", "printed", "collected")
    }


def test_those_granted_a_session(event, press, everyone):
    closing = event.sessions.get(kind="closing")
    granted = journalist(event, email="closing@example.com", sessions=[closing])
    journalist(event, status="revoked", email="revoked-closing@example.com", sessions=[closing])
    announcement = draft(event, actor=press, audience_session=closing)
    assert emails(announcement) == {granted.email}


def test_a_given_status_such_as_printed_but_not_collected(event, press, everyone):
    announcement = draft(event, actor=press, audience_statuses=["printed"])
    assert emails(announcement) == {"printed@example.com"}
    waiting = draft(event, actor=press, audience_statuses=["in_review", "info_requested"])
    assert emails(waiting) == {"in_review@example.com", "info_requested@example.com"}


def test_an_ended_status_chosen_anyway_reaches_nobody(event, press, everyone):
    """The form does not offer them; a draft that holds them (edited elsewhere) still sends to
    nobody ended."""
    announcement = draft(event, actor=press, audience_statuses=list(ENDED))
    assert emails(announcement) == set()


def test_a_country(event, press, everyone):
    french = journalist(event, outlet_country="FR", email="fr@example.com")
    journalist(event, outlet_country="FR", status="withdrawn", email="fr-gone@example.com")
    announcement = draft(event, actor=press, audience_country="FR")
    assert emails(announcement) == {french.email}


def test_an_outlet_type(event, press, everyone):
    crews = journalists(event, 2, outlet_type="tv")
    journalist(event, outlet_type="tv", status="revoked")
    announcement = draft(event, actor=press, audience_outlet_type="tv")
    assert emails(announcement) == {r.email for r in crews}


def test_criteria_add_up(event, press, everyone):
    opening = event.sessions.get(kind="opening")
    wanted = journalist(event, outlet_type="tv", outlet_country="ES", sessions=[opening])
    journalist(event, outlet_type="tv", outlet_country="ES")  # not granted the opening
    journalist(event, outlet_type="radio", outlet_country="ES", sessions=[opening])
    announcement = draft(
        event,
        actor=press,
        audience_session=opening,
        audience_country="ES",
        audience_outlet_type="tv",
    )
    assert emails(announcement) == {wanted.email}


def test_another_events_media_never(event, press):
    from tests.factories import make_event

    other = make_event(slug="other")
    journalist(other)
    mine = journalist(event)
    assert emails(draft(event, actor=press)) == {mine.email}


def test_the_preview_counts_languages_and_fallbacks(event, press):
    journalists(event, 2, language="fr")
    journalists(event, 1, language="en")
    journalists(event, 3, language="ar")  # not written in Arabic: French, marked
    summary = audience.summary(draft(event, actor=press))
    assert summary.total == 6 and summary.e_mailed == 6
    assert summary.by_language == {"fr": 5, "en": 1}
    assert summary.fallbacks == 3
