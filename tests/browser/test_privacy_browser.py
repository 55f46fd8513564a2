"""The journalist's data-protection rights on a phone, in real Chromium, in Arabic (right to left)
and in French: from the status page they download their data (a ZIP holding data.json with
their name), ask for erasure (only once the box is ticked) and read the answer; a supervisor
carries the erasure out in the admin; the journalist's status link then says it is no longer
valid, in their language."""

from __future__ import annotations

import json
import zipfile

import pytest
from playwright.sync_api import expect

from accreditation.apply import status_path
from accreditation.models import AccreditationRequest
from accreditation.privacy.models import ErasureRequest
from tests.browser.conftest import phone_context
from tests.browser.test_apply_browser import fits_the_screen, horizontal_overflow
from tests.browser.test_review_browser import sign_in
from tests.factories import make_request, make_user

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
# The 404 page's title, as the locale files translate it.
NOT_VALID = {
    "ar": "هذه الصفحة غير موجودة، أو أن رابطها لم يعد صالحًا",
    "fr": "Cette page n'existe pas, ou son lien n'est plus valable",
}
DIRECTION = {"ar": "rtl", "fr": "ltr"}


@pytest.fixture
def staff_supervisor(event):
    """A supervisor committed for the live server (the groups put back after a flush)."""
    from accreditation.roles import sync_roles

    sync_roles()
    return make_user("supervisor", "Supervisor")


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_a_journalist_downloads_their_data_and_has_them_erased_on_a_phone(
    browser, live_server, event, staff_supervisor, language
):
    req = make_request(
        event,
        language=language,
        given_names="Leïla",
        family_names="Benjelloun",
        email="leila.benjelloun@example.net",
    )
    status = status_path(req)
    context = phone_context(browser, live_server, locale=f"{language}-MA")
    phone = context.new_page()

    phone.goto(status)
    expect(phone.locator("html")).to_have_attribute("dir", DIRECTION[language])
    expect(phone.locator("html")).to_have_attribute("lang", language)
    assert fits_the_screen(horizontal_overflow(phone))

    # "Download everything": a button on a page of its own, then a ZIP.
    phone.locator("#export-link").click()
    expect(phone.locator("#export-contents")).to_be_visible()
    assert fits_the_screen(horizontal_overflow(phone))
    with phone.expect_download() as downloading:
        phone.locator("#export-download").click()
    download = downloading.value
    assert download.suggested_filename == f"presspass-{req.reference}.zip"
    with zipfile.ZipFile(download.path()) as archive:
        data = json.loads(archive.read("data.json"))
    assert "Benjelloun" in json.dumps(data, ensure_ascii=False)

    # "Ask us to erase": not without the box ticked; then the answer.
    phone.goto(status)
    phone.locator("#erasure-link").click()
    expect(phone.locator("#erasure-erased")).to_be_visible()
    phone.locator("#erasure-submit").click()
    expect(phone.locator("#erasure-error")).to_be_visible()
    assert not ErasureRequest.objects.exists()
    phone.locator("#erasure-confirm").check()
    phone.locator("#erasure-submit").click()
    expect(phone.locator("#erasure-asked")).to_be_visible()
    expect(phone.locator("html")).to_have_attribute("dir", DIRECTION[language])
    assert fits_the_screen(horizontal_overflow(phone))
    erasure = ErasureRequest.objects.get(status="asked", request=req)

    # The supervisor, at a desktop, carries it out (the confirmation box needed there too).
    desk = browser.new_context(viewport=DESKTOP, locale="en-US", base_url=live_server.url)
    desk.set_default_timeout(10_000)
    staff = desk.new_page()
    sign_in(staff, live_server, "supervisor")
    staff.goto("/admin/privacy/erasurerequest/")
    staff.locator(f'a[href$="/admin/privacy/erasurerequest/{erasure.pk}/change/"]').click()
    form = staff.locator("#erasure-decide-form")
    form.locator('input[name="decision"][value="carry_out"]').check()
    form.locator('[type="submit"]').click()
    expect(staff.locator("#erasure-decide-form .errorlist")).to_be_visible()
    assert AccreditationRequest.objects.filter(pk=req.pk).exists()
    form.locator('input[name="decision"][value="carry_out"]').check()
    form.locator('input[name="confirm"]').check()
    form.locator('[type="submit"]').click()
    expect(staff.locator(".messagelist .success")).to_be_visible()
    desk.close()
    assert not AccreditationRequest.objects.filter(pk=req.pk).exists()

    # The journalist's link is no longer valid, as they read it.
    answer = phone.goto(status)
    assert answer is not None and answer.status == 404
    expect(phone.locator("h1")).to_have_text(NOT_VALID[language])
    expect(phone.locator("html")).to_have_attribute("dir", DIRECTION[language])
    context.close()
