"""Staff at a desktop: a reviewer works through the queue (every column in view at 1,366 ×
768), reads what the checks found, opens documents (each recorded in the timeline) and approves;
a supervisor reads the statistics as charts and watches the gates' admissions come in live.

Set PRESSPASS_SCREENSHOTS to a folder (docs/screenshots) to keep a picture of the request page
and of the statistics, as the README's screenshots are made."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accreditation.models import AuditEntry, CheckResult, Document, Scan, Status
from tests.factories import make_request, make_user

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
LAPTOP = {"width": 1366, "height": 768}
PASSWORD = "correct horse battery"
QUEUE = "/admin/accreditation/accreditationrequest/"


@pytest.fixture
def desktop(browser, live_server):
    """A desktop-sized page in a context of its own, in English."""
    context = browser.new_context(viewport=DESKTOP, locale="en-US", base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def csp_violations(desktop):
    """Console messages about Content Security Policy violations, collected as they come."""
    violations: list[str] = []
    desktop.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return violations


@pytest.fixture
def staff_reviewer(event):
    """A reviewer committed for the live server. The groups come from a data migration, which a
    transactional test's flush empties, so they are put back first (sync_roles is idempotent)."""
    from accreditation.roles import sync_roles

    sync_roles()
    return make_user("reviewer", "Reviewer")


@pytest.fixture
def staff_supervisor(event):
    from accreditation.roles import sync_roles

    sync_roles()
    return make_user("supervisor", "Supervisor")


def screenshot(page: Page, name: str) -> None:
    folder = os.environ.get("PRESSPASS_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def sign_in(page: Page, live_server, username: str) -> None:
    page.goto(live_server.url + "/admin/login/")
    page.locator('input[name="username"]').fill(username)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('#login-form [type="submit"]').click()
    expect(page).not_to_have_url(re.compile(r"/admin/login/"))


def test_a_reviewer_approves_a_request_on_a_desktop(
    desktop, live_server, event, staff_reviewer, csp_violations
):
    req = make_request(event, status="in_review")
    opening = event.sessions.get(kind="opening")
    photo = req.documents.get(kind=Document.Kind.PHOTO)

    sign_in(desktop, live_server, "reviewer")

    # The queue: status counts, and the request in the list.
    desktop.goto(live_server.url + "/admin/accreditation/accreditationrequest/")
    counts = desktop.locator("#status-counts")
    expect(counts).to_be_visible()
    expect(counts.locator('a[data-status="in_review"]')).to_contain_text("1")
    expect(counts.locator('a[data-status="approved"]')).to_contain_text("0")
    expect(desktop.locator("#result_list")).to_contain_text(req.reference)

    desktop.locator("#result_list").get_by_role("link", name=req.reference).click()
    expect(desktop).to_have_url(re.compile(rf"/admin/accreditation/accreditationrequest/{req.pk}/"))
    expect(desktop.locator("#request-status")).to_have_text("In review")

    # The documents, with the photo thumbnail actually decoded by the browser.
    documents = desktop.locator("#documents")
    expect(documents).to_be_visible()
    expect(documents).to_contain_text("Portrait photo")
    thumbnail = documents.locator(".pp-document", has_text="Portrait photo").locator("img")
    expect(thumbnail).to_have_count(1)
    expect(thumbnail).to_be_visible()
    desktop.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle()
    )
    assert thumbnail.evaluate("img => img.naturalWidth") > 0

    # Approve the opening ceremony only.
    approve = desktop.locator("#decide-approve")
    expect(approve).to_be_visible()
    boxes = approve.locator('input[type="checkbox"][name="sessions"]')
    for i in range(boxes.count()):
        boxes.nth(i).uncheck()
    approve.locator(f'input[name="sessions"][value="{opening.pk}"]').check()
    approve.locator('button[value="approve"]').click()

    # Without a broker the badge is issued in-process, before the page comes back; with one,
    # a worker issues it a moment later and the page says "Approved".
    expect(desktop.locator("#request-status")).to_have_text(re.compile("^(Approved|Badge issued)$"))
    expect(desktop.locator("#timeline")).to_contain_text("accreditation.approved")

    req.refresh_from_db()
    assert req.status in (Status.APPROVED, Status.BADGE_ISSUED)
    assert AuditEntry.objects.filter(action="accreditation.approved", request=req).exists()
    assert list(req.sessions_granted.values_list("pk", flat=True)) == [opening.pk]
    # The thumbnails shown on the way opened nothing; opening the photo's file is one entry,
    # in the timeline.
    viewed = AuditEntry.objects.filter(action="document.viewed", request=req)
    assert not viewed.exists()
    with desktop.expect_download():
        documents.locator(".pp-document", has_text="Portrait photo").get_by_role(
            "link", name="Open the file"
        ).click()
    (entry,) = viewed
    assert entry.data.get("document") == photo.pk and entry.actor_id == staff_reviewer.pk
    desktop.reload()
    expect(desktop.locator("#timeline")).to_contain_text("Portrait photo, the file as sent")
    assert csp_violations == []


# --- The queue at 1,366 × 768 -------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en-GB", "fr-FR", "ar"])
def test_the_queue_shows_every_column_at_1366_pixels(browser, live_server, event, language):
    from accreditation import apply, review
    from accreditation.roles import sync_roles

    sync_roles()
    reviewer = make_user("reviewer", "Reviewer")
    for n in range(12):
        make_request(
            event,
            given_names="Amina Fatima Zahra",
            family_names=f"El Idrissi Benjelloun {n}",
            outlet_name="Agence Maghreb Arabe Presse",
            role="camera",
            vetting="pending",
        )
    asked = make_request(event)
    review.request_ask_info(request=asked, actor=reviewer, message="Which outlet?")
    apply.request_answer(request=asked, text="MAP, Rabat.", draft_key="browser-answer")

    context = browser.new_context(viewport=LAPTOP, locale=language, base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, live_server, "reviewer")
    page.goto(live_server.url + QUEUE)
    table = page.locator("#result_list")
    expect(table).to_be_visible()
    expect(table.locator(".pp-answered")).to_have_count(1)
    headers = table.locator("thead th")
    assert headers.count() == 10  # the checkbox and nine columns
    width = page.evaluate("document.documentElement.clientWidth")
    for i in range(headers.count()):
        box = headers.nth(i).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, (
            headers.nth(i).inner_text(),
            box,
            width,
        )
    results = page.locator("#changelist .results")
    overflow = results.evaluate("el => el.scrollWidth - el.clientWidth")
    assert overflow <= 0, f"the list scrolls sideways by {overflow}px"
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    context.close()


# --- What the checks found ----------------------------------------------------------------------


def with_portrait(req) -> None:
    """A real face for the request's photo (tests/corpus.py), for the screenshot's sake."""
    from django.core.files.base import ContentFile

    from accreditation.privacy.storage import private_storage, random_name
    from tests.factories import portrait_bytes

    content = portrait_bytes()
    name = private_storage().save(random_name("documents", "jpg"), ContentFile(content))
    req.documents.filter(kind="photo").update(file=name, size=len(content))


def test_the_request_page_puts_what_needs_a_look_first_and_links_the_duplicate(
    desktop, live_server, event, staff_reviewer, csp_violations
):
    from accreditation import apply, review

    first = make_request(event, family_names="Benali", given_names="Sara")
    req = make_request(
        event,
        status="in_review",
        check_outcome="warning",
        given_names="Amina Fatima",
        family_names="El Idrissi",
        name_native="أمينة فاطمة الإدريسي",
        interview_requests="The Secretary General, on cybercrime",
    )
    with_portrait(req)
    review.request_ask_info(
        request=req, actor=staff_reviewer, message="Which desk of Le Matin do you work for?"
    )
    apply.request_answer(request=req, text="The international desk, Casablanca.", draft_key="b")
    for kind, code, value in [
        ("identity", "identity.expiry", "2027-03-01"),
        ("identity", "identity.number", "AB1234567"),
        ("press_card", "image.pixels", "856×540"),
        ("photo", "image.pixels", "600×800"),
        ("photo", "photo.faces", "1 face"),
        ("photo", "photo.background", "light"),
    ]:
        CheckResult.objects.create(
            request=req, document_kind=kind, code=code, outcome="pass", value=value
        )
    CheckResult.objects.create(
        request=req,
        document_kind="photo",
        code="photo.duplicate",
        outcome="warning",
        value=first.reference,
        message=f"The same face photo is in request {first.reference} under another name.",
    )
    CheckResult.objects.create(
        request=req,
        document_kind="photo",
        code="photo.sharpness",
        outcome="warning",
        value="41",
        message="The photo looks blurred.",
    )
    sign_in(desktop, live_server, "reviewer")
    desktop.goto(live_server.url + f"{QUEUE}{req.pk}/change/")
    expect(desktop.locator("#request-answered")).to_be_visible()
    problems = desktop.locator("#check-problems")
    expect(problems).to_be_visible()
    expect(problems.locator("tbody tr")).to_have_count(2)
    passes = desktop.locator("#check-passes")
    expect(passes.locator("summary")).to_have_text("6 checks passed")
    expect(passes.locator("table")).to_be_hidden()  # folded until asked for
    screenshot(desktop, "reviewer-request-page.png")
    passes.locator("summary").click()
    expect(passes.locator("tbody tr")).to_have_count(6)

    problems.get_by_role("link", name=first.reference).click()
    expect(desktop).to_have_url(re.compile(rf"{QUEUE}{first.pk}/change/"))
    expect(desktop.locator("#decision-panel h2")).to_contain_text("Sara BENALI")
    assert csp_violations == []


# --- The supervisor's picture -------------------------------------------------------------------

_scans = itertools.count(1)


def seed_picture(event, reviewer) -> dict:
    """A month of requests from several countries and kinds of outlet, in every status, and the
    first scans at two checkpoints."""
    from accreditation import review
    from accreditation.badges import issuing
    from events.models import Checkpoint

    now = timezone.now()
    countries = ["MA", "MA", "MA", "FR", "FR", "ES", "GB", "US", "SN", "EG", "DZ", "TN", "BR"]
    kinds = ["print", "tv", "tv", "radio", "online", "agency", "photo_agency"]
    statuses = ["in_review"] * 5 + ["info_requested", "checking", "rejected", "withdrawn"]
    for n in range(90):
        make_request(
            event,
            documents=(),
            status=statuses[n % len(statuses)],
            outlet_country=countries[n % len(countries)],
            outlet_type=kinds[n % len(kinds)],
            submitted_at=now - dt.timedelta(days=(n * 7) % 23, hours=n % 5),
        )
    badges = []
    for _ in range(6):
        req = make_request(event, documents=())
        review.request_approve(request=req, actor=reviewer)
        badges.append(issuing.badge_issue(request_id=req.pk))
    agent = make_user("gate", "Gate agent")
    hall = Checkpoint.objects.create(event=event, name="Main hall entrance")
    press = Checkpoint.objects.create(event=event, name="Press centre")
    opening = event.sessions.get(kind="opening")
    plenary = event.sessions.get(kind="plenary")
    for i, badge in enumerate(badges):
        scan(hall if i % 3 else press, opening, agent, badge)
    scan(hall, plenary, agent, badges[0], admit=False)
    return {"hall": hall, "opening": opening, "agent": agent, "badges": badges}


def scan(checkpoint, session, agent, badge, admit=True):
    return Scan.objects.create(
        checkpoint=checkpoint,
        session=session,
        badge=badge,
        decision=Scan.Decision.ADMIT if admit else Scan.Decision.DENY,
        reason="ok" if admit else "closed_to_media",
        agent=agent,
        device_id="phone-1",
        client_scan_id=f"browser-{next(_scans)}",
        scanned_at=timezone.now() - dt.timedelta(minutes=2),
    )


def test_a_supervisor_reads_the_charts_and_the_admissions_come_in_live(
    desktop, live_server, event, staff_supervisor, csp_violations
):
    # The event runs today: the gates' part of the page refreshes itself.
    event.starts_on = timezone.localdate(timezone=event.tz)
    event.ends_on = event.starts_on + dt.timedelta(days=3)
    event.save()
    seeded = seed_picture(event, make_user("reviewer", "Reviewer"))
    desktop.clock.install()
    sign_in(desktop, live_server, "supervisor")
    desktop.goto(live_server.url + f"{QUEUE}statistics/?event={event.pk}")

    for chart in ("chart-per-day", "chart-pipeline", "chart-country", "chart-type"):
        figure = desktop.locator(f"#{chart}")
        expect(figure.locator("svg[role=img]")).to_be_visible()
        assert figure.locator("svg").bounding_box()["height"] > 40, chart
    expect(desktop.locator("#chart-country .pp-label").first).to_have_text("Morocco")
    expect(desktop.locator("#chart-per-day")).to_contain_text("Deadline")
    expect(desktop.locator("#chart-pipeline .pp-label").last).to_have_text("Badge collected")
    sessions = desktop.locator("#chart-sessions")
    expect(sessions).to_contain_text("Opening ceremony")
    expect(desktop.locator("#chart-checkpoints")).to_contain_text("Main hall entrance")
    screenshot(desktop, "supervisor-statistics.png")

    # A table behind each chart, for those who read rather than look.
    sessions.locator("summary").click()
    expect(sessions.locator("table tbody tr").first).to_contain_text("6")

    # More people come in; half a minute later the page shows them, without a reload.
    for badge in seeded["badges"][:3]:
        scan(seeded["hall"], seeded["opening"], seeded["agent"], badge)
    with desktop.expect_response(lambda r: "live=1" in r.url):
        desktop.clock.run_for(31_000)
    expect(sessions.locator("table tbody tr").first).to_contain_text("9")
    assert csp_violations == []
