"""The staff sign-in form: username, password and, where required, the second factor's code.

Whatever is wrong — the password, the code, a missing code — the answer is the same, so the
page never tells an attacker that a password was right. A wrong or missing code counts as a
failed sign-in (django-axes throttles it like a wrong password) and is logged."""

from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_login_failed
from django.utils.translation import gettext_lazy as _

from accreditation.staff import second_factor


class StaffLoginForm(AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": _(
            "The username, the password or the code is not right. All three may be "
            "case-sensitive; a code from your app is valid for 30 seconds."
        ),
    }
    code = forms.CharField(
        label=_("Code from your authenticator app, or a recovery code"),
        required=False,
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
        help_text=_(
            "Signing in for the first time? Leave it empty: you will set up your app next."
        ),
    )

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        if not second_factor.required():
            del self.fields["code"]

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            raise self.get_invalid_login_error()
        user = authenticate(self.request, username=username, password=password)
        if user is None:
            raise self.get_invalid_login_error()
        self.confirm_login_allowed(user)
        # Without an authenticator yet, the person sets one up right after (views.enrol).
        if second_factor.required() and second_factor.has_authenticator(user):
            device = second_factor.match(user, self.cleaned_data.get("code", ""))
            if device is None:
                self._second_factor_failed(username)
                raise self.get_invalid_login_error()
            user.otp_device = device  # django-otp marks the session verified at login
        self.user_cache = user
        return self.cleaned_data

    def confirm_login_allowed(self, user):
        if not (user.is_active and user.is_staff):
            raise self.get_invalid_login_error()

    def _second_factor_failed(self, username: str) -> None:
        # The same signal as a wrong password: axes counts it against (username, address),
        # and the security log writes it (staff/events.py).
        user_login_failed.send(
            sender=__name__,
            credentials={"username": username, "second_factor": "wrong"},
            request=self.request,
        )
