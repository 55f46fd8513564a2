"""What the admin pages of every capability share (imported by accreditation/admin.py and each
capability's admin.py; imports nothing of ours, so no admin module imports another)."""

from __future__ import annotations

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """For the append-only logs: listed and opened, never added, changed or deleted here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
