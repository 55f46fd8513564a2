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
        data.update(code=otp_token)
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


def test_behind_the_proxy_an_attacker_cannot_lock_a_named_agent_out(client, settings):
    """The review's attack: gate usernames are shown on the gate page; behind the documented
    proxy every client has the proxy's REMOTE_ADDR, so six bad logins from anywhere locked the
    real agent out for an hour. Axes now counts per real client (the trusted proxy's
    X-Forwarded-For, the same rule as the rate limits and the logs): the attacker slows down
    only themselves."""
    settings.PRESSPASS_TRUSTED_PROXIES = 1
    make_user("gate", "Gate agent")
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        client.post(
            reverse("admin:login"),
            {"username": "gate", "password": "wrong", "next": reverse("admin:index")},
            HTTP_X_FORWARDED_FOR="198.51.100.7",
            **proxy,
        )
    attacker = client.post(
        reverse("admin:login"),
        {"username": "gate", "password": "correct horse battery", "next": "/admin/"},
        HTTP_X_FORWARDED_FOR="198.51.100.7",
        **proxy,
    )
    assert attacker.status_code == 429  # the attacker's own address is throttled
    agent = client.post(
        reverse("admin:login"),
        {"username": "gate", "password": "correct horse battery", "next": "/admin/"},
        HTTP_X_FORWARDED_FOR="203.0.113.20",
        **proxy,
    )
    assert agent.status_code == 302  # the real agent, from the venue, signs in


def test_a_forged_forwarded_header_does_not_escape_the_throttle(client, settings):
    """Without a trusted proxy, X-Forwarded-For is the client's own claim: ignored."""
    settings.PRESSPASS_TRUSTED_PROXIES = 0
    make_user("gate", "Gate agent")
    for n in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("admin:login"),
            {"username": "gate", "password": "wrong", "next": "/admin/"},
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        )
    again = client.post(
        reverse("admin:login"),
        {"username": "gate", "password": "correct horse battery", "next": "/admin/"},
        HTTP_X_FORWARDED_FOR="203.0.113.99",
    )
    assert again.status_code == 429
