"""The gate tests' world: an event in Marrakech (the 93rd General Assembly's calendar), its
main hall, Amina's collected badge.

The event: opening ceremony on Monday 24 November 2025 at 10:30 in Marrakech (end not
announced), a plenary 14:30–18:30 closed to media, a closing ceremony whose time is not
announced, and a press conference on Tuesday 11:00–12:00 on request. Doors open 60 minutes
before a session.
"""

from __future__ import annotations

import datetime as dt

import pytest

from events.models import Checkpoint, Session
from tests.factories import make_event
from tests.gate.helpers import (
    collected,
    local,
)


@pytest.fixture
def event(db):
    event = make_event(slug="ga93", starts_on=dt.date(2025, 11, 24), ends_on=dt.date(2025, 11, 27))
    Session.objects.create(
        event=event,
        kind="press_conference",
        title="Press conference",
        starts_at=local(2025, 11, 25, 11, 0),
        ends_at=local(2025, 11, 25, 12, 0),
        media_access="on_request",
    )
    return event


@pytest.fixture
def main_hall(event):
    checkpoint = Checkpoint.objects.create(event=event, name="Main hall")
    checkpoint.sessions.set(event.sessions.filter(kind__in=["opening", "plenary", "closing"]))
    return checkpoint


@pytest.fixture
def badge(event, reviewer, badge_desk):
    """Amina's badge: granted the open sessions she asked for (opening and closing)."""
    return collected(event, reviewer, badge_desk, given_names="Amina", outlet_name="Le Matin")
