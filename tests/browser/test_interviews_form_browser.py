"""A journalist on a phone, in French, asks for an interview with the application form (typed
before switching the page to French: kept), and finds it on their status page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from accreditation.apply import status_path
from accreditation.models import AccreditationRequest
from tests.browser.test_apply_browser import (
    attach,
    expect_confirmation,
    fill_in,
    fits_the_screen,
    horizontal_overflow,
    submit,
)
from tests.factories import application_data
from tests.interviews.helpers import make_target

pytestmark = pytest.mark.browser

TOPIC = "La coopération contre la cybercriminalité au Sahel"


def test_a_journalist_asks_for_an_interview_with_the_form_on_a_phone_in_french(
    phone: Page, live_server, event, documents, tmp_path
):
    delegation = make_target(event, country="SN")
    make_target(event, country="", name="Directeur de la cybercriminalité")
    first_day = event.starts_on.isoformat()

    phone.goto(f"/events/{event.slug}/apply/")
    rows = phone.locator("#interview-rows")
    expect(rows.locator("legend").first).to_be_visible()
    row = phone.locator("#interview-row-1")
    expect(row.locator("#id_interview-1-topic")).to_be_hidden()  # folded until asked for
    row.locator("summary").tap()
    row.locator("#id_interview-1-target").select_option(str(delegation.pk))
    row.locator("#id_interview-1-topic").fill(TOPIC)
    # Labels name each choice: a tap on the label ticks its box.
    french = row.locator('input[name="interview-1-languages"][value="fr"]').get_attribute("id")
    row.locator(f'label[for="{french}"]').tap()
    row.locator('input[name="interview-1-languages"][value="ar"]').check()
    row.locator('input[name="interview-1-format"][value="in_person"]').check()
    row.locator(f'input[name="interview-1-preferred_times"][value="{first_day}/pm"]').check()

    # Switching to French keeps the row, shown open.
    phone.locator('button[name="language"][value="fr"]').click()
    expect(phone.locator("html")).to_have_attribute("lang", "fr")
    expect(phone.locator("#kept-on-language")).to_be_visible()
    expect(row).to_have_attribute("open", "")
    expect(row.locator("#id_interview-1-topic")).to_have_value(TOPIC)
    expect(row.locator('input[name="interview-1-languages"][value="fr"]')).to_be_checked()
    expect(row.locator("summary")).to_have_text("Demander un entretien")
    assert fits_the_screen(horizontal_overflow(phone)), "the form scrolls sideways on a phone"
    rows.screenshot(path=tmp_path / "interview-rows-fr.png")  # to look at when in doubt

    data = application_data(event)
    del data["interview_requests"]  # not on the form: it asks for each interview
    fill_in(phone, data)
    attach(phone, documents)
    submit(phone)
    expect_confirmation(phone)

    req = AccreditationRequest.objects.get()
    interview = req.interviews.get()
    assert (interview.target, interview.topic, interview.format) == (
        delegation,
        TOPIC,
        "in_person",
    )
    assert interview.languages == ["fr", "ar"] and interview.preferred_times == [f"{first_day}/pm"]

    phone.goto(live_server.url + status_path(req))
    card = phone.locator(f"#interview-{interview.pk}")
    card.scroll_into_view_if_needed()
    expect(card).to_contain_text("Sénégal")
    expect(card).to_contain_text(TOPIC)
    expect(card.locator(".pp-interview-status")).to_have_text("Demandé")
    assert fits_the_screen(horizontal_overflow(phone)), "the status page scrolls sideways"
