"""Staff's outlet pages in the admin: the registrations (with the proof's check results and
the requests grouped under each outlet) and their decision (approve / ask / reject), the
quotas per outlet type. Reviewers and supervisors see them with the permission they decide
requests with (accreditation.review_request); every change goes through the services."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from accreditation.errors import ServiceError
from accreditation.outlets import quota, registration
from accreditation.outlets.forms import DecisionForm
from accreditation.outlets.grouping import REVIEW, outlet_requests
from accreditation.outlets.models import Outlet, OutletQuota
from accreditation.roles import scoped


class ReviewersOnly:
    def has_module_permission(self, request):
        return request.user.has_perm(REVIEW)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(REVIEW)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Outlet)
class OutletAdmin(ReviewersOnly, admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ("name", "outlet_type", "country", "event", "status", "proof_outcome")
    list_filter = ("event", "status", "outlet_type")
    search_fields = ("name", "focal_name", "focal_email", "website")
    list_select_related = ("event",)
    change_form_template = "admin/outlets/outlet/change_form.html"

    def get_queryset(self, request):
        return scoped(super().get_queryset(request), request.user)

    def get_urls(self):
        urls = super().get_urls()
        decide = self.admin_site.admin_view(self.decide_view)
        return [path("<int:pk>/decide/", decide, name="outlets_outlet_decide"), *urls]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        outlet = get_object_or_404(self.get_queryset(request), pk=object_id)
        extra = {
            "decision_form": DecisionForm(),
            "decide_url": reverse("admin:outlets_outlet_decide", args=[outlet.pk]),
            "grouped": outlet_requests(outlet).only("reference", "status", "family_names"),
            "waiting": quota.waiting_list(outlet),
            "limit": quota.quota_limit(outlet),
            "crew": outlet.crew.all(),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, extra)

    def decide_view(self, request, pk: int):
        if not self.has_view_permission(request):
            raise PermissionDenied  # before any look-up: which outlets exist is not said
        outlet = get_object_or_404(self.get_queryset(request), pk=pk)
        back = reverse("admin:outlets_outlet_change", args=[pk])
        form = DecisionForm(request.POST or None)
        if request.method != "POST" or not form.is_valid():
            return HttpResponseRedirect(back)
        decision, text = form.cleaned_data["decision"], form.cleaned_data["message"]
        try:
            if decision == "approve":
                registration.outlet_approve(actor=request.user, outlet=outlet)
            elif decision == "ask":
                registration.outlet_ask(actor=request.user, outlet=outlet, message=text)
            else:
                registration.outlet_reject(actor=request.user, outlet=outlet, reason=text)
        except ServiceError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, _("Decision recorded."), messages.SUCCESS)
        return HttpResponseRedirect(back)


SUPERVISE = "accreditation.supervise_request"


@admin.register(OutletQuota)
class OutletQuotaAdmin(admin.ModelAdmin):
    """People per outlet, by event and outlet type: reviewers read them, supervisors set them;
    never deleted (a quota of 0 closes a type instead)."""

    list_display = ("event", "outlet_type", "people")
    list_filter = ("event",)

    def has_module_permission(self, request):
        return request.user.has_perm(REVIEW)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(REVIEW)

    def has_add_permission(self, request):
        return request.user.has_perm(SUPERVISE)

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm(SUPERVISE)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return scoped(super().get_queryset(request), request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "event":
            field.queryset = scoped(field.queryset, request.user, "pk")
        return field
