"""The press office's announcement form: the title and text one box per language, the session
it concerns, the audience, and files to attach."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accreditation.communications.audience import CHOOSABLE
from accreditation.communications.models import Announcement, Attachment
from accreditation.communications.services import attachment_type
from accreditation.errors import ServiceError
from accreditation.models import Status
from accreditation.roles import scoped
from events.forms import TranslationsField, TranslationsWidget
from events.models import Event, Session


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)] if data else []


class AnnouncementForm(forms.ModelForm):
    titles = TranslationsField(label=_("title"))
    bodies = TranslationsField(
        label=_("text"),
        multiline=True,
        widget=TranslationsWidget(multiline=True, attrs={"rows": 6}),
        help_text=_(
            "One box per language. A reader whose language is left empty gets the text in the "
            "event's first language, marked as such."
        ),
    )
    audience_statuses = forms.MultipleChoiceField(
        label=_("statuses"),
        choices=[(status, Status(status).label) for status in CHOOSABLE],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_(
            "None ticked: all accredited media (approved, badge issued, printed, collected). "
            "Revoked, withdrawn and rejected requests never receive announcements."
        ),
    )
    files = MultipleFileField(
        label=_("attach files"),
        required=False,
        help_text=_("PDF, JPEG or PNG (a programme, a map); sent with every e-mail."),
    )
    remove_files = forms.ModelMultipleChoiceField(
        label=_("remove attached files"),
        queryset=Attachment.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Announcement
        fields = (
            "event",
            "session",
            "titles",
            "bodies",
            "operational",
            "audience_statuses",
            "audience_session",
            "audience_country",
            "audience_outlet_type",
        )

    user = None  # set per request by the admin (for_user)

    @classmethod
    def for_user(cls, user):
        return type(cls.__name__, (cls,), {"user": user})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        events = Event.objects.all()
        sessions = Session.objects.select_related("event").order_by("event", "starts_at", "pk")
        if self.user is not None:
            events = scoped(events, self.user, "pk")
            sessions = scoped(sessions, self.user)
        if "event" in self.fields:  # not in a read-only page (a sent announcement)
            self.fields["event"].queryset = events
        for name in ("session", "audience_session"):
            if name in self.fields:
                self.fields[name].queryset = sessions
                self.fields[name].label_from_instance = lambda s: f"{s.event} · {s.display_title()}"
        if self.instance.pk and "remove_files" in self.fields:
            self.fields["remove_files"].queryset = self.instance.attachments.all()
        else:
            self.fields.pop("remove_files", None)

    def clean_files(self):
        files = self.cleaned_data.get("files") or []
        for upload in files:
            try:
                attachment_type(upload)
            except ServiceError as exc:
                raise forms.ValidationError(str(exc.message), code=exc.code) from None
        return files

    def clean(self):
        data = super().clean()
        event = data.get("event")
        if event is not None:
            for name in ("session", "audience_session"):
                session = data.get(name)
                if session is not None and session.event_id != event.pk:
                    self.add_error(name, _("Choose a session of this announcement's event."))
            first = event.staff_language
            language = str(dict(settings.LANGUAGES).get(first, first))
            for name in ("titles", "bodies"):
                if not (data.get(name) or {}).get(first):
                    self.add_error(
                        name,
                        _("Write it at least in %(language)s, the event's first language.")
                        % {"language": language},
                    )
        return data
