"""The interview forms: the journalist's request, the contact's answers (times entered in the
event's local time) and the press office's triage. They parse; the services decide."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accreditation.interviews.models import Format, InterviewRequest, InterviewTarget
from accreditation.interviews.services import (
    OUTSIDE_EVENT,
    UNKNOWN_TARGET,
    preferred_time_choices,
)
from accreditation.interviews.workflow import OPEN
from events.forms import TranslationsField
from events.models import Session

HALF_LABELS = {"am": _("morning"), "pm": _("afternoon")}


def preferred_time_label(value: str) -> str:
    day, half = value.split("/")
    return f"{date_format(dt.date.fromisoformat(day), 'D j M')}, {HALF_LABELS[half]}"


class InterviewAskForm(forms.Form):
    target = forms.ModelChoiceField(
        label=_("Interview with"),
        queryset=InterviewTarget.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": UNKNOWN_TARGET},
    )
    topic = forms.CharField(
        label=_("Topic"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What you would like to ask about, in a few lines."),
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages you can work in"),
        choices=settings.LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
    )
    format = forms.ChoiceField(label=_("Format"), choices=Format.choices, widget=forms.RadioSelect)
    preferred_times = forms.MultipleChoiceField(
        label=_("Preferred times"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Local time at the venue. Leave empty if any time suits you."),
        error_messages={"invalid_choice": OUTSIDE_EVENT},
    )

    def __init__(self, *args, event, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = InterviewTarget.objects.filter(event=event, active=True)
        self.fields["target"].label_from_instance = lambda target: target.display_name()
        self.fields["preferred_times"].choices = [
            (value, preferred_time_label(value)) for value in preferred_time_choices(event)
        ]


DURATIONS = (15, 20, 30, 45, 60)  # minutes
SLOT_FIELDS = 3


class ProposeForm(forms.Form):
    """The contact's proposal: up to three times (local time at the venue) and one place."""

    place = forms.CharField(label=_("Place"), max_length=200)
    note = forms.CharField(
        label=_("A word for the journalist (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, event, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = event.tz
        day_min, day_max = event.starts_on.isoformat(), event.ends_on.isoformat()
        for n in range(1, SLOT_FIELDS + 1):
            self.fields[f"starts_{n}"] = forms.DateTimeField(
                label=_("Time %(n)d") % {"n": n},
                required=n == 1,
                input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
                widget=forms.DateTimeInput(
                    attrs={
                        "type": "datetime-local",
                        "min": f"{day_min}T00:00",
                        "max": f"{day_max}T23:59",
                    },
                    format="%Y-%m-%dT%H:%M",
                ),
            )
            self.fields[f"minutes_{n}"] = forms.TypedChoiceField(
                label=_("Length"),
                required=False,
                choices=[(m, gettext("%(minutes)d min") % {"minutes": m}) for m in DURATIONS],
                coerce=int,
                initial=30,
            )
        self.order_fields(
            [name for n in range(1, SLOT_FIELDS + 1) for name in (f"starts_{n}", f"minutes_{n}")]
        )

    def full_clean(self):
        with timezone.override(self.zone):  # typed times are the venue's
            return super().full_clean()

    def slots(self) -> list[tuple[dt.datetime, dt.datetime]]:
        found = []
        for n in range(1, SLOT_FIELDS + 1):
            starts = self.cleaned_data.get(f"starts_{n}")
            if starts:
                minutes = self.cleaned_data.get(f"minutes_{n}") or 30
                found.append((starts, starts + dt.timedelta(minutes=minutes)))
        return found

    def slot_rows(self):
        return [(self[f"starts_{n}"], self[f"minutes_{n}"]) for n in range(1, SLOT_FIELDS + 1)]


class ContactDeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional, told to the journalist)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class QuestionForm(forms.Form):
    question = forms.CharField(
        label=_("Your question to the press office"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class TextForm(forms.Form):
    text = forms.CharField(
        label=_("Message to the contact"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class MergeForm(forms.Form):
    into = forms.ModelChoiceField(
        label=_("Group interview"), queryset=InterviewRequest.objects.none(), required=False
    )
    session = forms.ModelChoiceField(
        label=_("Press point"), queryset=Session.objects.none(), required=False
    )
    note = forms.CharField(
        label=_("Note to the journalist"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, interview: InterviewRequest, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["into"].queryset = (
            InterviewRequest.objects.filter(
                target_id=interview.target_id,
                status__in=[*OPEN, "confirmed"],
                merged_into__isnull=True,
            )
            .exclude(pk=interview.pk)
            .select_related("request", "target")
        )
        self.fields["into"].label_from_instance = lambda other: (
            f"{other.request.full_name} ({other.request.outlet_name}) — "
            f"{other.get_status_display()}"
        )
        self.fields["session"].queryset = Session.objects.filter(
            event_id=interview.event_id
        ).open_to_media()


class TargetForm(forms.ModelForm):
    names = TranslationsField(label=_("Name in other languages"))

    class Meta:
        model = InterviewTarget
        fields = [
            "event",
            "kind",
            "country",
            "name",
            "names",
            "contact_name",
            "contact_email",
            "contact_language",
            "active",
        ]

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == InterviewTarget.Kind.DELEGATION and not data.get("country"):
            self.add_error("country", _("A delegation is named by its country."))
        if kind == InterviewTarget.Kind.OFFICIAL and not data.get("name"):
            self.add_error("name", _("Name the official or the office."))
        return data
