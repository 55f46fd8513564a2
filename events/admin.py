from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from events.models import Checkpoint, Event, Session
from events.services import sessions_of_another_event


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

    def get_readonly_fields(self, request, obj=None):
        # A session stays in its event: badges grant it by id, checkpoints of that event serve it.
        return ("event",) if obj is not None else ()


class CheckpointForm(forms.ModelForm):
    class Meta:
        model = Checkpoint
        fields = ("event", "name", "sessions")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        sessions = self.fields["sessions"]
        sessions.queryset = Session.objects.select_related("event").order_by("event", "starts_at")
        sessions.label_from_instance = lambda s: f"{s.event} · {s}"

    def clean(self):
        data = super().clean()
        event = data.get("event")  # None: the form already says the event is missing
        foreign = (
            sessions_of_another_event(event=event, sessions=data.get("sessions") or ())
            if event is not None
            else []
        )
        if foreign:
            self.add_error(
                "sessions",
                _(
                    "A checkpoint serves sessions of its own event only; of another event: "
                    "%(sessions)s."
                )
                % {"sessions": ", ".join(f"{s} ({s.event})" for s in foreign)},
            )
        return data


@admin.register(Checkpoint)
class CheckpointAdmin(admin.ModelAdmin):
    form = CheckpointForm
    list_display = ("name", "event")
    list_filter = ("event",)
    list_select_related = ("event",)
    filter_horizontal = ("sessions",)
