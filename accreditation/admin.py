"""The admin of the accreditation app: each capability registers its own pages (review/admin.py:
the requests; gate/admin.py: the scan log); here, the audit log (admin_base.py: the read-only base
the logs share). Every decision calls a service; nothing is edited by hand."""

from __future__ import annotations

from django.contrib import admin

from accreditation.admin_base import ReadOnlyAdmin
from accreditation.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Read-only: the log is append-only from the admin."""

    list_display = (
        "at",
        "action",
        "actor_label",
        "request",
        "from_status",
        "to_status",
        "ip_address",
    )
    list_filter = ("action",)
    search_fields = ("request__reference", "actor_label", "action")
    list_select_related = ("request",)
    date_hierarchy = "at"


# Each capability's admin registers its models when imported (after ReadOnlyAdmin exists).
from accreditation.gate import admin as gate_admin  # noqa: E402, F401
from accreditation.notify import admin as notify_admin  # noqa: E402, F401
from accreditation.review import admin as review_admin  # noqa: E402, F401
from accreditation.staff import admin as staff_admin  # noqa: E402, F401
