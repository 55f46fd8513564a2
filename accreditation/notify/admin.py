"""Background tasks in the admin: what is queued, running, done or failed for good (an e-mail
the mail server kept refusing, a check that could not read its file), with a retry action.
Read-only otherwise; a task's arguments (which may hold a question or a reason) are not shown."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accreditation.admin_base import ReadOnlyAdmin
from accreditation.models import AccreditationRequest, OutboxTask
from accreditation.notify import outbox

TASK_LABELS = {
    "accreditation.send_request_email": _("E-mail to a journalist"),
    "accreditation.send_contact_notice": _("Notice to the press office"),
    "accreditation.send_late_admission": _("Late-admission e-mail"),
    "accreditation.send_address_check": _("Link to the form (address check)"),
    "accreditation.send_answer_notice": _("Answer notice to the reviewer who asked"),
    "accreditation.run_checks": _("Document checks"),
    "accreditation.issue_badge": _("Badge issue"),
    "accreditation.render_print_batch": _("Print batch"),
    "accreditation.update_badge_sessions": _("Badge: sessions changed"),
    "outlets.send_email": _("E-mail about an outlet or its crew"),
    "outlets.check_proof": _("Outlet proof checks"),
    "interviews.send_email": _("Interview e-mail"),
    "communications.plan_announcement": _("Announcement: its recipients"),
    "communications.send_announcement_batch": _("Announcement: a batch of e-mails"),
}
STATES = {
    "waiting": _("waiting for the broker"),
    "queued": _("queued"),
    "running": _("running"),
    "done": _("done"),
    "failed": _("failed"),
}


class StateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("failed", STATES["failed"]), ("open", _("not done")), ("done", STATES["done"])]

    def queryset(self, request, queryset):
        if self.value() == "failed":
            return queryset.filter(failed_at__isnull=False, completed_at__isnull=True)
        if self.value() == "open":
            return queryset.filter(completed_at__isnull=True, failed_at__isnull=True)
        if self.value() == "done":
            return queryset.filter(completed_at__isnull=False)
        return queryset


@admin.register(OutboxTask)
class OutboxTaskAdmin(ReadOnlyAdmin):
    list_display = ("pk", "task", "concerns", "state_label", "runs", "created_at", "error")
    list_filter = (StateFilter, "task_name")
    fields = (
        "task",
        "concerns",
        "state_label",
        "runs",
        "attempts",
        "created_at",
        "dispatched_at",
        "started_at",
        "completed_at",
        "failed_at",
        "last_error",
    )
    readonly_fields = fields
    actions = ["retry"]

    @admin.display(description=_("task"))
    def task(self, obj):
        return TASK_LABELS.get(obj.task_name, obj.task_name)

    @admin.display(description=_("concerns"))
    def concerns(self, obj):
        request_id = (obj.kwargs or {}).get("request_id")
        if request_id is None:
            return "—"
        ref = AccreditationRequest.objects.filter(pk=request_id).values_list("reference", flat=True)
        return ref.first() or "—"

    @admin.display(description=_("state"))
    def state_label(self, obj):
        return STATES[obj.state]

    @admin.display(description=_("last error"))
    def error(self, obj):
        return (obj.last_error or "")[:120]

    @admin.action(description=_("Retry the selected failed tasks"))
    def retry(self, request, queryset):
        sent = outbox.retry(list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            ngettext("%(count)d task sent again.", "%(count)d tasks sent again.", sent)
            % {"count": sent},
            messages.SUCCESS,
        )

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.has_perm("accreditation.retry_outboxtask"):
            actions.pop("retry", None)
        return actions
