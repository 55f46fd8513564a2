"""A journalist on a phone, in Arabic (right to left) and in French, confirms one of the times a
delegation's contact proposed: the page speaks their language, fits the screen, the time chosen
is confirmed and both sides get it by e-mail with its calendar entry."""

from __future__ import annotations

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from accreditation.apply import status_path
from accreditation.interviews.models import InterviewRequest
from tests.browser.test_apply_browser import fits_the_screen, horizontal_overflow
from tests.factories import make_user
from tests.interviews.helpers import journalist, make_target, proposed, slot

pytestmark = pytest.mark.browser

CONFIRMED = {"ar": "مؤكدة", "fr": "Confirmé"}
CONFIRM_BUTTON = {"ar": "تأكيد هذا الموعد", "fr": "Confirmer cet horaire"}


@pytest.fixture
def press_office(event):
    from accreditation.roles import sync_roles

    sync_roles()  # the groups come from a migration, which a transactional test's flush empties
    return make_user("press", "Press office")


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_a_journalist_confirms_a_proposed_time_on_a_phone(
    phone: Page, live_server, event, press_office, language
):
    reporter = journalist(event, language=language)
    delegation = make_target(event, language="fr")
    interview = proposed(
        reporter, delegation, press_office, [slot(event, 1, 10), slot(event, 2, 15)]
    )
    morning, afternoon = interview.slots.all()
    mail.outbox.clear()
    violations: list[str] = []
    phone.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )

    phone.goto(live_server.url + status_path(reporter))
    expect(phone.locator("html")).to_have_attribute("lang", language)
    expect(phone.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
    card = phone.locator(f"#interview-{interview.pk}")
    card.scroll_into_view_if_needed()
    expect(card).to_be_visible()
    button = card.locator(f"#confirm-{interview.pk}")
    expect(button).to_have_text(CONFIRM_BUTTON[language])
    assert fits_the_screen(horizontal_overflow(phone))

    phone.locator(f'label[for="slot-{afternoon.pk}"]').tap()
    expect(phone.locator(f"#slot-{afternoon.pk}")).to_be_checked()
    button.tap()

    expect(phone.locator('[role="status"]')).to_be_visible()
    card = phone.locator(f"#interview-{interview.pk}")
    expect(card).to_have_attribute("data-status", "confirmed")
    expect(card.locator(".pp-interview-status")).to_have_text(CONFIRMED[language])
    expect(card.locator(".pp-interview-slot")).to_contain_text("15:00")
    assert fits_the_screen(horizontal_overflow(phone))
    assert violations == []

    interview.refresh_from_db()
    assert (interview.status, interview.starts_at) == ("confirmed", afternoon.starts_at)
    assert morning.starts_at != interview.starts_at
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted([reporter.email, delegation.contact_email])
    assert all(m.attachments[0][0] == "interview.ics" for m in mail.outbox)
    assert InterviewRequest.objects.filter(status="confirmed").count() == 1
