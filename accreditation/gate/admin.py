"""The scan log in the admin: read-only, the version scanned, what the phone showed, disagreements per checkpoint."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accreditation.admin_base import ReadOnlyAdmin
from accreditation.models import (
    Scan,
)
from accreditation.roles import scoped


class ScanFlagFilter(admin.SimpleListFilter):
    title = _("flag")
    parameter_name = "flag"

    def lookups(self, request, model_admin):
        from accreditation import gate

        return [(code, gate.flag_message(code)) for code in gate.FLAGS]

    def queryset(self, request, queryset):
        return queryset.filter(flag=self.value()) if self.value() else queryset


@admin.register(Scan)
class ScanAdmin(ReadOnlyAdmin):
    """Read-only: the gate's log is append-only. ``agent`` scanned; ``uploaded_by`` uploaded a
    scan made offline (on a shared phone, perhaps the next shift's agent)."""

    list_display = (
        "scanned_local",
        "checkpoint",
        "session",
        "scanned_badge",
        "holder",
        "direction",
        "decision",
        "reason",
        "phone_showed",
        "flag",
        "agent",
        "uploaded_by",
        "offline",
        "device_id",
    )
    list_filter = ("decision", "direction", "offline", ScanFlagFilter, "checkpoint")
    list_select_related = (
        "checkpoint__event",
        "session",
        "badge__request",
        "agent",
        "uploaded_by",
    )
    search_fields = (
        "badge__request__family_names",
        "badge__request__given_names",
        "badge__request__reference",
        "device_id",
        "client_scan_id",
        "agent__username",
        "uploaded_by__username",
    )
    search_help_text = _("Holder's name, request reference, badge number, device or agent.")
    date_hierarchy = "scanned_at"
    show_full_result_count = False

    def get_queryset(self, request):
        return scoped(super().get_queryset(request), request.user, "checkpoint__event")

    @admin.display(description=_("scanned (local time at the venue)"), ordering="scanned_at")
    def scanned_local(self, scan: Scan) -> str:
        """In the event's time zone, labelled: the times supervisors compare with sessions."""
        tz = scan.checkpoint.event.tz
        local = scan.scanned_at.astimezone(tz)
        return f"{local:%Y-%m-%d %H:%M:%S} ({tz.key})"  # ISO order reads the same in every language

    @admin.display(description=_("badge scanned"), ordering="badge_id")
    def scanned_badge(self, scan: Scan) -> str:
        """The version the code carried, not the badge's current one (a denied old copy)."""
        if scan.badge is None:
            return "—"
        return f"{scan.badge.number} · v{scan.badge_version or scan.badge.version}"

    @admin.display(description=_("holder"))
    def holder(self, scan: Scan) -> str:
        return scan.badge.request.full_name if scan.badge else ""

    @admin.display(description=_("phone showed"))
    def phone_showed(self, scan: Scan) -> str:
        from accreditation import gate

        if not scan.device_decision:
            return ""
        label = Scan.Decision(scan.device_decision).label
        if scan.device_reason in gate.REASONS:
            return f"{label} — {gate.reason_message(scan.device_reason)}"
        return str(label)

    def get_search_results(self, request, queryset, search_term):
        """A badge number (as printed, ``000042``, or with its version, ``000042 v2``) finds
        that badge's scans; anything else searches names, references, devices and agents."""
        number = search_term.strip().lower().replace("·", " ").split(" v")[0].strip()
        if number.isdigit() and len(number) <= 12:
            return queryset.filter(badge_id=int(number)), False
        return super().get_search_results(request, queryset, search_term)

    def changelist_view(self, request, extra_context=None):
        from accreditation import gate

        response = super().changelist_view(request, extra_context)
        if hasattr(response, "context_data"):
            cl = response.context_data["cl"]
            base = reverse("admin:accreditation_scan_changelist")
            counts = gate.disagreements_per_checkpoint(cl.root_queryset)
            for row in counts:
                row["url"] = (
                    f"{base}?flag=device_disagreed&checkpoint__id__exact={row['checkpoint__id']}"
                )
            response.context_data["disagreed_per_checkpoint"] = counts
        return response
