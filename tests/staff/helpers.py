from __future__ import annotations

import time

from django.urls import reverse
from django_otp.oath import TOTP

PASSWORD = "correct horse battery"


def code_now(device, *, at: float | None = None) -> str:
    """What the person's authenticator app shows (now, or at ``at``)."""
    otp = TOTP(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    otp.time = at if at is not None else time.time()
    return f"{otp.token():0{device.digits}d}"


def next_code(device) -> str:
    """The app's next code: the step after the last one used (a code is not accepted twice),
    within the one step of drift django-otp allows."""
    device.refresh_from_db()
    step = max(device.last_t + 1, int((time.time() - device.t0) // device.step))
    return code_now(device, at=device.t0 + step * device.step)


def sign_in(client, username, password=PASSWORD, code=None, **extra):
    data = {"username": username, "password": password, "next": reverse("admin:index")}
    if code is not None:
        data["code"] = code
    return client.post(reverse("admin:login"), data, **extra)
