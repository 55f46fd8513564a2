"""The staff accounts' admin: Django's user pages, with deactivation and reactivation through
the service that ends sessions and tokens, and a supervisor's "reset second factor" action."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accreditation.errors import ServiceError
from accreditation.ratelimit import client_ip
from accreditation.staff import second_factor, sessions

User = get_user_model()


class StaffUserAdmin(UserAdmin):
    actions = ["reset_second_factor"]

    def save_model(self, request, obj, form, change):
        if change and "is_active" in form.changed_data:
            active = obj.is_active
            obj.is_active = not active  # the service makes the change, with its effects
            super().save_model(request, obj, form, change)
            sessions.account_active_set(
                user=obj, active=active, actor=request.user, ip_address=client_ip(request) or None
            )
            if not active:
                self.message_user(
                    request,
                    _(
                        "The account is deactivated: its sessions and gate tokens ended, and it "
                        "needs a new password before it is used again."
                    ),
                    messages.WARNING,
                )
            return
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Reset second factor (lost phone)"))
    def reset_second_factor(self, request, queryset):
        done = 0
        for user in queryset:
            try:
                second_factor.second_factor_reset(
                    target=user, actor=request.user, ip_address=client_ip(request) or None
                )
            except ServiceError as exc:
                self.message_user(request, f"{user.get_username()}: {exc.message}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(
                request,
                ngettext(
                    "%(count)d account will set up its authenticator again at its next sign-in.",
                    "%(count)d accounts will set up their authenticator again at their next sign-in.",
                    done,
                )
                % {"count": done},
                messages.SUCCESS,
            )

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.has_perm("accreditation.reset_second_factor"):
            actions.pop("reset_second_factor", None)
        return actions


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, StaffUserAdmin)
