"""Staff sessions: an idle timeout, and ending every session and gate token of an account.

A staff session that has done nothing for PRESSPASS_STAFF_IDLE_MINUTES ends (the next request
signs out). Deactivating an account, resetting its second factor or reactivating it ends its
sessions, and deactivating also ends its gate tokens: a reactivated account starts afresh
(no session or token from before comes back to life)."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accreditation.workflow import audit

LAST_SEEN = "presspass_last_seen"


def idle_timeout_middleware(get_response):
    """Sign a staff member out after PRESSPASS_STAFF_IDLE_MINUTES without a request."""

    def middleware(request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff:
            now = int(time.time())
            last = request.session.get(LAST_SEEN)
            if last is not None and now - last > settings.PRESSPASS_STAFF_IDLE_MINUTES * 60:
                logout(request)
                messages.warning(
                    request,
                    _("You were signed out after a while without activity. Sign in again."),
                )
            elif last is None or now - last >= TICK:
                request.session[LAST_SEEN] = now  # a write a minute at most, not one a request
        return get_response(request)

    return middleware


TICK = 60  # seconds: how finely the idle clock counts


def start_idle_clock(sender, request, user, **kwargs) -> None:
    """At sign-in (``user_logged_in``): the session's idle clock starts now."""
    if request is not None and hasattr(request, "session"):
        request.session[LAST_SEEN] = int(time.time())


def end_sessions(user) -> int:
    """Delete every session of this account (database sessions: the default here)."""
    ended = [
        s.pk
        for s in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if str(s.get_decoded().get("_auth_user_id")) == str(user.pk)
    ]
    Session.objects.filter(pk__in=ended).delete()
    return len(ended)


def account_active_set(*, user, active: bool, actor, ip_address: str | None = None) -> None:
    """Deactivate or reactivate a staff account. Either way its sessions end; deactivating
    also changes its gate-token fingerprint, so tokens handed out before stay dead after a
    reactivation."""
    with transaction.atomic():
        if user.is_active == active:
            return
        user.is_active = active
        fields = ["is_active"]
        if not active:
            # Gate tokens carry a fingerprint of the password hash: a new unusable one voids
            # them, and the account needs a new password before anyone signs in again.
            user.set_unusable_password()
            fields.append("password")
        user.save(update_fields=fields)
        end_sessions(user)
        audit(
            action="staff.reactivated" if active else "staff.deactivated",
            actor=actor,
            ip_address=ip_address,
            data={"user": user.pk},
        )
