"""The journalist's status page on a phone: in the request's language (Arabic here), the
refusal's reason shown, withdrawing only after a confirmation, then applying again."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accreditation.apply import status_path
from accreditation.models import AccreditationRequest, Status
from tests.factories import make_request

pytestmark = pytest.mark.browser


def test_a_journalist_withdraws_in_arabic_only_after_confirming_and_may_apply_again(phone, event):
    req = make_request(event, language="ar", status=Status.IN_REVIEW)
    phone.goto(status_path(req))
    expect(phone.locator("html")).to_have_attribute("dir", "rtl")
    expect(phone.locator("#withdraw-confirm")).to_be_hidden()  # folded until asked for
    phone.locator("#withdraw summary").click()
    phone.locator('#withdraw button[type="submit"]').click()  # not ticked: the browser asks
    req.refresh_from_db()
    assert req.status == Status.IN_REVIEW
    phone.locator("#withdraw-confirm").check()
    phone.locator('#withdraw button[type="submit"]').click()
    expect(phone.locator("#apply-again")).to_be_visible()
    assert AccreditationRequest.objects.get(pk=req.pk).status == Status.WITHDRAWN
    phone.locator("#apply-again").click()
    expect(phone.locator("form#application-form, form#address-form")).to_be_visible()


def test_a_refused_journalist_reads_the_reason_on_the_page(phone, event, django_user_model):
    from accreditation import review
    from tests.factories import make_user

    reviewer = make_user("reviewer", "Reviewer")
    req = make_request(event, language="fr")
    review.request_reject(
        request=req, actor=reviewer, text="Votre média n'est pas un média d'information."
    )
    phone.goto(status_path(req))
    expect(phone.locator("#messages")).to_contain_text("n'est pas un média d'information")
