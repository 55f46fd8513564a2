"""The press office, at a desktop, writes an announcement in the admin for everyone granted the
opening ceremony, previews how many it reaches and the e-mail each reads (in French, then in
Arabic), and sends it; the journalists then find it on their status page, on a phone, in their
language: in Arabic right to left."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from accreditation.apply import status_path
from accreditation.communications.models import Announcement, Delivery
from tests.browser.conftest import phone_context
from tests.browser.test_apply_browser import fits_the_screen, horizontal_overflow
from tests.browser.test_review_browser import sign_in
from tests.communications.helpers import journalists
from tests.factories import make_user

pytestmark = pytest.mark.browser

TITLES = {
    "fr": "Conférence de presse du Secrétaire général",
    "ar": "المؤتمر الصحفي للأمين العام",
    "en": "The Secretary General's press conference",
}
BODIES = {
    "fr": "Elle aura lieu au Centre de presse, salle B, après la cérémonie.",
    "ar": "سيعقد في المركز الصحفي، القاعة ب، بعد الحفل.",
    "en": "In the Press centre, room B, after the ceremony.",
}


@pytest.fixture
def desktop(browser, live_server):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-US", base_url=live_server.url
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def press_office(event):
    from accreditation.roles import sync_roles

    sync_roles()  # the groups come from a migration, which a transactional test's flush empties
    return make_user("press", "Press office")


def write(page: Page, event, opening) -> None:
    page.goto("/admin/communications/announcement/add/")
    page.locator("#id_event").select_option(str(event.pk))
    page.locator("#id_session").select_option(str(opening.pk))
    for code in ("fr", "ar", "en"):
        page.locator(f'input[name^="titles"][lang="{code}"]').fill(TITLES[code])
        page.locator(f'textarea[name^="bodies"][lang="{code}"]').fill(BODIES[code])
    page.locator("#id_audience_session").select_option(str(opening.pk))
    page.locator('input[name="_continue"]').click()
    expect(page.locator(".messagelist .success")).to_be_visible()


def test_the_press_office_announces_to_those_granted_a_session_and_they_read_it_on_their_page(
    browser, desktop: Page, live_server, event, press_office
):
    opening = event.sessions.get(kind="opening")
    arabic, french = journalists(event, 2, sessions=[opening], language="ar")
    french.language = "fr"
    french.save(update_fields=["language"])
    (elsewhere,) = journalists(event, 1, language="fr")  # not granted the ceremony
    mail.outbox.clear()

    sign_in(desktop, live_server, "press")
    write(desktop, event, opening)
    announcement = Announcement.objects.get()
    assert announcement.state == Announcement.State.DRAFT

    desktop.get_by_role("link", name="Preview and send").click()
    expect(desktop.locator("#recipient-count")).to_have_text("2 recipients")
    body = desktop.locator("#email-body")
    expect(body).to_contain_text(BODIES["fr"])  # the event's first language
    expect(body).to_contain_text("10:30")  # the ceremony's time, on the event's clock
    desktop.get_by_role("link", name="[ar]").click()
    expect(body).to_contain_text(BODIES["ar"])
    assert body.evaluate("el => getComputedStyle(el).direction") == "rtl"
    desktop.locator("#send-form button").click()

    expect(desktop).to_have_url(re.compile(rf"/announcement/{announcement.pk}/change/"))
    expect(desktop.locator("#announcement-progress")).to_contain_text("2 sent, 0 failed")
    announcement.refresh_from_db()
    assert announcement.state == Announcement.State.SENT
    assert sorted(m.to[0] for m in mail.outbox) == sorted([arabic.email, french.email])
    assert not Delivery.objects.filter(request=elsewhere).exists()

    for req, code, direction in ((arabic, "ar", "rtl"), (french, "fr", "ltr")):
        context = phone_context(browser, live_server, locale=code)
        phone = context.new_page()
        phone.goto(status_path(req))
        expect(phone.locator("html")).to_have_attribute("lang", code)
        expect(phone.locator("html")).to_have_attribute("dir", direction)
        item = phone.locator("#announcements + ul .announcement")
        item.scroll_into_view_if_needed()
        expect(item.locator("h3")).to_have_text(TITLES[code])
        expect(item).to_contain_text(BODIES[code])
        assert item.locator("h3").evaluate("el => getComputedStyle(el).direction") == direction
        assert fits_the_screen(horizontal_overflow(phone))
        context.close()
