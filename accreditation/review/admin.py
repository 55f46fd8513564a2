"""The reviewers' workplace in the admin: the request queue, the request page and its decisions
(each calls a service); the supervisors' pages are mixed in from admin_supervise.py. Also late
admissions and rejection reasons."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accreditation import apply, review
from accreditation.checks import pipeline
from accreditation.errors import ServiceError
from accreditation.models import (
    AccreditationRequest,
    LateAdmission,
    RejectionReason,
    Status,
    document_number_is,
)
from accreditation.outlets.crews import request_confirmation
from accreditation.outlets.grouping import request_outlet
from accreditation.ratelimit import client_ip
from accreditation.review import documents, selectors
from accreditation.review.admin_forms import (
    AnsweredFilter,
    ApproveForm,
    AskForm,
    CountryFilter,
    EmailConfirmedFilter,
    LateAdmissionForm,
    LateFilter,
    ReasonForm,
    RejectForm,
)
from accreditation.review.admin_supervise import SupervisorPages
from accreditation.roles import scoped
from accreditation.workflow import action_allowed

DECISIONS = {
    "approve": ("accreditation.review_request", ApproveForm),
    "reject": ("accreditation.review_request", RejectForm),
    "ask": ("accreditation.review_request", AskForm),
    "revoke": ("accreditation.review_request", ReasonForm),
    "reopen": ("accreditation.supervise_request", ReasonForm),
    "recheck": ("accreditation.review_request", forms.Form),
}


@admin.register(AccreditationRequest)
class AccreditationRequestAdmin(SupervisorPages, admin.ModelAdmin):
    # Narrow columns, so that the queue shows them all at 1,366 pixels (the CSS keeps them
    # from wrapping where a wrap would hide what they say).
    list_display = (
        "reference",
        "name",
        "outlet",
        "role",
        "status_marked",
        "check_badge",
        "vetting",
        "email_confirmed",
        "submitted",
    )
    list_filter = (
        "status",
        AnsweredFilter,
        "event",
        "outlet_type",
        CountryFilter,
        "role",
        "check_outcome",
        "vetting",
        LateFilter,
        EmailConfirmedFilter,
    )
    search_fields = (
        "reference",
        "family_names",
        "given_names",
        "email",
        "outlet_name",
    )  # and the document number, by its keyed hash (get_search_results)
    list_select_related = ("event",)  # the event's time zone, for the dates
    list_per_page = 50
    show_full_result_count = False  # one COUNT less on 30,000 rows
    change_list_template = "admin/accreditation/request_change_list.html"
    change_form_template = "admin/accreditation/request_change_form.html"
    actions = ["approve_selected", "renew_links", "export_selected", "export_selected_xlsx"]
    readonly_fields = [
        f.name for f in AccreditationRequest._meta.fields if f.name not in ("id",)
    ] + ["sessions_requested", "sessions_granted"]
    fieldsets = (
        (
            _("Identity"),
            {
                "fields": (
                    ("family_names", "given_names"),
                    "name_native",
                    ("date_of_birth", "nationality"),
                    ("id_document_type", "id_document_number"),
                    ("id_document_country", "id_document_expiry"),
                )
            },
        ),
        (_("Contact"), {"fields": (("email", "email_confirmed_at"), "phone", "language")}),
        (
            _("Work"),
            {
                "fields": (
                    ("outlet_name", "outlet_type"),
                    ("outlet_country", "outlet_website"),
                    ("role", "employment"),
                    ("press_card_number", "press_card_year"),
                    "filming_authorisation_number",
                )
            },
        ),
        (
            _("Request"),
            {
                "fields": (
                    "event",
                    ("reference", "status"),
                    "sessions_requested",
                    "sessions_granted",
                    "interview_requests",
                    "equipment",
                    ("submitted_at", "decided_at"),
                    ("check_outcome", "vetting", "vetting_note"),
                    ("consent_version", "consent_given_at"),
                    "late_admission",
                )
            },
        ),
    )

    @admin.display(description=_("name"), ordering="family_names")
    def name(self, obj):
        return obj.full_name

    @admin.display(description=_("outlet"), ordering="outlet_name")
    def outlet(self, obj):
        return format_html(
            '{} <abbr class="pp-country" title="{}">{}</abbr>',
            obj.outlet_name,
            obj.outlet_country.name,
            obj.outlet_country.code,
        )

    @admin.display(description=_("status"), ordering="status")
    def status_marked(self, obj):
        """The status, and whether the journalist has answered a question (the queryset's
        ``answered``, selectors.with_answered)."""
        if getattr(obj, "answered", False):
            return format_html(
                '{} <span class="pp-answered">{}</span>',
                obj.get_status_display(),
                gettext("answered"),
            )
        return obj.get_status_display()

    @admin.display(description=_("submitted"), ordering="submitted_at")
    def submitted(self, obj):
        local = timezone.localtime(obj.submitted_at, obj.event.tz)
        return format_html(
            '<time datetime="{}">{}</time>', local.isoformat(), date_format(local, "j M, H:i")
        )

    @admin.display(description=_("checks"), ordering="check_outcome")
    def check_badge(self, obj):
        return obj.get_check_outcome_display() if obj.check_outcome else "—"

    @admin.display(boolean=True, description=_("e-mail confirmed"), ordering="email_confirmed_at")
    def email_confirmed(self, obj):
        return obj.email_confirmed_at is not None

    def has_add_permission(self, request):
        return False  # requests come from the public form

    def has_delete_permission(self, request, obj=None):
        return False  # the retention purge deletes, people don't

    def has_change_permission(self, request, obj=None):
        return False  # decisions go through the actions below, never by editing fields

    # --- URLs ------------------------------------------------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/decide/<str:decision>/",
                wrap(self.decide_view),
                name="accreditation_request_decide",
            ),
            path(
                "document/<int:pk>/<str:variant>/",
                wrap(documents.document_file),
                name="accreditation_document_file",
            ),
            path("export.csv", wrap(self.export_view), name="accreditation_request_export"),
            path(
                "statistics/", wrap(self.statistics_view), name="accreditation_request_statistics"
            ),
            path("vetting/", wrap(self.vetting_view), name="accreditation_request_vetting"),
        ] + super().get_urls()

    # --- The queue ---------------------------------------------------------------------------

    def get_search_results(self, request, queryset, search_term):
        """The search fields, or a document number given whole (case, spaces and dashes aside):
        numbers are encrypted in the database and found by their keyed hash."""
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if search_term.strip():
            found = found | queryset.filter(document_number_is(search_term))
        return found, may_have_duplicates

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        event_id = request.GET.get("event__id__exact")
        queryset = self.get_queryset(request)
        if event_id and event_id.isdigit():
            queryset = queryset.filter(event_id=event_id)
        extra_context["status_counts"] = selectors.status_counts(queryset)
        extra_context["answered_count"] = selectors.answered_count(queryset)
        extra_context["can_supervise"] = request.user.has_perm("accreditation.supervise_request")
        return super().changelist_view(request, extra_context=extra_context)

    def get_queryset(self, request):
        # Staff assigned to events see only theirs: the list, the pages, the exports. Each row
        # says whether the journalist has answered a question (the queue's marker and filter).
        return selectors.with_answered(scoped(super().get_queryset(request), request.user))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        req = get_object_or_404(self.get_queryset(request).select_related("event"), pk=object_id)
        if not self.has_view_permission(request, req):
            raise PermissionDenied
        user = request.user
        extra_context = {
            **(extra_context or {}),
            "req": req,
            "documents": selectors.current_documents(req),
            "can_open_documents": user.has_perm("accreditation.open_documents"),
            "can_see_photo": user.has_perm("accreditation.see_photo"),
            "can_supervise": user.has_perm("accreditation.supervise_request"),
            "timeline": selectors.request_timeline(req),
            "checks": selectors.review_checks(req),
            "decisions": self._decisions(request, req),
            "approval_refused": (
                review.approval_refusal(req)
                if request.user.has_perm("accreditation.review_request")
                and action_allowed("approve", req.status)
                else None
            ),
            # The outlet the request is grouped under, and its focal point's answer.
            "outlet": request_outlet(req),
            "outlet_confirmation": request_confirmation(req),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def _decisions(self, request, req):
        """The decisions this user may take on this request now: their role's, and the state
        machine's (workflow.ACTIONS_ALLOWED)."""
        allowed = []
        refusal = review.approval_refusal(req)
        for name, (permission, form_class) in DECISIONS.items():
            if name == "approve" and refusal is not None:
                continue  # not a button that fails only after the click: the page says why
            if request.user.has_perm(permission) and action_allowed(name, req.status):
                form = form_class(req=req) if form_class is ApproveForm else form_class()
                allowed.append((name, form))
        return allowed

    def decide_view(self, request, pk: int, decision: str):
        if request.method != "POST" or decision not in DECISIONS:
            raise PermissionDenied
        permission, form_class = DECISIONS[decision]
        if not request.user.has_perm(permission):
            raise PermissionDenied
        req = get_object_or_404(self.get_queryset(request).select_related("event"), pk=pk)
        form = (
            form_class(request.POST, req=req)
            if form_class is ApproveForm
            else form_class(request.POST)
        )
        change_url = reverse("admin:accreditation_accreditationrequest_change", args=[req.pk])
        if not form.is_valid():
            messages.error(
                request, "; ".join(str(e) for errors in form.errors.values() for e in errors)
            )
            return HttpResponseRedirect(change_url)
        data = form.cleaned_data
        try:
            if decision == "approve":
                review.request_approve(
                    request=req, actor=request.user, sessions=data["sessions"], note=data["note"]
                )
            elif decision == "reject":
                review.request_reject(
                    request=req, actor=request.user, reason=data["reason"], text=data["text"]
                )
            elif decision == "ask":
                review.request_ask_info(request=req, actor=request.user, message=data["message"])
            elif decision == "recheck":
                pipeline.checks_rerun(request=req, actor=request.user)
            elif decision == "revoke":
                review.request_revoke(request=req, actor=request.user, reason=data["reason"])
            else:
                review.request_reopen(request=req, actor=request.user, reason=data["reason"])
        except ServiceError as exc:
            messages.error(request, str(exc.message))
        else:
            if decision == "approve" and req.status == Status.IN_REVIEW:  # four eyes
                messages.success(
                    request,
                    gettext("%(reference)s: first approval recorded; a second reviewer approves.")
                    % {"reference": req.reference},
                )
            else:
                messages.success(
                    request,
                    gettext("%(reference)s: %(status)s.")
                    % {"reference": req.reference, "status": Status(req.status).label},
                )
        return HttpResponseRedirect(change_url)

    # --- Bulk actions -------------------------------------------------------------------------

    @admin.action(description=_("Approve the selected requests"), permissions=["review"])
    def approve_selected(self, request, queryset):
        done, refused = 0, []
        for req in queryset.select_related("event"):
            try:
                review.request_approve(request=req, actor=request.user)
                done += 1
            except ServiceError as exc:
                refused.append(f"{req.reference}: {exc.message}")
        if done:
            messages.success(
                request,
                ngettext("%(count)d request approved.", "%(count)d requests approved.", done)
                % {"count": done},
            )
        for line in refused:
            messages.warning(request, line)

    @admin.action(
        description=_("Revoke the status links and e-mail new ones"), permissions=["review"]
    )
    def renew_links(self, request, queryset):
        done = 0
        for req in queryset:
            apply.request_link_renew(request=req, actor=request.user, ip_address=client_ip(request))
            done += 1
        messages.success(
            request,
            ngettext(
                "%(count)d status link revoked; a new one is on its way.",
                "%(count)d status links revoked; new ones are on their way.",
                done,
            )
            % {"count": done},
        )

    def has_review_permission(self, request):
        return request.user.has_perm("accreditation.review_request")


@admin.register(LateAdmission)
class LateAdmissionAdmin(admin.ModelAdmin):
    list_display = ("name", "email", "event", "valid_until", "used_at", "created_by")
    list_filter = ("event",)
    list_select_related = ("event", "created_by")
    fields = ("event", "name", "email", "valid_until")
    form = LateAdmissionForm

    def get_queryset(self, request):
        return scoped(super().get_queryset(request), request.user)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.actor = request.user
        return form

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        admission = apply.late_admission_create(
            event=obj.event,
            name=obj.name,
            email=obj.email,
            valid_until=obj.valid_until,
            actor=request.user,
        )
        obj.pk = admission.pk
        obj.nonce = admission.nonce


@admin.register(RejectionReason)
class RejectionReasonAdmin(admin.ModelAdmin):
    list_display = ("title", "active")
