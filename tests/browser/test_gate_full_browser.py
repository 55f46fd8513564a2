"""The gate tells its agent when a session's media area is full (issue 20): the counters show
the places and, once as many are inside as there are places, say so."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import test_gate_browser as gb

staff, hall = gb.staff, gb.hall
pytestmark = pytest.mark.browser


def test_the_agent_sees_the_media_area_full_once_its_places_are_taken(
    phone, live_server, event, staff, hall
):
    session = hall.sessions.get()
    (amina,) = gb.collected_badges(event, staff, session, ["Amina"])
    session.media_capacity = 1
    session.save()
    gb.sign_in(phone, live_server, "gate")
    phone.goto(live_server.url + "/gate/")
    phone.get_by_role("link", name="Main hall").click()
    expect(phone.locator("#gate")).to_have_attribute("data-state", "ready")
    row = phone.locator(f'[data-session="{session.pk}"]')
    full = row.locator('[data-counter="full"]')
    gb.scan(phone, amina.qr_text)
    expect(phone.locator("#gate-verdict")).to_have_text("ADMIT")
    expect(row.locator('[data-counter="inside"]')).to_have_text("1")
    expect(row.locator('[data-counter="capacity"]')).to_have_text("1")
    expect(full).to_be_visible()
    expect(full).to_contain_text("Media area full")
