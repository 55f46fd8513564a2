"""Interview requests: whom journalists may ask (targets, per event), what they ask, the slots
the target's contact proposes, and the thread between the press office and the contact.

Statuses and their transitions are owned by accreditation.interviews.workflow; every write
goes through the services (services.py, contact.py, booking.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from accreditation.models import AccreditationRequest
from events.models import Event, Session, in_language


class InterviewTarget(models.Model):
    """Someone journalists may ask for an interview: a delegation (by country) or an
    organisation's official or office. The contact receives the requests; they have no account."""

    class Kind(models.TextChoices):
        DELEGATION = "delegation", _("Delegation")
        OFFICIAL = "official", _("Official or office")

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="interview_targets", verbose_name=_("event")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    country = CountryField(_("country of the delegation"), blank=True)
    name = models.CharField(
        _("name"),
        max_length=200,
        blank=True,
        help_text=_("The official or the office; for a delegation, optional (e.g. its head)."),
    )
    names = models.JSONField(_("name in other languages"), default=dict, blank=True)
    contact_name = models.CharField(_("contact name"), max_length=200)
    contact_email = models.EmailField(_("contact e-mail"))
    contact_language = models.CharField(
        _("contact language"), max_length=8, choices=settings.LANGUAGES
    )
    active = models.BooleanField(_("offered to journalists"), default=True)

    class Meta:
        verbose_name = _("interview target")
        verbose_name_plural = _("interview targets")
        ordering = ["event", "kind", "country", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "kind", "country", "name"], name="interview_target_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name()

    def display_name(self, language: str | None = None) -> str:
        """ "Delegation of Morocco", "Secretary General": in ``language`` (the active one)."""
        own = in_language(self.names, self.name, language)
        if self.kind != self.Kind.DELEGATION:
            return own
        label = _("Delegation of %(country)s") % {"country": self.country.name}
        return f"{label} — {own}" if own else str(label)


class Format(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    CAMERA = "camera", _("On camera")
    PHONE = "phone", _("By phone")


class InterviewStatus(models.TextChoices):
    """Transitions: accreditation.interviews.workflow."""

    REQUESTED = "requested", _("Requested")
    FORWARDED = "forwarded", _("Forwarded to the contact")
    PROPOSED = "proposed", _("Times proposed")
    CONFIRMED = "confirmed", _("Confirmed")
    DECLINED = "declined", _("Declined")
    MERGED = "merged", _("Merged")
    CANCELLED = "cancelled", _("Cancelled")


class InterviewRequest(models.Model):
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="interview_requests", verbose_name=_("event")
    )
    # "interviews", not "interview_requests": the request already has a field of that name.
    request = models.ForeignKey(
        AccreditationRequest,
        on_delete=models.CASCADE,
        related_name="interviews",
        verbose_name=_("journalist"),
    )
    target = models.ForeignKey(
        InterviewTarget,
        on_delete=models.PROTECT,
        related_name="requests",
        verbose_name=_("interview with"),
    )
    topic = models.TextField(_("topic"), max_length=1000)
    languages = models.JSONField(_("languages"), default=list)
    format = models.CharField(_("format"), max_length=16, choices=Format.choices)
    # Halves of the event's days the journalist prefers: ["2025-11-25/am", "2025-11-26/pm"].
    preferred_times = models.JSONField(_("preferred times"), default=list, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=InterviewStatus.choices,
        default=InterviewStatus.REQUESTED,
        editable=False,
    )
    # Why it was declined or cancelled, as told to the people concerned.
    reason = models.TextField(_("reason"), blank=True, editable=False)
    # Merged into a group interview (another request for the same target, which goes on) or a
    # press point (a session of the event).
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="merged",
        verbose_name=_("group interview"),
    )
    merged_session = models.ForeignKey(
        Session,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("press point"),
    )
    # The confirmed slot (copied from the slot chosen: overlaps are queried on these).
    starts_at = models.DateTimeField(_("starts"), null=True, blank=True, editable=False)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True, editable=False)
    place = models.CharField(_("place"), max_length=200, blank=True, editable=False)
    # The contact's private link is an HMAC of this nonce (accreditation.tokens); a new
    # forwarding makes a new nonce, so older links stop working.
    contact_nonce = models.CharField(max_length=32, blank=True, editable=False)
    contact_link_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("asked"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("interview request")
        verbose_name_plural = _("interview requests")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["event", "status"]),
            models.Index(fields=["target", "status", "starts_at"]),
            models.Index(fields=["request", "status", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts_at__isnull=True)
                | models.Q(ends_at__gt=models.F("starts_at")),
                name="interview_ends_after_start",
            ),
        ]
        # view_interviewrequest is Django's own; the press office's work is one more
        # (accreditation.roles.PRESS_OFFICE).
        permissions = [("manage_interviews", _("Can triage and arrange interviews"))]

    def __str__(self) -> str:
        return f"{self.request.reference} → {self.target}"

    def language_labels(self) -> list[str]:
        names = dict(settings.LANGUAGES)
        return [str(names.get(code, code)) for code in self.languages]


class InterviewSlot(models.Model):
    """A time the target's contact proposes; the journalist confirms one."""

    interview = models.ForeignKey(InterviewRequest, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    place = models.CharField(_("place"), max_length=200)
    # Slots of an earlier proposal (the journalist asked for other times) are kept, not offered.
    withdrawn = models.BooleanField(default=False)

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="interview_slot_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M} {self.place}"


class InterviewMessage(models.Model):
    """The thread about one interview request: the contact's questions, the press office's
    answers and notes. Seen by the press office only (and the contact, for what they wrote or
    were sent)."""

    class Author(models.TextChoices):
        CONTACT = "contact", _("Target's contact")
        PRESS_OFFICE = "press_office", _("Press office")
        JOURNALIST = "journalist", _("Journalist")

    interview = models.ForeignKey(
        InterviewRequest, on_delete=models.CASCADE, related_name="messages"
    )
    author = models.CharField(max_length=16, choices=Author.choices)
    staff_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_author_display()} {self.created_at:%Y-%m-%d %H:%M}"
