"""The public forms' checks against robots: a honeypot field and a minimum fill time (a signed,
dated token given with the form each time it is shown)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core import signing
from django.utils.translation import gettext_lazy as _

from config.logs import security_event


class BotChecks:
    """A honeypot and the minimum fill time, on both public forms that start something."""

    too_fast = _("That was very fast. Please check your answers, then send the form again.")

    def bot_checks_init(self) -> None:
        # Shown now: a fresh token; sent back with one that is not ours: a fresh one too, so
        # that the next send (a person's, seconds later) passes.
        self.fields["started"].initial = form_started_token()
        if self.is_bound and not _started_is_ours(self.data.get("started", "")):
            self.data = self.data.copy()
            self.data["started"] = form_started_token()
        self.fields["homepage"].widget.attrs.update({"autocomplete": "off", "tabindex": "-1"})

    def clean_started(self) -> str:
        if filled_too_fast(self.cleaned_data.get("started", "")):
            security_event("bot.too_fast", outcome="refused")
            raise forms.ValidationError(self.too_fast)
        return ""

    def clean_homepage(self) -> str:
        if self.cleaned_data.get("homepage"):
            security_event("bot.honeypot", outcome="refused")
            raise forms.ValidationError(_("Leave this field empty"))
        return ""


STARTED_SALT = "presspass.apply.started"


def form_started_token() -> str:
    """Given with the form each time it is shown (signed, dated)."""
    return signing.TimestampSigner(salt=STARTED_SALT).sign("apply")


def filled_too_fast(token: str) -> bool:
    """The one rule of the minimum fill time: a form sent sooner than
    PRESSPASS_MIN_FILL_SECONDS after it was shown, or without a token we made, is a robot's.
    (A form left open for days is fine.)"""
    minimum = settings.PRESSPASS_MIN_FILL_SECONDS
    if not minimum:
        return False
    try:
        signing.TimestampSigner(salt=STARTED_SALT).unsign(token or "", max_age=minimum)
    except signing.SignatureExpired:
        return False  # shown long enough ago
    except signing.BadSignature:
        return True
    return True


def _started_is_ours(token: str) -> bool:
    try:
        signing.TimestampSigner(salt=STARTED_SALT).unsign(token or "")
    except signing.BadSignature:
        return False
    return True
