from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from events.models import Checkpoint, Event, Session


class SessionInline(admin.TabularInline):
    model = Session
    extra = 0
    fields = (
        "kind",
        "title",
        "titles",
        "starts_at",
        "ends_at",
        "location",
        "media_access",
        "colour",
    )


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "city",
        "starts_on",
        "ends_on",
        "accreditation_deadline",
        "security_vetting_required",
    )
    prepopulated_fields = {"slug": ("name",)}
    inlines = [SessionInline]
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "name",
                    "slug",
                    "organiser",
                    "venue",
                    "city",
                    "country",
                    "time_zone",
                    "starts_on",
                    "ends_on",
                )
            },
        ),
        (
            "Accreditation",
            {
                "fields": (
                    "accreditation_opens_at",
                    "accreditation_deadline",
                    "contact_email",
                    "languages",
                    "security_vetting_required",
                    "badge_collection_info",
                    "colour",
                )
            },
        ),
        (_("Personal data"), {"fields": ("retention_days", "consent_text", "consent_version")}),
    )
    readonly_fields = ("consent_version",)

    def save_model(self, request, obj, form, change):
        from events.services import event_save

        event_save(event=obj, changed=form.changed_data, actor=request.user)


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ("title", "event", "kind", "starts_at", "ends_at", "media_access")
    list_filter = ("event", "kind", "media_access")
    list_select_related = ("event",)


@admin.register(Checkpoint)
class CheckpointAdmin(admin.ModelAdmin):
    list_display = ("name", "event")
    list_filter = ("event",)
    filter_horizontal = ("sessions",)
