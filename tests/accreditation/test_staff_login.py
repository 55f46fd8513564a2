"""Staff sign-in: a second factor when required, and throttled failed logins."""

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accreditation.models import AuditEntry
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def login(client, username, password, otp_token=None, device=None):
    data = {"username": username, "password": password, "next": reverse("admin:index")}
    if otp_token is not None:
        data.update(otp_token=otp_token, otp_device=device.persistent_id)
    return client.post(reverse("admin:login"), data)


def test_with_2fa_required_a_password_alone_does_not_open_the_admin(client, settings):
    settings.PRESSPASS_REQUIRE_2FA = True
    user = make_user("reviewer", "Reviewer")
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    without_code = login(client, "reviewer", "correct horse battery")
    assert without_code.status_code == 200  # the form again, asking for the code
    assert client.get(reverse("admin:index")).status_code == 302  # back to the login page

    token = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    response = login(client, "reviewer", "correct horse battery", otp_token=token, device=device)
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_repeated_failed_logins_are_throttled_and_logged(client, settings):
    from axes.models import AccessAttempt

    make_user("reviewer", "Reviewer")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "reviewer", "wrong password")
    locked = login(client, "reviewer", "correct horse battery")
    assert locked.status_code == 429
    assert client.get(reverse("admin:index")).status_code == 302
    assert (
        AccessAttempt.objects.get(username="reviewer").failures_since_start
        >= settings.AXES_FAILURE_LIMIT
    )
    assert not AuditEntry.objects.exists()  # failures are in axes' own log, not in request audits
