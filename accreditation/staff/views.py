"""Enrolment of a staff member's authenticator app at first sign-in, and new recovery codes.
Served by the admin site (config/admin.py adds the URLs)."""

from __future__ import annotations

import segno
from django import forms
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login

from accreditation.errors import ServiceError
from accreditation.ratelimit import client_ip
from accreditation.staff import second_factor


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("The 6-digit code your app shows now"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def _context(admin_site, request, **extra):
    return {**admin_site.each_context(request), **extra}


@never_cache
def enrol(request, admin_site):
    """Set up the authenticator: QR code and key, then a code from the app to confirm."""
    user = request.user
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    if second_factor.has_authenticator(user):
        return HttpResponseRedirect(reverse("admin:index"))
    device = second_factor.enrolment_device(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = second_factor.enrol_confirm(
                user=user,
                device=device,
                code=form.cleaned_data["code"],
                ip_address=client_ip(request) or None,
            )
        except ServiceError as exc:
            form.add_error("code", exc.message)
        else:
            device.refresh_from_db()
            otp_login(request, device)
            return _recovery_page(request, admin_site, codes=codes)
    qr = segno.make(device.config_url, error="m")
    return TemplateResponse(
        request,
        "admin/staff/enrol.html",
        _context(
            admin_site,
            request,
            title=_("Set up your authenticator app"),
            form=form,
            qr_svg=qr.svg_data_uri(scale=5, border=2),
            secret=second_factor.secret_text(device),
        ),
    )


@never_cache
def recovery_codes(request, admin_site):
    """New recovery codes (POST), for a signed-in, verified staff member."""
    user = request.user
    if not second_factor.signed_in(user) or not user.is_staff:
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    codes = None
    if request.method == "POST":
        codes = second_factor.recovery_codes_renew(user=user, ip_address=client_ip(request) or None)
    return _recovery_page(
        request, admin_site, codes=codes, left=second_factor.recovery_codes_left(user)
    )


def _recovery_page(request, admin_site, *, codes, left=None):
    """New codes (shown once), or how many are left with the button to make new ones."""
    return TemplateResponse(
        request,
        "admin/staff/recovery_codes.html",
        _context(
            admin_site,
            request,
            title=_("Your recovery codes"),
            codes=codes,
            left=left,
            next=reverse("admin:index"),
        ),
    )
