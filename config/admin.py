"""The admin site: staff sign in with a second factor (TOTP) when PRESSPASS_REQUIRE_2FA is on,
and set up their authenticator at their first sign-in (accreditation/staff)."""

from django.contrib.admin import AdminSite
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.views.decorators.cache import never_cache

from accreditation.roles import may_scan, uses_staff_pages
from accreditation.staff import second_factor, views
from accreditation.staff.forms import StaffLoginForm


class PresspassAdminSite(AdminSite):
    site_header = "Presspass"
    site_title = "Presspass"
    login_form = StaffLoginForm

    def has_permission(self, request):
        return (
            super().has_permission(request)
            and second_factor.signed_in(request.user)
            and uses_staff_pages(request.user)
        )

    def login(self, request, extra_context=None):
        user = request.user
        if (
            request.method == "GET"
            and user.is_authenticated
            and user.is_active
            and user.is_staff
            and second_factor.required()
            and not user.is_verified()
            and not second_factor.has_authenticator(user)
        ):
            return HttpResponseRedirect(reverse("admin:staff_enrol"))
        if (
            request.method == "GET"
            and second_factor.signed_in(user)
            and user.is_staff
            and may_scan(user)
            and not uses_staff_pages(user)
        ):
            return HttpResponseRedirect(reverse("gate:checkpoints"))  # a gate agent's place
        return super().login(request, extra_context)

    def get_urls(self):
        return [
            path("second-factor/", lambda r: views.enrol(r, self), name="staff_enrol"),
            path(
                "recovery-codes/",
                self.admin_view(lambda r: views.recovery_codes(r, self)),
                name="staff_recovery_codes",
            ),
            # Signing out is for everyone signed in, gate agents included (the admin's own
            # logout sends whoever may not use the admin to its index instead).
            path("logout/", never_cache(self.logout), name="logout"),
            *super().get_urls(),
        ]
