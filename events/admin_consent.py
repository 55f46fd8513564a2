"""The event's consent notices in its admin page: every text shown, never edited."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from events.models import ConsentNotice


class ConsentNoticeInline(admin.StackedInline):
    """Every text of the event's notice journalists were shown, by version and language: what
    each of them agreed to (a request names its version and language). Never edited."""

    model = ConsentNotice
    extra = 0
    can_delete = False
    classes = ("collapse",)
    fields = ("version", "language", "created_at", "sha256", "text")
    readonly_fields = fields
    verbose_name_plural = _("consent notices shown (every version, every language)")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("events.view_event")
