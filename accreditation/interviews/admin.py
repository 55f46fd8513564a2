"""The press office's interview pages in the admin: the targets journalists may ask (per event),
the requests (listed; each opens on its triage page), the board by target and the schedule's
export (admin_pages.py). Only the press office's permissions open them: reviewers and the badge
desk do not see interview threads."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accreditation.interviews import admin_pages, services
from accreditation.interviews.forms import TargetForm
from accreditation.interviews.models import InterviewRequest, InterviewTarget
from accreditation.interviews.workflow import OPEN
from accreditation.roles import scoped

VIEW = "interviews.view_interviewrequest"
MANAGE = services.MANAGE


class PressOfficeOnly:
    """Seen with the press office's permissions; nothing is deleted here."""

    def has_module_permission(self, request):
        return request.user.has_perm(VIEW) or request.user.has_perm(MANAGE)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(VIEW) or request.user.has_perm(MANAGE)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(InterviewTarget)
class InterviewTargetAdmin(PressOfficeOnly, admin.ModelAdmin):
    form = TargetForm
    list_display = (
        "__str__",
        "kind",
        "event",
        "contact_name",
        "contact_email",
        "contact_language",
        "active",
        "open_requests",
    )
    list_filter = ("event", "kind", "active")
    search_fields = ("name", "contact_name", "contact_email")
    list_select_related = ("event",)

    def get_queryset(self, request):
        queryset = (
            super()
            .get_queryset(request)
            .annotate(n_open=Count("requests", filter=Q(requests__status__in=OPEN)))
        )
        return scoped(queryset, request.user)

    @admin.display(description=_("open requests"), ordering="n_open")
    def open_requests(self, obj):
        return obj.n_open

    def has_add_permission(self, request):
        return request.user.has_perm(MANAGE)

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm(MANAGE)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "event":
            from events.models import Event

            kwargs["queryset"] = scoped(Event.objects.all(), request.user, "pk")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        services.target_save(target=obj, actor=request.user)


@admin.register(InterviewRequest)
class InterviewRequestAdmin(PressOfficeOnly, admin.ModelAdmin):
    list_display = (
        "created_at",
        "journalist",
        "target",
        "status",
        "format",
        "accreditation",
        "slot",
        "triage_link",
    )
    list_filter = ("status", "event", "target", "target__kind", "format")
    search_fields = ("request__reference", "request__family_names", "target__name")
    list_select_related = ("request", "target", "event")
    date_hierarchy = "created_at"
    change_list_template = "admin/interviews/interviewrequest_change_list.html"

    def get_queryset(self, request):
        return scoped(super().get_queryset(request), request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("board/", wrap(self.board_view), name="interviews_board"),
            path("schedule.csv", wrap(self.export_view), name="interviews_export"),
            path("<int:pk>/triage/", wrap(self.triage_view), name="interviews_triage"),
        ] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """A request opens on its triage page."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        return HttpResponseRedirect(reverse("admin:interviews_triage", args=[object_id]))

    @admin.display(description=_("journalist"), ordering="request__family_names")
    def journalist(self, obj):
        return f"{obj.request.full_name} ({obj.request.outlet_name}, {obj.request.reference})"

    @admin.display(description=_("accreditation"))
    def accreditation(self, obj):
        return obj.request.get_status_display()

    @admin.display(description=_("slot"), ordering="starts_at")
    def slot(self, obj):
        if obj.starts_at is None:
            return "—"
        local = obj.starts_at.astimezone(obj.event.tz)
        return f"{local:%Y-%m-%d %H:%M} {obj.place}"

    @admin.display(description=_("triage"))
    def triage_link(self, obj):
        url = reverse("admin:interviews_triage", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Open"))

    def board_view(self, request):
        return admin_pages.board(self, request)

    def export_view(self, request):
        return admin_pages.export(self, request)

    def triage_view(self, request, pk: int):
        return admin_pages.triage(self, request, pk)
