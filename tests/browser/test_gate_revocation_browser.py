"""Security row 31, end to end in a real browser: revoke (or reissue) → the phone synchronises
→ the network is cut → the old badge code is refused by the phone itself, from its own list.

Each test first shows that the same code is admitted offline before the change on the server
(so the refusal afterwards is the synchronisation's doing), then makes the change with the
real service (``review.request_revoke``, ``issuing.badge_reissue``), lets the page synchronise
the way it does on its own — the sync it runs when it comes back online, and its sync every
minute — and scans the old code with the network cut.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from accreditation import review
from accreditation.badges import issuing, printing
from accreditation.models import Scan
from tests.browser import test_gate_browser as gb

# The gate browser tests' fixtures: the personas, a session admitting now at the main hall.
staff = gb.staff
hall = gb.hall
collected_badges, scan, sign_in = gb.collected_badges, gb.scan, gb.sign_in

pytestmark = pytest.mark.browser

REVOKED = "This accreditation was revoked or withdrawn."
REPLACED = "This badge was replaced by a newer one and is no longer valid."

# The list entry the page kept for one badge ([id, current version, state]), read from the
# signed envelope it stores once it has checked and applied it (gate.js: refreshSync).
KEPT_ENTRY = """([key, badgeId]) => {
    const kept = localStorage.getItem(key);
    if (!kept) return null;
    const entry = JSON.parse(JSON.parse(kept).payload).badges.find((e) => e[0] === badgeId);
    return entry === undefined ? null : entry;
}"""
KEPT_ENTRY_IS = """([key, badgeId, wanted]) => {
    const kept = localStorage.getItem(key);
    if (!kept) return false;
    const entry = JSON.parse(JSON.parse(kept).payload).badges.find((e) => e[0] === badgeId);
    return entry !== undefined && JSON.stringify(entry) === JSON.stringify(wanted);
}"""


def is_list_sync(response) -> bool:
    return "/revocations" in response.url and response.request.method == "GET"


def open_gate(page: Page, live_server, checkpoint_name: str) -> None:
    """Sign the gate agent in, open /gate/ and choose the checkpoint; wait for the first list."""
    sign_in(page, live_server, "gate")
    page.goto(live_server.url + "/gate/")
    page.get_by_role("link", name=checkpoint_name).click()
    expect(page.locator("#gate")).to_have_attribute("data-state", "ready")
    expect(page.locator("#gate-network")).to_have_text("Online")


def go_offline(page: Page) -> None:
    page.context.set_offline(True)
    expect(page.locator("#gate-network")).to_have_text(re.compile("Offline"))


def expect_offline_verdict(page: Page, verdict: str, reason: str, message: str) -> None:
    root = page.locator("#gate")
    expect(page.locator("#gate-verdict")).to_have_text(verdict)
    expect(root).to_have_attribute("data-last-reason", reason)
    expect(page.locator("#gate-reason")).to_have_text(message)
    expect(page.locator("#gate-offline-note")).to_be_visible()


def queued(page: Page) -> list[dict]:
    return json.loads(page.evaluate("localStorage.getItem('pp-gate-queue')") or "[]")


def test_a_revoked_badge_is_refused_offline_once_the_phone_synchronised_back_online(
    phone, live_server, event, staff, hall
):
    session = hall.sessions.get()
    (amina,) = collected_badges(event, staff, session, ["Amina"])
    old_code = amina.qr_text
    gate = phone
    root = gate.locator("#gate")
    key = f"pp-gate-sync-{hall.pk}"

    open_gate(gate, live_server, "Main hall")
    assert gate.evaluate(KEPT_ENTRY, [key, amina.pk]) is None  # collected, v1: not listed

    # Before: with the network cut, the phone admits the code from its own list.
    go_offline(gate)
    scan(gate, old_code)
    expect_offline_verdict(gate, "ADMIT", "ok", "Valid badge for this session.")
    expect(root).to_have_attribute("data-queue", "1")

    # Staff revoke the accreditation while the phone is offline: it cannot know yet.
    review.request_revoke(request=amina.request, actor=staff["reviewer"], reason="Card forged")

    # The network comes back: the page uploads its queue and synchronises (the `online` event).
    with gate.expect_response(is_list_sync) as synced:
        gate.context.set_offline(False)
    assert synced.value.ok
    gate.wait_for_function(KEPT_ENTRY_IS, arg=[key, amina.pk, [amina.pk, 1, "revoked"]])
    expect(root).to_have_attribute("data-queue", "0", timeout=15_000)
    # The admission made before the revocation reached the server after it: decided again
    # there, it is logged as refused, the phone's "admit" kept beside it and flagged.
    before = Scan.objects.get()
    assert (before.offline, before.decision, before.reason) == (True, "deny", "revoked")
    assert (before.device_decision, before.device_reason) == ("admit", "ok")
    assert before.flag == "device_disagreed"

    # After: the network is cut again and the old code is refused by the phone itself.
    go_offline(gate)
    scan(gate, old_code)
    expect_offline_verdict(gate, "DENY", "revoked", REVOKED)
    expect(gate.locator("#gate-result")).to_have_class(re.compile(r"\bis-deny\b"))
    (item,) = queued(gate)
    assert (item["code"], item["decision"], item["reason"]) == (old_code, "deny", "revoked")
    assert Scan.objects.count() == 1  # decided on the phone: nothing reached the server

    # Once uploaded, the server agrees with the phone.
    gate.context.set_offline(False)
    expect(root).to_have_attribute("data-queue", "0", timeout=15_000)
    after = Scan.objects.exclude(pk=before.pk).get()
    assert (after.offline, after.decision, after.reason, after.flag) == (
        True,
        "deny",
        "revoked",
        "",
    )


def test_a_lost_badge_reissued_refuses_the_old_code_offline_after_the_minute_sync(
    phone, live_server, event, staff, hall
):
    session = hall.sessions.get()
    (amina,) = collected_badges(event, staff, session, ["Amina"])
    old_code = amina.qr_text
    gate = phone
    gate.clock.install()  # the page's clock runs on, and can be moved a minute on
    root = gate.locator("#gate")
    key = f"pp-gate-sync-{hall.pk}"

    open_gate(gate, live_server, "Main hall")

    # Before: the old code is admitted offline; back online, the page uploads and resyncs.
    go_offline(gate)
    scan(gate, old_code)
    expect_offline_verdict(gate, "ADMIT", "ok", "Valid badge for this session.")
    with gate.expect_response(is_list_sync):
        gate.context.set_offline(False)
    expect(root).to_have_attribute("data-queue", "0", timeout=15_000)
    assert Scan.objects.get().decision == "admit"

    # The badge is lost: the desk reissues it (version 2), prints it and hands it over.
    issuing.badge_reissue(badge=amina, actor=staff["desk"], reason="Lost", confirmed=True)
    amina.refresh_from_db()
    new_code = amina.qr_text
    assert (amina.version, new_code != old_code) == (2, True)
    printing.batch_render(
        batch_id=printing.batch_create(
            event=event, badges=[amina], actor=staff["desk"], reprint_reason="Lost"
        ).pk
    )
    issuing.badge_handover(badge=amina, actor=staff["desk"], identity_checked=True)
    # The phone, online all along, has not synchronised since: its list knows only version 1.
    assert gate.evaluate(KEPT_ENTRY, [key, amina.pk]) is None

    # A minute later the page synchronises on its own (setInterval(refreshSync, 60000)).
    with gate.expect_response(is_list_sync) as synced:
        gate.clock.fast_forward("01:00")
    assert synced.value.ok
    gate.wait_for_function(KEPT_ENTRY_IS, arg=[key, amina.pk, [amina.pk, 2, ""]])

    # After: the network is cut; the old code is refused, the new one admitted, offline.
    go_offline(gate)
    scan(gate, old_code)
    expect_offline_verdict(gate, "DENY", "old_version", REPLACED)
    scan(gate, new_code)
    expect(gate.locator("#gate-verdict")).to_have_text("ADMIT")
    expect(root).to_have_attribute("data-last-reason", "ok")
    expect(gate.locator("#gate-number")).to_contain_text(f"{amina.pk:06d} · v2")
    assert [(q["code"], q["decision"], q["reason"]) for q in queued(gate)] == [
        (old_code, "deny", "old_version"),
        (new_code, "admit", "ok"),
    ]
    assert Scan.objects.count() == 1  # decided on the phone: nothing reached the server
