"""A reviewer signs in to the admin, opens a request, looks at the photo and approves it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from accreditation.models import AuditEntry, Document, Status
from tests.factories import make_request, make_user

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
PASSWORD = "correct horse battery"


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
    viewed = AuditEntry.objects.filter(action="document.viewed", request=req)
    assert viewed.exists()
    assert any(entry.data.get("document") == photo.pk for entry in viewed)
    assert all(entry.actor_id == staff_reviewer.pk for entry in viewed)
    assert csp_violations == []
