"""The second factor of staff accounts: an authenticator app (TOTP) and one-time recovery codes.

A staff member without a confirmed authenticator enrols at their first sign-in (the page shows
a QR code); confirming it hands out ten recovery codes, shown once. A supervisor or an admin
can reset someone's second factor (a lost phone): the person enrols again at next sign-in, and
their open sessions end."""

from __future__ import annotations

import base64
import secrets

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accreditation import roles
from accreditation.errors import ServiceError
from accreditation.roles import require_permission
from accreditation.workflow import audit

RECOVERY_CODES = 10
AUTHENTICATOR = "authenticator"
RECOVERY = "recovery codes"


def required() -> bool:
    return settings.PRESSPASS_REQUIRE_2FA


signed_in = roles.signed_in


def has_authenticator(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def match(user, code: str):
    """The device (authenticator or an unused recovery code) that accepts ``code``, or None.
    A recovery code works once."""
    code = "".join((code or "").split()).lower()
    if not code or len(code) > 32:
        return None
    # Digits go to the app, anything else to the recovery codes: a device counts each wrong
    # code against itself (django-otp's throttling), so each hears only its own kind.
    kind = TOTPDevice if code.isdigit() else StaticDevice
    for device in devices_for_user(user, confirmed=True):
        if isinstance(device, kind) and device.verify_token(code):
            return device
    return None


def enrolment_device(user) -> TOTPDevice:
    """The authenticator being enrolled (unconfirmed), made on first call; refused once the
    account has a confirmed one (a reset removes it)."""
    if has_authenticator(user):
        raise ServiceError("enrolled", _("This account already has an authenticator."))
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=AUTHENTICATOR, confirmed=False)


def secret_text(device: TOTPDevice) -> str:
    """The key as an authenticator app accepts it typed by hand (base32, in groups of four)."""
    text = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def enrol_confirm(
    *, user, device: TOTPDevice, code: str, ip_address: str | None = None
) -> list[str]:
    """Confirm the authenticator with a code it shows; returns the new recovery codes."""
    code = "".join((code or "").split())
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
        if device.confirmed or has_authenticator(user):
            raise ServiceError("enrolled", _("This account already has an authenticator."))
        right = code.isdigit() and device.verify_token(code)
        if right:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = _new_recovery_codes(user)
            audit(action="staff.second_factor_enrolled", actor=user, ip_address=ip_address)
    if not right:  # recorded outside the transaction, which the refusal does not undo anyway
        audit(
            action="staff.second_factor_failed",
            actor=user,
            ip_address=ip_address,
            data={"during": "enrolment"},
        )
        raise ServiceError(
            "wrong_code",
            _("This is not the code your app shows now. Check the phone's clock and try again."),
            field="code",
        )
    return codes


def recovery_codes_renew(*, user, ip_address: str | None = None) -> list[str]:
    """New recovery codes for a signed-in, verified account; the old ones stop working."""
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        audit(action="staff.recovery_codes_renewed", actor=user, ip_address=ip_address)
    return codes


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def _new_recovery_codes(user) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [_recovery_code() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return [f"{c[:5]} {c[5:]}" for c in codes]


def _recovery_code() -> str:
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
    return "".join(secrets.choice(alphabet) for _ in range(10))


def second_factor_reset(*, target, actor, ip_address: str | None = None) -> None:
    """A lost phone: remove the person's authenticator and recovery codes and end their
    sessions; they enrol again at their next sign-in. Supervisors and admins only, and never
    on their own account (someone else must vouch)."""
    require_permission(actor, "accreditation.reset_second_factor")
    if target.pk == actor.pk:
        raise ServiceError(
            "own_account", _("Ask another supervisor to reset your own second factor.")
        )
    from accreditation.staff.sessions import end_sessions

    with transaction.atomic():
        TOTPDevice.objects.filter(user=target).delete()
        StaticDevice.objects.filter(user=target).delete()
        end_sessions(target)
        audit(
            action="staff.second_factor_reset",
            actor=actor,
            ip_address=ip_address,
            data={"user": target.pk},
        )
