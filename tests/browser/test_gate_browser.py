"""A gate agent on a phone: signs in, scans by typing the code (as a USB scanner does), then
keeps scanning with the network cut — the page decides by itself — and uploads once it is back.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accreditation import review
from accreditation.badges import issuing, printing
from accreditation.models import Scan
from events.models import Checkpoint, Session
from tests.browser.conftest import phone_context
from tests.factories import make_request, make_user

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"


@pytest.fixture
def csp_violations(phone):
    violations: list[str] = []
    phone.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return violations


@pytest.fixture
def staff(event):
    """The personas, committed for the live server (a transactional flush emptied the groups)."""
    from accreditation.roles import sync_roles

    sync_roles()
    return {
        "reviewer": make_user("reviewer", "Reviewer"),
        "desk": make_user("desk", "Badge desk"),
        "gate": make_user("gate", "Gate agent"),
    }


@pytest.fixture
def hall(event):
    """A session open to media that admits now, served at the main hall."""
    now = timezone.now()
    session = Session.objects.create(
        event=event,
        kind="press_conference",
        title="Press conference",
        starts_at=now + dt.timedelta(minutes=20),
        ends_at=now + dt.timedelta(hours=3),
        media_access="open",
    )
    checkpoint = Checkpoint.objects.create(event=event, name="Main hall")
    checkpoint.sessions.set([session])
    return checkpoint


def collected_badges(event, staff, session, names):
    badges = []
    for given in names:
        req = make_request(event, given_names=given, outlet_name="Le Matin")
        review.request_approve(request=req, actor=staff["reviewer"], sessions=[session])
        badges.append(issuing.badge_issue(request_id=req.pk))
    printing.batch_render(
        batch_id=printing.batch_create(event=event, badges=badges, actor=staff["desk"]).pk
    )
    for badge in badges:
        issuing.badge_handover(badge=badge, actor=staff["desk"], identity_checked=True)
    return badges


def tampered(code: str) -> str:
    """The same code with one bit of its signature flipped."""
    from accreditation.badges.signing import PREFIX, b45decode, b45encode

    raw = bytearray(b45decode(code[len(PREFIX) :]))
    raw[-1] ^= 1
    return PREFIX + b45encode(bytes(raw))


def sign_in(page: Page, live_server, username: str) -> None:
    page.goto(live_server.url + "/admin/login/")
    page.locator('input[name="username"]').fill(username)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('#login-form [type="submit"]').click()
    expect(page).not_to_have_url(re.compile(r"/admin/login/"))


def scan(page: Page, code: str) -> None:
    if page.locator("#gate-result").is_visible():
        page.locator("#gate-dismiss").click()
    field = page.locator("#gate-code")
    field.fill(code)
    field.press("Enter")


def test_a_gate_agent_scans_online_then_offline_and_the_scans_are_uploaded_once(
    phone, live_server, event, staff, hall, csp_violations
):
    session = hall.sessions.get()
    amina, omar = collected_badges(event, staff, session, ["Amina", "Omar"])
    gate = phone

    sign_in(gate, live_server, "gate")
    gate.goto(live_server.url + "/gate/")
    gate.get_by_role("link", name="Main hall").click()
    root = gate.locator("#gate")
    expect(root).to_have_attribute("data-state", "ready")
    expect(gate.locator("#gate-network")).to_have_text("Online")

    # Online: the server decides, and the agent sees who it is.
    scan(gate, amina.qr_text)
    result = gate.locator("#gate-result")
    expect(result).to_be_visible()
    expect(result).to_have_class(re.compile(r"\bis-admit\b"))
    expect(gate.locator("#gate-verdict")).to_have_text("ADMIT")
    expect(gate.locator("#gate-name")).to_have_text(amina.request.full_name)
    expect(gate.locator("#gate-outlet")).to_have_text("Le Matin")
    expect(gate.locator("#gate-country")).to_have_text("Morocco")
    photo = gate.locator("#gate-photo")
    expect(photo).to_be_visible()
    gate.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=photo.element_handle()
    )
    online = Scan.objects.get()
    assert (online.badge, online.decision, online.offline) == (amina, "admit", False)
    expect(gate.locator('[data-session] [data-counter="admitted"]')).to_have_text("1")

    # The network drops: the page verifies the signature itself and applies the rules.
    gate.context.set_offline(True)
    expect(gate.locator("#gate-network")).to_have_text(re.compile("Offline"))
    scan(gate, omar.qr_text)
    expect(gate.locator("#gate-verdict")).to_have_text("ADMIT")
    expect(gate.locator("#gate-offline-note")).to_be_visible()
    expect(gate.locator("#gate-number")).to_contain_text(f"{omar.pk:06d}")
    scan(gate, tampered(omar.qr_text))
    expect(gate.locator("#gate-verdict")).to_have_text("DENY")
    expect(gate.locator("#gate-reason")).to_have_text("This badge code is not genuine.")
    scan(gate, amina.qr_text)  # she went in an hour ago and never left: still in, flagged
    expect(gate.locator("#gate-verdict")).to_have_text("ADMIT")
    expect(gate.locator("#gate-flag")).to_contain_text("Already inside")
    expect(root).to_have_attribute("data-queue", "3")
    queued = json.loads(gate.evaluate("localStorage.getItem('pp-gate-queue')"))
    assert [(q["decision"], q["reason"]) for q in queued] == [
        ("admit", "ok"),
        ("deny", "bad_signature"),
        ("admit", "ok"),
    ]
    assert {q["agent"] for q in queued} == {staff["gate"].pk}  # who scanned
    # Each signed with the agent's scan key (HMAC-SHA256, hex), and stamped with its list.
    assert all(re.fullmatch(r"[0-9a-f]{64}", q["agent_mac"]) and q["sync"] for q in queued)
    # The phone holds no one's name: the list it kept has badge ids and versions only.
    kept = gate.evaluate(f"localStorage.getItem('pp-gate-sync-{hall.pk}')")
    assert "Amina" not in kept and "Omar" not in kept and amina.request.family_names not in kept
    assert Scan.objects.count() == 1  # nothing reached the server

    # Back online: the queue is uploaded, each scan recorded once.
    gate.context.set_offline(False)
    expect(root).to_have_attribute("data-queue", "0", timeout=15_000)
    offline = Scan.objects.filter(offline=True).order_by("scanned_at")
    assert [s.client_scan_id for s in offline] == [q["client_scan_id"] for q in queued]
    assert [(s.badge, s.reason) for s in offline] == [
        (omar, "ok"),
        (None, "bad_signature"),
        (amina, "ok"),
    ]
    assert offline[2].flag == "already_inside"
    assert {(s.agent, s.uploaded_by) for s in offline} == {(staff["gate"], staff["gate"])}
    assert online.uploaded_by is None
    # The same upload again (a phone that never heard the answer) records nothing more.
    replay = gate.evaluate(
        """async (scans) => {
            const device = JSON.parse(localStorage.getItem("pp-gate-device"));
            const url = "/gate/api/token?device=" + encodeURIComponent(device.credential);
            const token = (await (await fetch(url)).json()).token;
            const response = await fetch("/gate/api/offline-scans", {
              method: "POST",
              headers: {"Content-Type": "application/json",
                        "Authorization": "Bearer " + token},
              body: JSON.stringify({device_id: device.id, scans}),
            });
            return await response.json();
        }""",
        queued,
    )
    assert replay["duplicates"] == 3 and replay["recorded"] == 0
    assert Scan.objects.count() == 4
    assert not csp_violations


def test_scans_made_offline_by_one_agent_and_uploaded_by_the_next_are_logged_as_the_first(
    browser, phone, live_server, event, staff, hall
):
    """A shared phone: agent A scans while the network is down, A's session ends, agent B
    signs in on the same phone once it is back. The log says A scanned and B uploaded."""
    session = hall.sessions.get()
    (amina,) = collected_badges(event, staff, session, ["Amina"])
    first, second = staff["gate"], make_user("gate-b", "Gate agent")

    sign_in(phone, live_server, first.username)
    phone.goto(live_server.url + f"/gate/{hall.pk}/")
    expect(phone.locator("#gate")).to_have_attribute("data-state", "ready")
    phone.context.set_offline(True)
    scan(phone, amina.qr_text)
    expect(phone.locator("#gate-verdict")).to_have_text("ADMIT")
    expect(phone.locator("#gate")).to_have_attribute("data-queue", "1")

    # A's shift ends: the browser is closed and the session is gone, but the phone keeps its
    # storage (the queue, its device id). A fresh browser on the same storage, without A's
    # cookies. (Chromium lifts the offline emulation of a page it closes, so A's page could
    # still upload on its way out — rightly as A's, but this story is about B: block it.)
    phone.context.route("**/gate/api/**", lambda route: route.abort())
    kept = phone.context.storage_state()
    phone.context.close()
    context = phone_context(
        browser, live_server, storage_state={"cookies": [], "origins": kept["origins"]}
    )
    try:
        gate = context.new_page()
        sign_in(gate, live_server, second.username)
        assert not Scan.objects.exists()
        gate.goto(live_server.url + f"/gate/{hall.pk}/")
        root = gate.locator("#gate")
        expect(root).to_have_attribute("data-agent", str(second.pk))
        expect(root).to_have_attribute("data-queue", "0", timeout=15_000)
        uploaded = Scan.objects.get()
        assert (uploaded.badge, uploaded.offline) == (amina, True)
        assert (uploaded.agent, uploaded.uploaded_by) == (first, second)

        # B's own scans, offline too, are B's.
        context.set_offline(True)
        scan(gate, amina.qr_text)
        expect(root).to_have_attribute("data-queue", "1")
        context.set_offline(False)
        expect(root).to_have_attribute("data-queue", "0", timeout=15_000)
        latest = Scan.objects.exclude(pk=uploaded.pk).get()
        assert (latest.agent, latest.uploaded_by, latest.device_id) == (
            second,
            second,
            uploaded.device_id,  # the same phone
        )
    finally:
        context.close()


def test_a_page_kept_for_the_previous_agent_takes_the_agent_signed_in_once_online(
    phone, live_server, event, staff, hall, csp_violations
):
    """A shared phone: A opened the gate page (the service worker kept A's copy); A's session
    ends and B signs in, then the network drops and the page opens from A's copy. As soon as
    the network is back the page asks who is signed in, shows B and tags B's scans as B's."""
    session = hall.sessions.get()
    (amina,) = collected_badges(event, staff, session, ["Amina"])
    first, second = staff["gate"], make_user("gate-b", "Gate agent")
    gate = phone
    root = gate.locator("#gate")

    sign_in(gate, live_server, first.username)
    gate.goto(live_server.url + f"/gate/{hall.pk}/")
    expect(root).to_have_attribute("data-offline-ready", "true")
    expect(gate.locator("#gate-agent")).to_have_text(first.username)

    gate.context.clear_cookies()  # A's session ends
    sign_in(gate, live_server, second.username)
    gate.context.set_offline(True)
    gate.goto(live_server.url + f"/gate/{hall.pk}/")
    expect(root).to_have_attribute("data-agent", str(first.pk))  # A's copy, as kept

    gate.context.set_offline(False)
    expect(root).to_have_attribute("data-agent", str(second.pk), timeout=15_000)
    expect(gate.locator("#gate-agent")).to_have_text(second.username)

    # The copy kept from now on is B's: reopened without network, it names B.
    gate.context.set_offline(True)
    gate.wait_for_timeout(500)  # let the worker store the fresh copy
    gate.reload()
    expect(root).to_have_attribute("data-state", "ready")
    expect(root).to_have_attribute("data-agent", str(second.pk))
    scan(gate, amina.qr_text)
    expect(gate.locator("#gate-verdict")).to_have_text("ADMIT")
    expect(root).to_have_attribute("data-queue", "1")
    gate.context.set_offline(False)
    expect(root).to_have_attribute("data-queue", "0", timeout=15_000)
    logged = Scan.objects.get()
    assert (logged.agent, logged.uploaded_by, logged.offline) == (second, second, True)
    assert not csp_violations


def test_the_gate_page_reopens_without_network_and_keeps_deciding(
    phone, live_server, event, staff, hall, csp_violations
):
    """A phone that lost the network (or was restarted) still opens the gate page it opened
    before, from the service worker's copy, and decides with the list it synchronised."""
    session = hall.sessions.get()
    (amina,) = collected_badges(event, staff, session, ["Amina"])
    gate = phone

    sign_in(gate, live_server, "gate")
    gate.goto(live_server.url + f"/gate/{hall.pk}/")
    root = gate.locator("#gate")
    expect(root).to_have_attribute("data-state", "ready")
    expect(root).to_have_attribute("data-offline-ready", "true")

    gate.context.set_offline(True)
    gate.reload()
    expect(root).to_have_attribute("data-state", "ready")
    expect(gate.locator("#gate-network")).to_have_text(re.compile("Offline"))
    expect(gate.locator("#gate-sessions-title")).to_be_visible()
    scan(gate, amina.qr_text)
    expect(gate.locator("#gate-verdict")).to_have_text("ADMIT")
    expect(gate.locator("#gate-offline-note")).to_be_visible()
    expect(root).to_have_attribute("data-queue", "1")
    assert not Scan.objects.exists()

    # A gate page this phone never opened cannot be made up offline: it says so.
    other = Checkpoint.objects.create(event=event, name="Side door")
    gate.goto(live_server.url + f"/gate/{other.pk}/")
    expect(gate.locator("body")).to_contain_text("open it once while connected")

    gate.context.set_offline(False)
    gate.goto(live_server.url + f"/gate/{hall.pk}/")
    expect(root).to_have_attribute("data-queue", "0", timeout=15_000)
    assert Scan.objects.get().badge == amina
    assert not csp_violations


@pytest.mark.parametrize("trouble", ["server error", "no answer for 6 s"])
def test_the_kept_gate_page_opens_when_the_server_fails_or_hangs(
    phone, live_server, event, staff, hall, monkeypatch, trouble
):
    """The venue network is 'up' but the server answers 500, or nothing for seconds: the service
    worker gives up (on the 5xx at once, after 4 s of silence) and opens the copy it kept."""
    import time

    from accreditation import gate

    gate_page = phone
    root = gate_page.locator("#gate")
    sign_in(gate_page, live_server, "gate")
    gate_page.goto(live_server.url + f"/gate/{hall.pk}/")
    expect(root).to_have_attribute("data-offline-ready", "true")

    windows = gate.checkpoint_windows

    def failing(checkpoint):  # the gate page's view calls it (the live server is a thread here)
        if trouble == "server error":
            raise RuntimeError("database gone")
        time.sleep(6)
        return windows(checkpoint)

    monkeypatch.setattr(gate, "checkpoint_windows", failing)
    started = time.monotonic()
    gate_page.goto(live_server.url + f"/gate/{hall.pk}/")
    expect(root).to_have_attribute("data-state", "ready")
    expect(gate_page.locator("#gate-code")).to_be_visible()
    if trouble != "server error":
        assert time.monotonic() - started < 5.9  # did not wait for the server's late answer


def test_an_arabic_speaking_agent_gets_the_gate_in_arabic_right_to_left(
    phone, live_server, event, staff, hall
):
    session = hall.sessions.get()
    (amina,) = collected_badges(event, staff, session, ["Amina"])
    gate = phone
    gate.context.add_cookies([{"name": "django_language", "value": "ar", "url": live_server.url}])
    sign_in(gate, live_server, "gate")
    gate.goto(live_server.url + f"/gate/{hall.pk}/")
    expect(gate.locator("html")).to_have_attribute("dir", "rtl")
    expect(gate.locator("#gate")).to_have_attribute("data-state", "ready")
    expect(gate.locator("#gate-network")).to_have_text("متصل")  # online, not "online media"
    scan(gate, amina.qr_text)
    expect(gate.locator("#gate-verdict")).to_have_text("مسموح")
    scan(gate, tampered(amina.qr_text))
    expect(gate.locator("#gate-verdict")).to_have_text("مرفوض")
    expect(gate.locator("#gate-reason")).to_have_text("رمز الشارة هذا غير أصلي.")
