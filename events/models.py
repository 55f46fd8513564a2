"""What happens where and when: events and their sessions."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            _("%(value)s is not a known time zone."), params={"value": value}
        ) from None


def validate_languages(value: list) -> None:
    known = {code for code, _name in settings.LANGUAGES}
    if not isinstance(value, list) or not value or any(code not in known for code in value):
        raise ValidationError(
            _("Choose one or more of: %(codes)s."), params={"codes": ", ".join(sorted(known))}
        )


def default_languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def validate_badge_languages(value: list) -> None:
    if value:
        validate_languages(value)


def in_language(translations: dict, default: str, language: str | None = None) -> str:
    """One rule for the event's translated texts (its name, venue, session titles): the text
    in ``language`` (the active one by default) if staff gave it, the default text otherwise."""
    language = (language or get_language() or "en")[:2]
    return (translations or {}).get(language) or default


class Event(models.Model):
    name = models.CharField(_("name"), max_length=200)
    # The name and venue in the other languages of the site ({"fr": "…", "ar": "…"}), shown to
    # each reader in theirs (display_name, display_venue); the fields above otherwise.
    names = models.JSONField(_("name in other languages"), default=dict, blank=True)
    slug = models.SlugField(
        _("slug"), unique=True, help_text=_("Part of the public form's address.")
    )
    organiser = models.CharField(_("organiser"), max_length=200, blank=True)
    venue = models.CharField(_("venue"), max_length=200)
    venues = models.JSONField(_("venue in other languages"), default=dict, blank=True)
    city = models.CharField(_("city"), max_length=100)
    country = CountryField(_("host country"))
    time_zone = models.CharField(_("time zone"), max_length=64, validators=[validate_time_zone])
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    accreditation_opens_at = models.DateTimeField(_("accreditation opens"))
    accreditation_deadline = models.DateTimeField(_("accreditation deadline"))
    contact_email = models.EmailField(
        _("accreditation contact address"),
        help_text=_("Receives a notice of each request; journalists' replies go here."),
    )
    contact_language = models.CharField(
        _("language of the notices to the contact address"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Empty: the event's first language."),
    )
    languages = models.JSONField(
        _("languages"), default=default_languages, validators=[validate_languages]
    )
    retention_days = models.PositiveIntegerField(
        _("retention of personal data (days after the event)"), default=90
    )
    document_retention_days = models.PositiveIntegerField(
        _("retention of documents and photos (days after the event)"),
        default=30,
        help_text=_(
            "Identity documents, photos and badges are deleted this many days after the event; "
            "names and decisions are kept until the retention of personal data ends."
        ),
    )
    security_vetting_required = models.BooleanField(_("security vetting required"), default=False)
    second_approval = models.BooleanField(
        _("approval by two reviewers"),
        default=False,
        help_text=_(
            "A request is approved, and its badge issued, only once a second reviewer "
            "approves it too."
        ),
    )
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="assigned_events",
        verbose_name=_("staff assigned"),
        help_text=_(
            "Reviewers and supervisors named here work on this event only (its "
            "requests, documents, exports and gates). Staff assigned to no event work "
            "on every event."
        ),
    )
    badge_collection_info = models.TextField(_("where and when to collect badges"), blank=True)
    badge_collection_infos = models.JSONField(
        _("where and when to collect badges, in other languages"), default=dict, blank=True
    )
    colour = models.CharField(_("badge colour"), max_length=7, default="#0B3D91")

    class BadgeFormat(models.TextChoices):
        CR80 = "cr80", _("CR80 card (85.6 × 54 mm), for card printers")
        A6 = "a6", _("A6 lanyard badge")

    ask_for_replacements = models.BooleanField(
        _("ask journalists for new files by themselves"),
        default=True,
        help_text=_(
            "When a document has a problem the journalist can fix (a blurred or black and "
            "white photo, a PDF of hundreds of pages or with active content), the checks ask "
            "them for another file at once, in their language. Otherwise staff decide."
        ),
    )
    badge_languages = models.JSONField(
        _("languages printed on badges"),
        default=list,
        blank=True,
        validators=[validate_badge_languages],
        help_text=_(
            "The languages of the words on every badge, together (e.g. French and Arabic, as "
            "the host prints them), whatever the holder's language. Empty: the event's first "
            "language."
        ),
    )
    badge_format = models.CharField(
        _("badge format"), max_length=8, choices=BadgeFormat.choices, default=BadgeFormat.CR80
    )
    doors_open_minutes = models.PositiveIntegerField(
        _("doors open (minutes before a session)"), default=60
    )
    open_session_default_minutes = models.PositiveIntegerField(
        _("admission to an open session without an announced end (minutes after its start)"),
        default=120,
        help_text=_(
            "A session open to media whose end is not announced admits this long after its "
            "start, and never once the next session at the same checkpoint opens its doors."
        ),
    )
    gate_list_max_age_minutes = models.PositiveIntegerField(
        _("gate list stale after (minutes)"),
        default=30,
        help_text=_(
            "A gate phone deciding offline warns when its revocation list is older than this."
        ),
    )
    gate_stale_list_blocks = models.BooleanField(
        _("gates stop admitting on a stale list"),
        default=False,
        help_text=_(
            "Offline, a gate whose list is older than the limit above denies every badge until "
            "it synchronises again."
        ),
    )
    consent_text = models.TextField(
        _("consent text"),
        help_text=_(
            "The data-protection notice the journalist agrees to. Changing it creates a new version."
        ),
        default="",
        blank=True,
    )
    # The notice in the other languages of the site ({"fr": "…", "ar": "…"}); consent_text
    # otherwise, and Presspass's own translated notice when both are empty.
    consent_texts = models.JSONField(_("consent text in other languages"), default=dict, blank=True)
    consent_version = models.PositiveIntegerField(
        _("consent text version"), default=1, editable=False
    )

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="event_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(accreditation_deadline__gt=models.F("accreditation_opens_at")),
                name="event_deadline_after_opening",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The last day cannot be before the first day.")})
        if (
            self.accreditation_opens_at
            and self.accreditation_deadline
            and self.accreditation_deadline <= self.accreditation_opens_at
        ):
            raise ValidationError(
                {"accreditation_deadline": _("The deadline must be after the opening.")}
            )
        if (
            self.document_retention_days is not None
            and self.retention_days is not None
            and self.document_retention_days > self.retention_days
        ):
            raise ValidationError(
                {
                    "document_retention_days": _(
                        "Documents cannot be kept longer than the personal data they belong to."
                    )
                }
            )

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def accreditation_state(self, now: dt.datetime | None = None) -> str:
        """'not_open', 'open' or 'closed' at the given instant. A deadline given to the second
        includes its whole last second: "until 23:59:59" takes a form sent at 23:59:59.4."""
        now = now or timezone.now()
        if now < self.accreditation_opens_at:
            return "not_open"
        if now >= self.accreditation_closes_at:
            return "closed"
        return "open"

    def display_name(self, language: str | None = None) -> str:
        """The event's name in ``language`` (the active one by default)."""
        return in_language(self.names, self.name, language)

    def display_venue(self, language: str | None = None) -> str:
        return in_language(self.venues, self.venue, language)

    def display_collection_info(self, language: str | None = None) -> str:
        return in_language(self.badge_collection_infos, self.badge_collection_info, language)

    def display_consent_text(self, language: str | None = None) -> str:
        """The notice staff wrote, in ``language``; empty when they wrote none (the form then
        shows Presspass's own, accreditation.privacy.notice)."""
        return in_language(self.consent_texts, self.consent_text, language)

    @property
    def accreditation_closes_at(self) -> dt.datetime:
        """The first instant after the deadline: the deadline's whole second is in it."""
        deadline = self.accreditation_deadline
        return deadline.replace(microsecond=0) + dt.timedelta(seconds=1)

    @property
    def notice_language(self) -> str:
        """The language of what the contact address receives (a notice per request)."""
        return self.contact_language or self.staff_language

    @property
    def badge_label_languages(self) -> list[str]:
        return list(self.badge_languages) or [self.staff_language]

    @property
    def staff_language(self) -> str:
        """The language of what the event's own staff read (the contact address's notices,
        check results, printed batches): the event's first language."""
        return self.languages[0] if self.languages else settings.LANGUAGE_CODE

    def local_deadline(self) -> dt.datetime:
        return self.accreditation_deadline.astimezone(self.tz)

    @property
    def document_days(self) -> int:
        """How many days after the event its documents, photos and badges are kept (never
        longer than its personal data)."""
        return min(self.document_retention_days, self.retention_days)

    @property
    def documents_until(self) -> dt.date:
        """The last day the event's documents, photos and badges are kept."""
        return self.ends_on + dt.timedelta(days=self.document_days)

    @property
    def personal_data_until(self) -> dt.date:
        """The last day the event's personal data are kept (and the journalists' links work):
        the event's end plus its retention period."""
        return self.ends_on + dt.timedelta(days=self.retention_days)

    def ends_at(self) -> dt.datetime:
        """The end of the event's last day, in its time zone."""
        return dt.datetime.combine(self.ends_on, dt.time.max, tzinfo=self.tz)


def media_may_enter(media_access: str) -> bool:
    """The one rule of what "open to media" means: every access but "closed" (a session "on
    request" admits the media badges granted it). The gate's windows, the session model and
    its query sets all ask this."""
    return media_access != Session.MediaAccess.CLOSED


class SessionQuerySet(models.QuerySet):
    def open_to_media(self):
        """The sessions media may be granted (see media_may_enter)."""
        return self.exclude(media_access=Session.MediaAccess.CLOSED)


class Session(models.Model):
    class Kind(models.TextChoices):
        OPENING = "opening", _("Opening ceremony")
        PLENARY = "plenary", _("Plenary session")
        WORKING = "working", _("Working session")
        CLOSING = "closing", _("Closing ceremony")
        PRESS_CONFERENCE = "press_conference", _("Press conference")
        OTHER = "other", _("Other")

    class MediaAccess(models.TextChoices):
        OPEN = "open", _("Open to accredited media")
        CLOSED = "closed", _("Closed to media")
        ON_REQUEST = "on_request", _("On request")

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("event")
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    titles = models.JSONField(
        _("title in other languages"),
        default=dict,
        blank=True,
        help_text=_('For example {"fr": "Cérémonie d\'ouverture", "ar": "حفل الافتتاح"}.'),
    )
    starts_at = models.DateTimeField(
        _("starts"), null=True, blank=True, help_text=_("Leave empty until announced.")
    )
    ends_at = models.DateTimeField(
        _("ends"), null=True, blank=True, help_text=_("Leave empty until announced.")
    )
    location = models.CharField(_("location"), max_length=200, blank=True)
    media_capacity = models.PositiveIntegerField(
        _("places for the media"),
        null=True,
        blank=True,
        help_text=_(
            "Seats in the press tribune or places in the pool. Approvals grant the session while "
            "places are left; then people wait in line, in order. Empty: no limit."
        ),
    )
    media_access = models.CharField(_("media access"), max_length=16, choices=MediaAccess.choices)
    colour = models.CharField(_("badge label colour"), max_length=7, default="#1B7F3B")

    objects = SessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["event", models.F("starts_at").asc(nulls_last=True), "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts_at__isnull=True)
                | models.Q(ends_at__isnull=True)
                | models.Q(ends_at__gt=models.F("starts_at")),
                name="session_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.display_title()

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("The end must be after the start.")})

    def display_title(self, language: str | None = None) -> str:
        return in_language(self.titles, self.title, language)

    @property
    def open_to_media(self) -> bool:
        return media_may_enter(self.media_access)

    @property
    def announced(self) -> bool:
        return self.starts_at is not None


class Checkpoint(models.Model):
    """An entrance where gate agents scan badges; it serves one or more sessions."""

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="checkpoints", verbose_name=_("event")
    )
    name = models.CharField(_("name"), max_length=120)
    sessions = models.ManyToManyField(
        Session, related_name="checkpoints", verbose_name=_("sessions served")
    )

    class Meta:
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")
        ordering = ["event", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "name"], name="checkpoint_name_unique_per_event"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ConsentNotice(models.Model):
    """The full text of the data-protection notice as a journalist read it: one row per version
    of the event's notice and language, with the SHA-256 of its text. A request names the one
    its person agreed to by (event, consent_version, language). Written once, never changed;
    kept while the event is (accreditation.privacy.notice)."""

    event = models.ForeignKey(
        Event, on_delete=models.PROTECT, related_name="consent_notices", verbose_name=_("event")
    )
    version = models.PositiveIntegerField(_("version"))
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    text = models.TextField(_("text"))
    sha256 = models.CharField(_("SHA-256 of the text"), max_length=64)
    created_at = models.DateTimeField(_("first shown"), auto_now_add=True)

    class Meta:
        verbose_name = _("consent notice")
        verbose_name_plural = _("consent notices")
        ordering = ["event", "-version", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "version", "language"], name="one_notice_per_version_language"
            )
        ]

    def __str__(self) -> str:
        return f"v{self.version} {self.language} {self.sha256[:12]}"

    def save(self, *args, **kwargs):
        # The record of what people agreed to: an existing notice is never rewritten.
        if self.pk is not None and not self._state.adding:
            raise ValueError("A consent notice is never changed once shown.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        from accreditation.models import AccreditationRequest

        if AccreditationRequest.objects.filter(
            event_id=self.event_id, consent_version=self.version, language=self.language
        ).exists():
            raise ValueError("A consent notice someone agreed to is kept.")
        return super().delete(*args, **kwargs)
