"""A gate phone that can be trusted: after sign-out the kept page stops deciding, and a list
that is too old is announced in large type (and, where the event says so, admits no one)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accreditation.models import Scan
from tests.browser import test_gate_browser as gb

# The gate browser tests' fixtures: the personas, a session admitting now at the main hall.
staff = gb.staff
hall = gb.hall
csp_violations = gb.csp_violations
collected_badges, scan, sign_in = gb.collected_badges, gb.scan, gb.sign_in

pytestmark = pytest.mark.browser


def test_after_sign_out_the_kept_gate_page_stops_deciding(
    phone, live_server, event, staff, hall, csp_violations
):
    session = hall.sessions.get()
    (amina,) = collected_badges(event, staff, session, ["Amina"])
    gate = phone
    root = gate.locator("#gate")
    sign_in(gate, live_server, "gate")
    gate.goto(live_server.url + f"/gate/{hall.pk}/")
    expect(root).to_have_attribute("data-state", "ready")
    expect(root).to_have_attribute("data-offline-ready", "true")
    # One scan queued offline before signing out: it happened, it stays to be uploaded.
    gate.context.set_offline(True)
    scan(gate, amina.qr_text)
    expect(root).to_have_attribute("data-queue", "1")
    gate.context.route("**/gate/api/offline-scans", lambda route: route.abort())
    gate.context.set_offline(False)

    gate.get_by_role("button", name="Sign out").click()
    expect(gate).to_have_url(re.compile(r"/admin/logout/"))
    storage = gate.evaluate("Object.keys(localStorage)")
    assert f"pp-gate-sync-{hall.pk}" not in storage and "pp-gate-queue" in storage

    # Reopened without network: no kept page decides any more.
    gate.context.set_offline(True)
    gate.goto(live_server.url + f"/gate/{hall.pk}/")
    assert gate.locator("#gate").count() == 0 or gate.locator("#gate").get_attribute(
        "data-state"
    ) not in ("ready",)
    assert not Scan.objects.filter(offline=True).exists()
    assert not csp_violations


def test_a_list_older_than_the_events_limit_is_announced_and_can_stop_admissions(
    phone, live_server, event, staff, hall
):
    event.gate_list_max_age_minutes = 30
    event.gate_stale_list_blocks = True
    event.save(update_fields=["gate_list_max_age_minutes", "gate_stale_list_blocks"])
    session = hall.sessions.get()
    (amina,) = collected_badges(event, staff, session, ["Amina"])
    gate = phone
    gate.clock.install()
    root = gate.locator("#gate")
    sign_in(gate, live_server, "gate")
    gate.goto(live_server.url + f"/gate/{hall.pk}/")
    expect(root).to_have_attribute("data-state", "ready")
    stale = gate.locator("#gate-stale")
    expect(stale).to_be_hidden()
    gate.context.set_offline(True)
    scan(gate, amina.qr_text)
    expect(gate.locator("#gate-verdict")).to_have_text("ADMIT")

    gate.clock.fast_forward("31:00")  # 31 minutes without a synchronisation
    expect(stale).to_be_visible(timeout=20_000)
    expect(stale).to_contain_text("out of date")
    font_size = float(stale.evaluate("el => getComputedStyle(el).fontSize").removesuffix("px"))
    assert font_size >= 24  # large type
    scan(gate, amina.qr_text)
    expect(gate.locator("#gate-verdict")).to_have_text("DENY")
    expect(gate.locator("#gate-reason")).to_contain_text("out of date")
