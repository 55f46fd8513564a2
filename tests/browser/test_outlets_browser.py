"""A focal point on a phone adds a three-person crew from the outlet's private page, in real
Chromium; each member's e-mail link opens their own form (their address proved, the outlet
named), each completes it on their own phone, and the focal point sees where each one is."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from accreditation.outlets.links import focal_url
from accreditation.outlets.models import CrewStatus
from tests.browser.conftest import phone_context
from tests.browser.test_apply_browser import (
    attach,
    expect_confirmation,
    fill_in,
    fits_the_screen,
    horizontal_overflow,
    submit,
)
from tests.factories import application_data
from tests.outlets.helpers import make_outlet

pytestmark = pytest.mark.browser

CREW = [
    ("Omar Tazi", "omar@lematin.ma", "camera"),
    ("Salma Berrada", "salma@lematin.ma", "reporter"),
    ("Karim Naciri", "karim@lematin.ma", "technician"),
]
CREW_LINK = re.compile(r"https?://[^/\s]+(/outlets/crew/\S+)")


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def links_in_mail(count: int, page: Page) -> dict[str, str]:
    for _ in range(100):  # the e-mails go after the commit, from the server's thread
        if len(mail.outbox) >= count:
            break
        page.wait_for_timeout(100)
    return {m.to[0]: CREW_LINK.search(m.body).group(1) for m in mail.outbox}


def test_a_focal_point_adds_a_crew_of_three_on_a_phone_and_each_opens_their_own_form(
    phone: Page, browser, live_server, event, documents, settings
):
    settings.PRESSPASS_CONFIRM_ADDRESS_FIRST = True  # as in production
    outlet = make_outlet(event)
    mail.outbox.clear()
    phone.goto(path_of(focal_url(outlet)))
    expect(phone.locator("#no-crew")).to_be_visible()
    assert fits_the_screen(horizontal_overflow(phone))

    for name, email, role in CREW:
        form = phone.locator("#crew-form")
        form.locator("#id_name").fill(name)
        form.locator("#id_email").fill(email)
        form.locator("#id_role").select_option(role)
        form.locator('button[type="submit"]').tap()
        expect(phone.locator("#crew")).to_contain_text(name)
    rows = phone.locator("#crew li[data-member]")
    expect(rows).to_have_count(3)
    expect(phone.locator("#crew .progress-invited")).to_have_count(3)
    assert fits_the_screen(horizontal_overflow(phone))

    links = links_in_mail(3, phone)
    assert sorted(links) == sorted(email for _n, email, _r in CREW)
    for n, (name, email, role) in enumerate(CREW):
        context = phone_context(browser, live_server)  # the member's own phone
        member = context.new_page()
        member.goto(links[email])
        expect(member.locator("h1")).to_contain_text(name)
        member.locator('#crew-open button[type="submit"]').tap()
        form = member.locator("#application-form")
        expect(form).to_be_visible()
        # Their own form: their address proved (not typed again), the outlet and role given.
        expect(member.locator("#id_email")).to_have_value(email)
        expect(member.locator("#id_email")).to_be_disabled()
        expect(member.locator("#id_outlet_name")).to_have_value("Le Matin")
        expect(member.locator("#id_role")).to_have_value(role)
        assert fits_the_screen(horizontal_overflow(member))
        data = application_data(event, given_names=name.split()[0], family_names=name.split()[1])
        for given in ("email", "outlet_name", "outlet_type", "outlet_country", "role"):
            del data[given]
        data.update(outlet_website="https://lematin.ma", id_document_number=f"CR{n:07d}")
        fill_in(member, data)
        attach(member, documents)
        submit(member)
        expect_confirmation(member)
        context.close()

    phone.reload()
    expect(phone.locator("#crew .progress-submitted")).to_have_count(3)
    assert list(outlet.crew.values_list("status", flat=True)) == [CrewStatus.COMPLETED] * 3
    for member in outlet.crew.select_related("request"):
        assert member.request.email == member.email
        assert member.request.outlet_confirmation.answer == "confirmed"
    page_text = phone.locator("#crew").inner_text()
    assert "CR0000000" not in page_text and "1988" not in page_text  # no identity data shown
