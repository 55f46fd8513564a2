"""Security events of staff sign-in, from Django's and django-axes' own signals: every failed
sign-in (a wrong password, a missing or wrong second-factor code) and every lock-out is a
line in the security log, with the client's address and never the username typed (it may be
a password typed in the wrong box)."""

from __future__ import annotations

from accreditation.ratelimit import client_ip
from config.logs import security_event


def login_failed(sender, credentials=None, request=None, **kwargs) -> None:
    second = (credentials or {}).get("second_factor")
    security_event(
        "signin.second_factor_failed" if second else "signin.failed",
        client=client_ip(request) if request is not None else "-",
    )


def locked_out(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    security_event("signin.locked_out", client=ip_address or "-")
