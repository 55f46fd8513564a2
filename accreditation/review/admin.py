"""The reviewers' and supervisors' workplace in the admin: the request queue, its decisions (each calls a service), exports, statistics, vetting, late admissions, rejection reasons."""

from __future__ import annotations

import csv

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from accreditation import apply, review
from accreditation.checks import pipeline
from accreditation.errors import ServiceError
from accreditation.models import (
    AccreditationRequest,
    LateAdmission,
    RejectionReason,
    Status,
    Vetting,
)
from accreditation.ratelimit import client_ip
from accreditation.review import documents, selectors
from accreditation.review.admin_forms import (
    ApproveForm,
    AskForm,
    CountryFilter,
    EmailConfirmedFilter,
    LateAdmissionForm,
    LateFilter,
    ReasonForm,
    RejectForm,
    VettingImportForm,
)
from accreditation.roles import scoped
from accreditation.workflow import action_allowed
from events.models import Event

DECISIONS = {
    "approve": ("accreditation.review_request", ApproveForm),
    "reject": ("accreditation.review_request", RejectForm),
    "ask": ("accreditation.review_request", AskForm),
    "revoke": ("accreditation.review_request", ReasonForm),
    "reopen": ("accreditation.supervise_request", ReasonForm),
    "recheck": ("accreditation.review_request", forms.Form),
}


@admin.register(AccreditationRequest)
class AccreditationRequestAdmin(admin.ModelAdmin):
    list_display = (
        "reference",
        "family_names",
        "given_names",
        "outlet_name",
        "country",
        "role",
        "status",
        "check_badge",
        "vetting",
        "email_confirmed",
        "submitted_at",
    )
    list_filter = (
        "status",
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
        "id_document_number",
    )
    list_per_page = 50
    show_full_result_count = False  # one COUNT less on 30,000 rows
    change_list_template = "admin/accreditation/request_change_list.html"
    change_form_template = "admin/accreditation/request_change_form.html"
    actions = ["approve_selected", "renew_links", "export_selected"]
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

    @admin.display(description=_("country"), ordering="outlet_country")
    def country(self, obj):
        return obj.outlet_country.code

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

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        event_id = request.GET.get("event__id__exact")
        queryset = self.get_queryset(request)
        if event_id and event_id.isdigit():
            queryset = queryset.filter(event_id=event_id)
        extra_context["status_counts"] = selectors.status_counts(queryset)
        extra_context["can_supervise"] = request.user.has_perm("accreditation.supervise_request")
        return super().changelist_view(request, extra_context=extra_context)

    def get_queryset(self, request):
        # Staff assigned to events see only theirs: the list, the pages, the exports.
        return scoped(super().get_queryset(request), request.user)

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
            "timeline": selectors.request_timeline(req),
            "checks": list(req.check_results.all()) if hasattr(req, "check_results") else [],
            "decisions": self._decisions(request, req),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def _decisions(self, request, req):
        """The decisions this user may take on this request now: their role's, and the state
        machine's (workflow.ACTIONS_ALLOWED)."""
        allowed = []
        for name, (permission, form_class) in DECISIONS.items():
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

    @admin.action(description=_("Export the selected requests (CSV)"), permissions=["supervise"])
    def export_selected(self, request, queryset):
        return self._csv_response(request, queryset, "selected")

    def has_supervise_permission(self, request):
        return request.user.has_perm("accreditation.supervise_request")

    def export_view(self, request):
        """The filtered list as CSV (the same filters and search as the list)."""
        if not self.has_supervise_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        return self._csv_response(request, changelist.get_queryset(request), "filtered")

    def _csv_response(self, request, queryset, scope):
        from accreditation.review.vetting import safe_cell
        from accreditation.workflow import audit

        audit(
            action="requests.exported",
            actor=request.user,
            data={"scope": scope, "query": request.GET.urlencode()},
        )

        class Echo:
            def write(self, value):
                return value

        writer = csv.writer(Echo())
        rows = (
            writer.writerow([safe_cell(c) for c in row]) for row in selectors.export_rows(queryset)
        )
        response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="accreditation-requests.csv"'
        response["Cache-Control"] = "no-store"
        return response

    # --- Supervisors ---------------------------------------------------------------------------

    def statistics_view(self, request):
        if not self.has_supervise_permission(request):
            raise PermissionDenied
        queryset = scoped(AccreditationRequest.objects.all(), request.user)
        event_id = request.GET.get("event")
        events = scoped(Event.objects.all(), request.user, "pk")
        events = events.annotate(n=Count("requests")).order_by("-starts_on")
        if event_id and event_id.isdigit():
            queryset = queryset.filter(event_id=event_id)
        stats = selectors.statistics(queryset)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Accreditation statistics"),
            "stats": stats,
            "events": events,
            "event_id": event_id,
            "country_names": {code: countries.name(code) for code, _n in stats["by_country"]},
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/accreditation/statistics.html", context)

    def vetting_view(self, request):
        if not self.has_supervise_permission(request):
            raise PermissionDenied
        form = VettingImportForm()
        if request.method == "POST" and "export" in request.POST:
            event = get_object_or_404(Event, pk=request.POST.get("event"))
            rows = review.vetting_rows(event=event, actor=request.user)
            if request.POST["export"] == "xlsx":
                response = HttpResponse(
                    review.rows_to_xlsx(rows),
                    content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                )
                response["Content-Disposition"] = (
                    f'attachment; filename="vetting-{event.slug}.xlsx"'
                )
            else:
                response = HttpResponse(
                    review.rows_to_csv(rows), content_type="text/csv; charset=utf-8"
                )
                response["Content-Disposition"] = f'attachment; filename="vetting-{event.slug}.csv"'
            response["Cache-Control"] = "no-store"
            return response
        if request.method == "POST":
            form = VettingImportForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                try:
                    rows = review.read_vetting_file(upload.read(), upload.name)
                    result = review.vetting_import(
                        event=form.cleaned_data["event"], actor=request.user, rows=rows
                    )
                except ServiceError as exc:
                    form.add_error("file", str(exc.message))
                else:
                    messages.success(
                        request,
                        gettext("Recorded: %(cleared)s, %(not_cleared)s.")
                        % {
                            "cleared": ngettext(
                                "%(count)d cleared", "%(count)d cleared", result.cleared
                            )
                            % {"count": result.cleared},
                            "not_cleared": ngettext(
                                "%(count)d not cleared", "%(count)d not cleared", result.not_cleared
                            )
                            % {"count": result.not_cleared},
                        },
                    )
                    for problem in result.problems:
                        messages.warning(request, problem)
                    return HttpResponseRedirect(request.path)
        pending = (
            scoped(AccreditationRequest.objects.all(), request.user)
            .filter(vetting=Vetting.PENDING)
            .exclude(status__in=[Status.WITHDRAWN, Status.REJECTED])
            .values_list("event__name", "event_id")
            .annotate(n=Count("id"))
            .order_by("event__name")
        )
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Security vetting"),
            "form": form,
            "pending": pending,
            "events": scoped(Event.objects.all(), request.user, "pk").filter(
                security_vetting_required=True
            ),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/accreditation/vetting.html", context)


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
