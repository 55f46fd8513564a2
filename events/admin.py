import datetime as dt

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accreditation import gate
from accreditation.communications.proposals import session_changes_saved
from accreditation.review import capacity
from events import timeline
from events.admin_consent import ConsentNoticeInline
from events.forms import (
    LocalTimesForm,
    TranslationsField,
    event_days,
    local_datetime,
    local_time_note,
    zone_label,
    zone_named,
)
from events.models import Checkpoint, Event, Session
from events.services import sessions_of_another_event

# --- Times in the event's time zone ---------------------------------------------------------
#
# The database keeps UTC; staff read and type the local time at the venue. A form made per
# request (LocalTimesForm.in_zone) reads and shows its times in the event's zone and labels
# them; the change page is rendered with that zone current too (Django's "Now" shortcut and
# its note about the server's time then speak of the venue's time). Staff who may only view
# see each time with its zone.


def _pk(object_id) -> int | None:
    value = unquote(str(object_id)) if object_id is not None else ""
    return int(value) if value.isdigit() else None


def _event_zone(event_id, posted_zone: str | None = None):
    """The zone (and days) an event's times are shown and read in: the saved one (what the
    labels say, even while the form changes it); a new event's, the one posted."""
    saved = (
        Event.objects.filter(pk=_pk(event_id))
        .values_list("time_zone", "starts_on", "ends_on")
        .first()
        if _pk(event_id) is not None
        else None
    )
    if saved is None:
        return zone_named(posted_zone), ()
    name, starts_on, ends_on = saved
    return zone_named(name), tuple(event_days(starts_on, ends_on))


def _render_in(zone, view, *args, **kwargs):
    """Run an admin view and render its page with ``zone`` current."""
    if zone is None:
        return view(*args, **kwargs)
    with timezone.override(zone):
        response = view(*args, **kwargs)
        if hasattr(response, "render") and not response.is_rendered:
            response.render()
    return response


def _field_label(model, name: str):
    return model._meta.get_field(name).verbose_name


def local_display(model, name: str, event_of):
    """A read-only column or field showing a time in its event's zone, with the zone."""

    @admin.display(description=_field_label(model, name), ordering=name)
    def display(self, obj):
        return local_datetime(getattr(obj, name), event_of(obj).tz)

    return display


class LocalTimesAdminMixin:
    """Time fields in the event's zone; for staff who may only view, the local time and zone
    as text (``local_displays``: field → read-only display)."""

    local_displays: dict[str, str] = {}

    def only_views(self, request, obj) -> bool:
        return obj is not None and not self.has_change_permission(request, obj)

    def _swap(self, fields):
        return [
            self._swap(f) if isinstance(f, list | tuple) else self.local_displays.get(f, f)
            for f in fields
        ]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not self.only_views(request, obj):
            return fieldsets
        return [
            (name, {**options, "fields": self._swap(options["fields"])})
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        if self.only_views(request, obj):
            readonly += tuple(self.local_displays.values())
        return readonly


def warn_about(request, checkpoints) -> None:
    """The gate's warnings about each checkpoint's sessions, as admin messages."""
    for checkpoint in checkpoints:
        for message in timeline.warning_messages(checkpoint):
            messages.warning(request, message)


def _page_follows(request) -> bool:
    """Whether a save is followed by the same change page (which warns itself)."""
    return "_continue" in request.POST


class SessionForm(LocalTimesForm):
    titles = TranslationsField(label=_("title in other languages"))


# What staff edit of a session, on the event's page and on the session's own.
SESSION_FIELDS = (
    "kind",
    "title",
    "titles",
    "starts_at",
    "ends_at",
    "location",
    "media_access",
    "media_capacity",
    "colour",
)


class SessionInline(LocalTimesAdminMixin, admin.TabularInline):
    model = Session
    form = SessionForm
    extra = 0
    fields = SESSION_FIELDS
    local_displays = {"starts_at": "starts_at_local", "ends_at": "ends_at_local"}
    starts_at_local = local_display(Session, "starts_at", lambda s: s.event)
    ends_at_local = local_display(Session, "ends_at", lambda s: s.event)

    def only_views(self, request, obj) -> bool:
        return not (
            self.has_change_permission(request, obj) or self.has_add_permission(request, obj)
        )

    def get_formset(self, request, obj=None, **kwargs):
        zone, days = _event_zone(obj.pk if obj else None, request.POST.get("time_zone"))
        kwargs["form"] = self.form.in_zone(zone, days)
        return super().get_formset(request, obj, **kwargs)


class EventForm(LocalTimesForm):
    names = TranslationsField(label=_("name in other languages"))
    venues = TranslationsField(label=_("venue in other languages"))
    badge_collection_infos = TranslationsField(
        label=_("where and when to collect badges, in other languages"), multiline=True
    )
    consent_texts = TranslationsField(
        label=_("consent text in other languages"),
        multiline=True,
        help_text=_(
            "Empty: the consent text above, or when it is empty too, Presspass's own notice "
            "translated. Each text shown is kept with its version."
        ),
    )
    # Ticked rather than typed as JSON (printed in the site's order).
    badge_languages = forms.MultipleChoiceField(
        label=_("languages printed on badges"),
        choices=settings.LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=Event._meta.get_field("badge_languages").help_text,
    )


@admin.register(Event)
class EventAdmin(LocalTimesAdminMixin, admin.ModelAdmin):
    form = EventForm
    filter_horizontal = ("staff",)
    list_display = (
        "name",
        "city",
        "starts_on",
        "ends_on",
        "accreditation_deadline_local",
        "time_zone",
        "security_vetting_required",
    )
    prepopulated_fields = {"slug": ("name",)}
    inlines = [SessionInline, ConsentNoticeInline]
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "name",
                    "names",
                    "slug",
                    "organiser",
                    "venue",
                    "venues",
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
                    "contact_language",
                    "languages",
                    "badge_languages",
                    "ask_for_replacements",
                    "security_vetting_required",
                    "second_approval",
                    "staff",
                    "badge_collection_info",
                    "badge_collection_infos",
                    "colour",
                )
            },
        ),
        (
            _("Personal data"),
            {
                "fields": (
                    "document_retention_days",
                    "retention_days",
                    "consent_text",
                    "consent_texts",
                    "consent_version",
                    "privacy_documents",
                )
            },
        ),
    )
    readonly_fields = ("consent_version", "privacy_documents")
    local_displays = {
        "accreditation_opens_at": "accreditation_opens_at_local",
        "accreditation_deadline": "accreditation_deadline_local",
    }
    accreditation_opens_at_local = local_display(Event, "accreditation_opens_at", lambda e: e)
    accreditation_deadline_local = local_display(Event, "accreditation_deadline", lambda e: e)

    @admin.display(description=_("processing register"))
    def privacy_documents(self, obj) -> str:
        """The register for the data-protection authority (supervisors; accreditation.privacy)."""
        if obj is None or obj.pk is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("privacy:register", kwargs={"pk": obj.pk}),
            gettext("The processing register of this event (for the CNDP declaration)"),
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        zone, days = _event_zone(obj.pk if obj else None, request.POST.get("time_zone"))
        return form.in_zone(zone, days)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        zone, _days = _event_zone(object_id, request.POST.get("time_zone"))
        if (
            object_id
            and request.method == "GET"
            and request.user.has_perm("events.view_checkpoint")
        ):
            warn_about(
                request, Checkpoint.objects.filter(event_id=_pk(object_id)).select_related("event")
            )
        return _render_in(
            zone, super().changeform_view, request, object_id, form_url, extra_context
        )

    def save_model(self, request, obj, form, change):
        from events.services import event_save

        event_save(event=obj, changed=form.changed_data, actor=request.user)
        if change and "time_zone" in form.changed_data:
            messages.info(
                request,
                gettext(
                    "The event's time zone is now %(time_zone)s. Its times and its sessions' "
                    "times have not moved (the same instants) and are now shown in "
                    "%(time_zone)s: check them."
                )
                % {"time_zone": obj.time_zone},
            )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        for formset in formsets:  # a session's time or place changed: propose the announcement
            if formset.model is Session:
                session_changes_saved(request, formset.changed_objects)
                for session, changed in formset.changed_objects:
                    if "media_capacity" in changed:  # more places: the waiting line moves now
                        capacity.capacity_changed(session=session)
        if not _page_follows(request):
            warn_about(request, form.instance.checkpoints.select_related("event"))


@admin.register(Session)
class SessionAdmin(LocalTimesAdminMixin, admin.ModelAdmin):
    form = SessionForm
    fields = ("event", *SESSION_FIELDS)
    list_display = (
        "title",
        "event",
        "kind",
        "starts_at_local",
        "ends_at_local",
        "media_access",
    )
    list_filter = ("event", "kind", "media_access")
    list_select_related = ("event",)
    local_displays = {"starts_at": "starts_at_local", "ends_at": "ends_at_local"}
    starts_at_local = local_display(Session, "starts_at", lambda s: s.event)
    ends_at_local = local_display(Session, "ends_at", lambda s: s.event)

    def get_readonly_fields(self, request, obj=None):
        # A session stays in its event: badges grant it by id, checkpoints of that event serve it.
        readonly = super().get_readonly_fields(request, obj)
        return ("event", *readonly) if obj is not None else readonly

    def _event_id(self, request, obj):
        """The session's event; a new session's, the one chosen (posted) or asked for."""
        if obj is not None:
            return obj.event_id
        return request.POST.get("event") if request.method == "POST" else request.GET.get("event")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        zone, days = _event_zone(self._event_id(request, obj))
        return form.in_zone(zone, days)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        session = (
            Session.objects.filter(pk=_pk(object_id)).first() if object_id is not None else None
        )
        if object_id is not None and session is None:
            zone = None
        else:
            zone, _days = _event_zone(self._event_id(request, session))
        return _render_in(
            zone, super().changeform_view, request, object_id, form_url, extra_context
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change:  # its time or place changed: propose the announcement
            session_changes_saved(request, [(obj, form.changed_data)])
        if change and "media_capacity" in form.changed_data:
            capacity.capacity_changed(session=obj)  # more places: the waiting line moves now
        if not _page_follows(request):
            warn_about(request, obj.checkpoints.select_related("event"))


# --- Checkpoints ------------------------------------------------------------------------------


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
    list_display = ("name", "event", "timeline_link")
    list_filter = ("event",)
    list_select_related = ("event",)
    filter_horizontal = ("sessions",)

    def get_urls(self):
        # Before the admin's own: its "<path:object_id>/" would take "<id>/timeline/".
        return [
            path(
                "<path:object_id>/timeline/",
                self.admin_site.admin_view(self.timeline_view),
                name="events_checkpoint_timeline",
            ),
            *super().get_urls(),
        ]

    @admin.display(description=_("Gate timeline"))
    def timeline_link(self, obj):
        url = reverse(f"{self.admin_site.name}:events_checkpoint_timeline", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("Hour by hour"))

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if object_id and request.method == "GET":
            checkpoint = self.get_object(request, unquote(object_id))
            if checkpoint is not None and self.has_view_permission(request, checkpoint):
                warn_about(request, [checkpoint])
        return super().changeform_view(request, object_id, form_url, extra_context)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)  # the sessions, then the warnings
        if not _page_follows(request):
            warn_about(request, [form.instance])

    def timeline_view(self, request, object_id):
        """Per day, which session the gate applies to an entry at each hour and what it
        answers media (accreditation.gate.checkpoint_timeline, the functions a scan uses)."""
        checkpoint = self.get_object(request, unquote(object_id))
        if checkpoint is None:
            raise Http404(gettext("There is no such checkpoint."))
        if not self.has_view_permission(request, checkpoint):
            raise PermissionDenied
        event = checkpoint.event
        tz = event.tz
        windows = gate.checkpoint_windows(checkpoint)
        days = timeline.window_days(windows, tz)
        day = timeline.parse_day(request.GET.get("day")) or timeline.default_day(
            event, days, timezone.now().astimezone(tz).date()
        )
        rows, hours = timeline.day_rows(windows, day=day, tz=tz)
        for message in timeline.warning_messages(checkpoint, windows):
            messages.warning(request, message)
        one_day = dt.timedelta(days=1)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Gate timeline of %(checkpoint)s") % {"checkpoint": checkpoint},
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "original": checkpoint,
            "event": event,
            "time_zone": tz,
            "zone_note": local_time_note(tz, [day]),
            "day": day,
            "day_label": date_format(day, "l j F Y"),
            "previous_day": day - one_day,
            "next_day": day + one_day,
            "days": [(d, date_format(d, "D j M")) for d in days],
            "rows": rows,
            "hours": hours,
            "windows": timeline.window_rows(windows, tz),
            "labels": {
                "session": capfirst(Session._meta.verbose_name),
                "media_access": capfirst(_field_label(Session, "media_access")),
                "starts": zone_label(capfirst(_field_label(Session, "starts_at")), tz),
                "ends": zone_label(capfirst(_field_label(Session, "ends_at")), tz),
                "opens": zone_label(gettext("Gate admits from"), tz),
                "closes": zone_label(gettext("Gate admits until"), tz),
            },
            "has_change_permission": self.has_change_permission(request, checkpoint),
        }
        return TemplateResponse(request, "admin/events/checkpoint/timeline.html", context)
