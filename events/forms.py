"""The admin's event forms: times in the event's time zone (read and shown as the local time at
the venue, labelled with the zone; the database keeps UTC), and texts given in each language
of the site (the event's name and venue, session titles)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable

from django import forms
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext


def zone_named(name: str | None) -> zoneinfo.ZoneInfo | None:
    """The zone called ``name``, or None (empty, unknown: the form says what is wrong)."""
    if not name:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def utc_offset(offset: dt.timedelta) -> str:
    minutes = round(offset.total_seconds() / 60)
    hours, minutes = divmod(abs(minutes), 60)
    return f"UTC{'-' if offset < dt.timedelta(0) else '+'}{hours:02d}:{minutes:02d}"


def zone_offsets(zone: dt.tzinfo, days: Iterable[dt.date]) -> list[str]:
    """The distinct offsets from UTC of ``zone`` on these days (at noon), in order."""
    offsets: list[str] = []
    for day in days:
        offset = utc_offset(dt.datetime.combine(day, dt.time(12), tzinfo=zone).utcoffset())
        if offset not in offsets:
            offsets.append(offset)
    return offsets


def event_days(starts_on: dt.date | None, ends_on: dt.date | None) -> list[dt.date]:
    if not starts_on:
        return []
    last = ends_on if ends_on and ends_on >= starts_on else starts_on
    count = min((last - starts_on).days, 366) + 1
    return [starts_on + dt.timedelta(days=n) for n in range(count)]


def local_time_note(zone: dt.tzinfo | None, days: Iterable[dt.date] = ()) -> str:
    """The help text of a time field: which local time it is."""
    if zone is None:
        return gettext("Local time at the venue, in the event's time zone.")
    offsets = zone_offsets(zone, days)
    if not offsets:
        return gettext("Local time at the venue (%(time_zone)s).") % {"time_zone": zone}
    return gettext("Local time at the venue (%(time_zone)s, %(offset)s).") % {
        "time_zone": zone,
        "offset": " / ".join(offsets),
    }


def zone_label(label: str, zone: dt.tzinfo | None) -> str:
    """A time field's label with the zone it is in: "Starts (Africa/Casablanca)"."""
    if zone is None:
        return gettext("%(field)s (event's time zone)") % {"field": label}
    return gettext("%(field)s (%(time_zone)s)") % {"field": label, "time_zone": zone}


def local_datetime(value: dt.datetime | None, zone: dt.tzinfo) -> str | None:
    """An instant as staff read it: the local time at the venue, with the zone."""
    if value is None:
        return None
    return f"{date_format(value.astimezone(zone), 'D j M Y H:i')} ({zone})"


class LocalTimesForm(forms.ModelForm):
    """A model form whose date-and-time fields are entered and shown in ``local_zone`` (the
    event's), labelled with it. The admin makes a subclass per request with the zone set
    (``in_zone``); None (a new event's zone not chosen yet) keeps the current zone."""

    local_zone: zoneinfo.ZoneInfo | None = None
    local_days: tuple[dt.date, ...] = ()

    @classmethod
    def in_zone(cls, zone: zoneinfo.ZoneInfo | None, days: Iterable[dt.date] = ()):
        return type(cls.__name__, (cls,), {"local_zone": zone, "local_days": tuple(days)})

    @classmethod
    def time_field_names(cls) -> list[str]:
        return [f.name for f in cls._meta.model._meta.fields if isinstance(f, models.DateTimeField)]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        zone = self.local_zone
        note = local_time_note(zone, self.local_days)
        for name in self.time_field_names():
            field = self.fields.get(name)
            if field is None:
                continue
            field.label = zone_label(field.label, zone)
            field.help_text = f"{note} {field.help_text}" if field.help_text else note
            value = self.initial.get(name)
            if zone is not None and isinstance(value, dt.datetime) and timezone.is_aware(value):
                # Shown as the local wall time whatever zone is current when rendering.
                self.initial[name] = timezone.make_naive(value, zone)

    def full_clean(self):
        # Typed times are read in the event's zone (a time that does not exist there, or
        # exists twice, is refused by Django's own fields).
        if self.local_zone is None:
            return super().full_clean()
        with timezone.override(self.local_zone):
            return super().full_clean()


class TranslationsWidget(forms.MultiWidget):
    """One text box per language of the site, each labelled and written in its direction."""

    template_name = "events/translations_widget.html"

    def __init__(self, attrs=None, *, multiline: bool = False):
        self.languages = [code for code, _name in settings.LANGUAGES]
        widgets = []
        for code, name in settings.LANGUAGES:
            box = {"lang": code, "aria-label": str(name), "placeholder": str(name)}
            if code in settings.LANGUAGES_BIDI:
                box["dir"] = "rtl"
            box.update(attrs or {})
            widgets.append(
                forms.Textarea(attrs={"rows": 2, **box})
                if multiline
                else forms.TextInput(attrs=box)
            )
        super().__init__(widgets, attrs)

    def decompress(self, value):
        value = value or {}
        return [value.get(code, "") for code in self.languages]


class TranslationsField(forms.MultiValueField):
    """A text in the site's languages, kept as {"fr": "…", "ar": "…"} (empty ones left out):
    staff type each language in its own box instead of editing JSON."""

    widget = TranslationsWidget

    def __init__(self, *, multiline: bool = False, **kwargs):
        kwargs.pop("encoder", None)
        kwargs.pop("decoder", None)
        self.multiline = multiline
        length = None if multiline else 200
        fields = [forms.CharField(required=False, max_length=length) for _ in settings.LANGUAGES]
        kwargs.setdefault("widget", TranslationsWidget(multiline=multiline))
        super().__init__(fields, require_all_fields=False, required=False, **kwargs)

    def compress(self, data_list):
        codes = [code for code, _name in settings.LANGUAGES]
        pairs = zip(codes, data_list or [], strict=False)
        tidy = str.strip if self.multiline else (lambda text: " ".join(text.split()))
        return {code: tidy(text) for code, text in pairs if text and text.strip()}
