"""Data protection in the admin: the journalists' erasure requests, which staff carry out or
refuse with a reason (erasure_requests.py decides who may), the tombstones of erased requests
and the statistics kept of purged events (read-only)."""

from __future__ import annotations

import copy

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accreditation.admin_base import ReadOnlyAdmin
from accreditation.errors import ServiceError
from accreditation.privacy import erasure_requests
from accreditation.privacy.models import (
    ErasureRequest,
    ErasureStatus,
    EventStatistics,
    Tombstone,
)
from accreditation.roles import scoped


class ErasureDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("carry_out", _("Carry out the erasure")), ("refuse", _("Refuse"))],
        widget=forms.RadioSelect,
    )
    confirm = forms.BooleanField(
        label=_("I understand that the erasure cannot be undone."), required=False
    )
    reason = forms.CharField(
        label=_("Reason for refusing (sent to the journalist)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "carry_out" and not data.get("confirm"):
            self.add_error("confirm", _("Tick the box to confirm the erasure."))
        if data.get("decision") == "refuse" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Say why the erasure is refused: the journalist is told."))
        return data


@admin.register(ErasureRequest)
class ErasureRequestAdmin(ReadOnlyAdmin):
    list_display = ("pk", "event", "request_link", "status", "asked_at", "decided_at")
    list_filter = ("status", "event")
    list_select_related = ("event", "request")
    fields = (
        "event",
        "request_link",
        "status",
        "asked_at",
        "decided_at",
        "decided_by",
        "refusal_reason",
        "tombstone",
        "notified_at",
    )
    readonly_fields = fields
    change_form_template = "admin/privacy/erasurerequest/change_form.html"

    def has_view_permission(self, request, obj=None):
        user = request.user
        return user.has_perm("privacy.view_erasurerequest") or user.has_perm(
            erasure_requests.PERMISSION
        )

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def get_queryset(self, request):
        return scoped(super().get_queryset(request), request.user)

    @admin.display(description=_("accreditation request"))
    def request_link(self, obj: ErasureRequest):
        if obj.request is None:
            return _("erased")
        url = reverse("admin:accreditation_accreditationrequest_change", args=[obj.request_id])
        return format_html('<a href="{}">{}</a>', url, obj.request.reference)

    def get_urls(self):
        decide = self.admin_site.admin_view(self.decide_view)
        return [
            path("<int:pk>/decide/", decide, name="privacy_erasurerequest_decide"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = get_object_or_404(self.get_queryset(request), pk=object_id)
        may_decide = obj.status == ErasureStatus.ASKED and request.user.has_perm(
            erasure_requests.PERMISSION
        )
        extra = {
            "decision_form": ErasureDecisionForm() if may_decide else None,
            "decide_url": reverse("admin:privacy_erasurerequest_decide", args=[obj.pk]),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, extra)

    def decide_view(self, request, pk: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        erasure = get_object_or_404(self.get_queryset(request), pk=pk)
        back = HttpResponseRedirect(reverse("admin:privacy_erasurerequest_change", args=[pk]))
        if request.method != "POST":
            return back
        form = ErasureDecisionForm(request.POST)
        if not form.is_valid():
            # Shown again with what was typed and the message next to its field.
            as_get = copy.copy(request)
            as_get.method = "GET"
            response = self.change_view(as_get, str(pk), extra_context={"decision_form": form})
            response.status_code = 400
            return response
        try:
            if form.cleaned_data["decision"] == "carry_out":
                erasure_requests.erasure_carry_out(erasure=erasure, actor=request.user)
                self.message_user(request, _("The request's data were erased."), messages.SUCCESS)
            else:
                erasure_requests.erasure_refuse(
                    erasure=erasure, actor=request.user, reason=form.cleaned_data["reason"]
                )
                self.message_user(
                    request, _("Erasure refused; the journalist is told why."), messages.SUCCESS
                )
        except ServiceError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        return back


@admin.register(Tombstone)
class TombstoneAdmin(ReadOnlyAdmin):
    list_display = ("pk", "event", "final_status", "cause", "submitted_on", "erased_at")
    list_filter = ("cause", "event")
    list_select_related = ("event",)
    fields = ("event", "final_status", "cause", "submitted_on", "erased_at", "trail")
    readonly_fields = fields

    def get_queryset(self, request):
        return scoped(super().get_queryset(request), request.user)


@admin.register(EventStatistics)
class EventStatisticsAdmin(ReadOnlyAdmin):
    list_display = ("event", "requests", "badges_printed", "badges_collected", "made_at")
    list_select_related = ("event",)
    readonly_fields = (
        "event",
        "made_at",
        "requests",
        "by_status",
        "by_nationality",
        "by_outlet_country",
        "by_outlet_type",
        "by_role",
        "by_day",
        "sessions",
        "badges_printed",
        "badges_collected",
        "interviews",
    )
    fields = readonly_fields

    def get_queryset(self, request):
        return scoped(super().get_queryset(request), request.user)
