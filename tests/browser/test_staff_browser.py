"""A staff member's first sign-in with the second factor on, in a real browser: the QR code
on the page is read as a phone's camera would, the app's code confirms it, the recovery codes
are shown once, and the admin opens."""

from __future__ import annotations

import io
import re
import time
from urllib.parse import parse_qs, urlparse

import pytest
import zxingcpp
from django_otp.oath import TOTP
from PIL import Image
from playwright.sync_api import expect

from tests.factories import make_user

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"


def app_code(otpauth_uri: str) -> str:
    """What an authenticator app that scanned this URI shows now."""
    import base64

    query = parse_qs(urlparse(otpauth_uri).query)
    secret = query["secret"][0]
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    otp = TOTP(key, step=int(query.get("period", ["30"])[0]), digits=int(query["digits"][0]))
    otp.time = time.time()
    return f"{otp.token():06d}"


@pytest.mark.django_db(transaction=True)
def test_first_sign_in_sets_up_the_authenticator_from_the_qr_code(browser, live_server, settings):
    from accreditation.roles import sync_roles

    settings.PRESSPASS_REQUIRE_2FA = True
    sync_roles()
    make_user("amal", "Reviewer")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(live_server.url + "/admin/login/")
    page.locator('input[name="username"]').fill("amal")
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('#login-form [type="submit"]').click()
    expect(page).to_have_url(re.compile(r"/admin/second-factor/"))

    qr = page.locator('img[src^="data:image/svg+xml"]')
    shot = Image.open(io.BytesIO(qr.screenshot()), formats=["PNG"])
    (found,) = zxingcpp.read_barcodes(shot, formats=zxingcpp.BarcodeFormat.QRCode)
    assert found.text.startswith("otpauth://totp/")

    page.locator('input[name="code"]').fill(app_code(found.text))
    page.get_by_role("button", name="Confirm").click()
    codes = page.locator("#recovery-codes li")
    expect(codes).to_have_count(10)
    page.get_by_role("link", name=re.compile("continue")).click()
    expect(page.locator("#site-name")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    context.close()
