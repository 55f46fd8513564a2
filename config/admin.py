"""The admin site: staff sign in with a second factor (TOTP) when PRESSPASS_REQUIRE_2FA is on."""

from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.auth.forms import AuthenticationForm
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite


class PresspassAdminSite(AdminSite):
    site_header = "Presspass"
    site_title = "Presspass"

    def has_permission(self, request):
        if not super().has_permission(request):
            return False
        return not settings.PRESSPASS_REQUIRE_2FA or request.user.is_verified()

    def login(self, request, extra_context=None):
        if settings.PRESSPASS_REQUIRE_2FA:
            self.login_form, self.login_template = (
                OTPAdminAuthenticationForm,
                OTPAdminSite.login_template,
            )
        else:
            self.login_form, self.login_template = AuthenticationForm, None
        return super().login(request, extra_context)
