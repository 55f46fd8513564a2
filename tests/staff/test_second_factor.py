"""A second factor staff can actually use: enrolment at the first sign-in (QR code and key on
the page), recovery codes, a supervisor's reset; the sign-in never tells that a password was
right, and a wrong code counts as a failed sign-in."""

from __future__ import annotations

import base64
import logging
import re
import time

import pytest
import time_machine
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accreditation.errors import ServiceError
from accreditation.models import AuditEntry
from accreditation.staff import second_factor
from tests.factories import make_user
from tests.staff.helpers import PASSWORD, code_now, next_code, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def two_factor(settings):
    settings.PRESSPASS_REQUIRE_2FA = True


def enrolled(user) -> TOTPDevice:
    device = second_factor.enrolment_device(user)
    second_factor.enrol_confirm(user=user, device=device, code=code_now(device))
    device.refresh_from_db()
    return device


def test_at_first_sign_in_staff_set_up_their_app_from_the_page_and_get_recovery_codes(client):
    user = make_user("amal", "Reviewer")
    response = sign_in(client, "amal")  # no code yet: there is no authenticator to ask
    assert response.status_code == 302
    page = client.get(reverse("admin:index"), follow=True)
    assert page.redirect_chain[-1][0] == reverse("admin:staff_enrol")
    html = page.content.decode()
    assert 'src="data:image/svg+xml' in html  # the QR code, drawn on the page itself

    # The key typed by hand is the one the QR code carries (the device's otpauth URI).
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    shown = re.search(r'id="otp-secret"[^>]*>([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    assert base64.b32decode(shown + "=" * (-len(shown) % 8)) == device.bin_key
    assert f"secret={shown}" in device.config_url

    wrong = client.post(reverse("admin:staff_enrol"), {"code": "000000"})
    assert wrong.status_code == 200 and wrong.context["form"].errors["code"]
    assert client.get(reverse("admin:index")).status_code == 302  # still not through

    with time_machine.travel(time.time() + 3):  # django-otp waits a little after a wrong code
        done = client.post(reverse("admin:staff_enrol"), {"code": code_now(device)})
    codes = done.context["codes"]
    assert len(codes) == second_factor.RECOVERY_CODES and len(set(codes)) == len(codes)
    assert client.get(reverse("admin:index")).status_code == 200  # verified from now on
    assert AuditEntry.objects.filter(action="staff.second_factor_enrolled", actor=user).exists()
    assert AuditEntry.objects.filter(action="staff.second_factor_failed", actor=user).exists()

    # Enrolled: the next sign-in asks for the code; the enrolment page is closed. (A code is
    # good once: the app's next one, a step later, on the clock the enrolment used.)
    client.logout()
    assert sign_in(client, "amal").status_code == 200
    with time_machine.travel(time.time() + 3 + device.step):
        assert sign_in(client, "amal", code=next_code(device)).status_code == 302
    assert client.get(reverse("admin:staff_enrol")).status_code == 302


def test_a_recovery_code_signs_in_once(client):
    user = make_user("amal", "Reviewer")
    device = enrolled(user)
    codes = second_factor.recovery_codes_renew(user=user)
    assert sign_in(client, "amal", code=codes[0]).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200
    client.logout()
    assert sign_in(client, "amal", code=codes[0]).status_code == 200  # used up
    assert second_factor.recovery_codes_left(user) == second_factor.RECOVERY_CODES - 1
    assert sign_in(client, "amal", code=next_code(device)).status_code == 302


def test_the_sign_in_never_tells_that_the_password_was_right(client):
    user = make_user("amal", "Reviewer")
    enrolled(user)
    answers = {
        "wrong password": sign_in(client, "amal", password="wrong", code="123456"),
        "right password, no code": sign_in(client, "amal"),
        "right password, wrong code": sign_in(client, "amal", code="000000"),
        "no such user": sign_in(client, "nobody", code="123456"),
    }
    errors = {name: r.context["form"].non_field_errors() for name, r in answers.items()}
    assert all(r.status_code == 200 for r in answers.values())
    assert len({tuple(e) for e in errors.values()}) == 1, errors


def test_wrong_codes_count_as_failed_sign_ins_and_are_logged(client, settings, caplog):
    user = make_user("amal", "Reviewer")
    device = enrolled(user)
    with caplog.at_level(logging.WARNING, logger="presspass.security"):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            sign_in(client, "amal", code="000000")
    failures = [
        r for r in caplog.records if getattr(r, "event", "") == "signin.second_factor_failed"
    ]
    assert len(failures) == settings.AXES_FAILURE_LIMIT
    assert all("amal" not in r.getMessage() and PASSWORD not in r.getMessage() for r in failures)
    # Locked out like after wrong passwords: even the right code does not get through now.
    assert sign_in(client, "amal", code=next_code(device)).status_code == 429


def test_a_supervisor_resets_a_lost_phone_and_the_person_enrols_again(client):
    supervisor = make_user("sara", "Supervisor")
    agent = make_user("gate1", "Gate agent")
    enrolled(agent)
    second_factor.recovery_codes_renew(user=agent)
    agents_phone = type(client)()
    assert (
        sign_in(agents_phone, "gate1", code=next_code(agent.totpdevice_set.get())).status_code
        == 302
    )

    second_factor.second_factor_reset(target=agent, actor=supervisor)

    assert not TOTPDevice.objects.filter(user=agent).exists()
    assert not StaticToken.objects.filter(device__user=agent).exists()
    assert agents_phone.get(reverse("admin:index")).status_code == 302  # its session ended
    assert AuditEntry.objects.filter(
        action="staff.second_factor_reset", actor=supervisor, data__user=agent.pk
    ).exists()
    sign_in(agents_phone, "gate1")
    assert agents_phone.get(reverse("admin:staff_enrol")).status_code == 200  # enrols again


def test_no_one_resets_their_own_second_factor_and_reviewers_reset_nobody():
    supervisor, other = make_user("sara", "Supervisor"), make_user("omar", "Supervisor")
    reviewer = make_user("amal", "Reviewer")
    enrolled(supervisor)
    with pytest.raises(ServiceError) as own:
        second_factor.second_factor_reset(target=supervisor, actor=supervisor)
    assert own.value.code == "own_account"
    with pytest.raises(ServiceError) as role:
        second_factor.second_factor_reset(target=other, actor=reviewer)
    assert role.value.code == "forbidden"
    assert TOTPDevice.objects.filter(user=supervisor, confirmed=True).exists()


def test_the_reset_is_an_action_on_the_staff_list(client):
    supervisor = make_user("sara", "Supervisor")
    agent = make_user("gate1", "Gate agent")
    enrolled(agent)
    client.force_login(supervisor)
    session = client.session
    from django_otp import DEVICE_ID_SESSION_KEY

    session[DEVICE_ID_SESSION_KEY] = enrolled(supervisor).persistent_id
    session.save()
    changelist = reverse("admin:auth_user_changelist")
    assert "reset_second_factor" in client.get(changelist).content.decode()
    client.post(changelist, {"action": "reset_second_factor", "_selected_action": [agent.pk]})
    assert not TOTPDevice.objects.filter(user=agent).exists()


def test_an_account_still_enrolling_reaches_nothing_but_the_enrolment(client):
    make_user("desk", "Badge desk")
    sign_in(client, "desk")
    assert client.get(reverse("admin:index")).status_code == 302
    desk = client.get(reverse("desk:queue"))
    assert desk.status_code in (302, 403)


def test_new_recovery_codes_replace_the_old_ones(client):
    user = make_user("amal", "Reviewer")
    device = enrolled(user)
    old = second_factor.recovery_codes_renew(user=user)
    assert sign_in(client, "amal", code=next_code(device)).status_code == 302
    page = client.get(reverse("admin:staff_recovery_codes"))
    assert page.status_code == 200 and page.context["left"] == second_factor.RECOVERY_CODES
    new = client.post(reverse("admin:staff_recovery_codes")).context["codes"]
    assert len(new) == second_factor.RECOVERY_CODES and not set(new) & set(old)
    client.logout()
    assert sign_in(client, "amal", code=old[0]).status_code == 200  # the old ones are void
    with time_machine.travel(time.time() + 3):  # django-otp waits a little after a wrong code
        assert sign_in(client, "amal", code=new[0]).status_code == 302
