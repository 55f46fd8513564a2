"""A journalist applies from a phone, in French and in Arabic, in real Chromium."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from accreditation.apply.submission import REFERENCE_ALPHABET
from accreditation.models import AccreditationRequest
from tests.factories import application_data

pytestmark = pytest.mark.browser

REFERENCE = re.compile(rf"^[{REFERENCE_ALPHABET}]{{4}}-[{REFERENCE_ALPHABET}]{{4}}$")
NAME_IN_ARABIC = "أمينة فاطمة الإدريسي"


def open_form(page: Page, event, language: str) -> None:
    """Open the form and switch language with the switcher in the header, as a person would."""
    page.goto(f"/events/{event.slug}/apply/")
    page.locator(f'button[name="language"][value="{language}"]').click()
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator(f'button[name="language"][value="{language}"]')).to_have_attribute(
        "aria-current", "true"
    )
    expect(page.locator("#application-form")).to_be_visible()


def fill_in(page: Page, data: dict) -> None:
    """Type every field of `data` into the form, whatever kind of input each one is."""
    form = page.locator("#application-form")
    for name, value in data.items():
        if name == "sessions_requested":
            for pk in value:
                form.locator(f'input[name="sessions_requested"][value="{pk}"]').check()
            continue
        if name == "consent":
            form.locator("#id_consent").check()
            continue
        field = form.locator(f'[name="{name}"]')
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)  # date inputs take YYYY-MM-DD


def attach(page: Page, documents: dict) -> None:
    for slot, path in documents.items():
        page.set_input_files(f"#id_{slot}", path)


def submit(page: Page) -> None:
    page.locator('#application-form button[type="submit"]').click()


def horizontal_overflow(page: Page) -> dict:
    """How wide the page is against the phone's screen.

    A phone browser zooms out to fit content that is too wide, which widens window.innerWidth
    too; so both are compared with the screen's width, not with each other.
    """
    return page.evaluate(
        """(screen) => ({
            screen,
            innerWidth: window.innerWidth,
            scrollWidth: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),
        })""",
        page.viewport_size["width"],
    )


def fits_the_screen(measure: dict) -> bool:
    return (
        measure["innerWidth"] == measure["screen"] and measure["scrollWidth"] <= measure["screen"]
    )


def expect_confirmation(page: Page) -> str:
    expect(page.locator("#confirmation")).to_be_visible()
    expect(page.locator("#reference")).to_have_text(REFERENCE)
    return page.locator("#reference").inner_text().strip()


def prove_address(page: Page, event, email: str) -> None:
    """The first step as a person takes it: the address, the link from the e-mail, the button."""
    from django.core import mail

    page.goto(f"/events/{event.slug}/apply/")
    page.locator('button[name="language"][value="fr"]').click()
    expect(page.locator("#address-form")).to_be_visible()
    expect(page.locator('input[type="file"]')).to_have_count(0)
    page.locator("#address-form #id_email").fill(email)
    page.locator('#address-form button[type="submit"]').click()
    expect(page.locator("#address-sent")).to_contain_text(email)
    for _ in range(50):  # the e-mail goes after the commit, from the server's thread
        if mail.outbox:
            break
        page.wait_for_timeout(100)
    link = re.search(r"https?://[^/\s]+(/\S+)", mail.outbox[-1].body).group(1)
    assert mail.outbox[-1].to == [email] and "token=" in link
    page.goto(link)
    page.locator('#address-confirm button[type="submit"]').click()


def test_a_journalist_applies_in_french_from_a_phone(phone, event, documents, settings):
    settings.PRESSPASS_CONFIRM_ADDRESS_FIRST = True  # as in production
    prove_address(phone, event, "amina@example.com")
    open_form(phone, event, "fr")
    expect(phone.locator("#id_email")).to_be_disabled()
    expect(phone.locator("#id_email")).to_have_value("amina@example.com")
    measure = horizontal_overflow(phone)
    assert fits_the_screen(measure), f"the form scrolls sideways on a phone: {measure}"

    data = application_data(event)
    del data["email"]  # confirmed, not typed again
    fill_in(phone, data)
    attach(phone, documents)
    submit(phone)

    reference = expect_confirmation(phone)
    measure = horizontal_overflow(phone)
    assert fits_the_screen(measure), f"the confirmation scrolls sideways on a phone: {measure}"
    request = AccreditationRequest.objects.get()
    assert request.reference == reference
    assert request.email == "amina@example.com" and request.email_confirmed_at is not None
    assert request.language == "fr"
    assert (request.given_names, request.family_names) == ("Amina Fatima", "El Idrissi")
    assert str(request.date_of_birth) == "1988-04-12"
    assert request.phone == "+212612345678"
    assert list(request.sessions_requested.values_list("kind", flat=True)) == ["opening"]
    assert sorted(request.documents.values_list("kind", flat=True)) == [
        "identity",
        "photo",
        "press_card",
    ]


def test_a_journalist_applies_in_arabic_right_to_left(phone, event, documents, tmp_path):
    open_form(phone, event, "ar")
    assert phone.locator("html").get_attribute("dir") == "rtl"
    stylesheets = phone.eval_on_selector_all(
        'link[rel="stylesheet"]', "links => links.map(l => l.getAttribute('href'))"
    )
    assert any(href.endswith("bootstrap.rtl.min.css") for href in stylesheets)
    form = phone.locator("#application-form")
    assert form.evaluate("el => getComputedStyle(el).direction") == "rtl"

    # The first label hugs the right-hand edge of the form, above its input's right edge.
    label = form.locator('label[for="id_given_names"]').bounding_box()
    field = form.locator("#id_given_names").bounding_box()
    box = form.bounding_box()
    assert abs((box["x"] + box["width"]) - (label["x"] + label["width"])) <= 16
    assert label["x"] > box["x"] + 16  # not stretched, not left-aligned
    assert abs((field["x"] + field["width"]) - (label["x"] + label["width"])) <= 16

    form.locator("#id_name_native").fill(NAME_IN_ARABIC)
    expect(form.locator("#id_name_native")).to_have_value(NAME_IN_ARABIC)
    phone.screenshot(path=tmp_path / "apply-ar.png")  # to look at when the layout is in doubt
    # A page wider than the screen makes a phone zoom out, and taps then miss their target.
    measure = horizontal_overflow(phone)
    assert fits_the_screen(measure), f"the Arabic form scrolls sideways on a phone: {measure}"
    fill_in(phone, application_data(event, name_native=NAME_IN_ARABIC))
    attach(phone, documents)
    phone.screenshot(path=tmp_path / "apply-ar-full.png", full_page=True)
    submit(phone)

    reference = expect_confirmation(phone)
    assert phone.locator("html").get_attribute("dir") == "rtl"
    request = AccreditationRequest.objects.get()
    assert request.reference == reference
    assert request.language == "ar"
    assert request.name_native == NAME_IN_ARABIC
    assert request.documents.count() == 3


def test_the_form_breaks_no_content_security_rule(phone, event):
    """An inline style or script blocked by the CSP silently changes how the page looks."""
    violations = []
    phone.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    phone.goto(f"/events/{event.slug}/apply/")
    expect(phone.locator("#application-form")).to_be_visible()
    assert violations == []


def test_a_refused_form_keeps_what_was_typed_and_the_files(phone, event, documents):
    open_form(phone, event, "fr")
    fill_in(phone, application_data(event, date_of_birth="1890-04-12"))
    attach(phone, documents)
    submit(phone)

    expect(phone.locator("#form-errors")).to_be_visible()
    birth = phone.locator("#div_id_date_of_birth")
    expect(birth.locator("#id_date_of_birth")).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(birth.locator(".invalid-feedback")).to_be_visible()
    # The message gives the age the date implies, whatever the language it is in.
    age = int((event.starts_on - dt.date(1890, 4, 12)).days / 365.25)
    expect(birth.locator(".invalid-feedback")).to_contain_text(str(age))
    expect(phone.locator("#id_family_names")).to_have_value("El Idrissi")
    expect(phone.locator("#id_date_of_birth")).to_have_value("1890-04-12")
    pending = phone.locator("#pending-uploads")
    expect(pending.locator('li[data-slot="identity"]')).to_contain_text("passport.pdf")
    expect(pending.locator('li[data-slot="press_card"]')).to_contain_text("press-card.jpg")
    expect(pending.locator('li[data-slot="photo"]')).to_contain_text("portrait.jpg")
    assert not AccreditationRequest.objects.exists()

    phone.locator("#id_date_of_birth").fill("1988-04-12")
    submit(phone)

    expect_confirmation(phone)
    request = AccreditationRequest.objects.get()
    assert str(request.date_of_birth) == "1988-04-12"
    assert request.documents.count() == 3


def test_switching_language_mid_form_keeps_what_was_typed(phone, event, documents):
    open_form(phone, event, "fr")
    data = application_data(event)
    fill_in(phone, data)
    attach(phone, {"photo": documents["photo"]})
    phone.locator('button[name="language"][value="ar"]').click()
    expect(phone.locator("html")).to_have_attribute("lang", "ar")
    form = phone.locator("#application-form")
    expect(form.locator('[name="family_names"]')).to_have_value(data["family_names"])
    expect(form.locator('[name="name_native"]')).to_have_value(data["name_native"])
    expect(form.locator('[name="nationality"]')).to_have_value(data["nationality"])
    expect(form.locator('[name="date_of_birth"]')).to_have_value(data["date_of_birth"])
    for pk in data["sessions_requested"]:
        expect(form.locator(f'input[name="sessions_requested"][value="{pk}"]')).to_be_checked()
    expect(form.locator("#id_consent")).to_be_checked()
    expect(phone.locator("#kept-on-language")).to_be_visible()
    expect(phone.locator("#kept-files-note")).to_be_visible()  # the photo must be chosen again
    # Nothing lingers: a later visit starts empty.
    phone.reload()
    expect(form.locator('[name="family_names"]')).to_have_value("")
