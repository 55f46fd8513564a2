"""Announcements to accredited media: what the press office writes, to whom it goes (one
delivery per recipient), the files it carries, who asked for no optional ones, and the
calendar entry each session keeps (one UID, a sequence that grows when it changes)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from accreditation.models import AccreditationRequest, OutletType
from accreditation.privacy.storage import private_storage
from events.models import Event, Session, in_language


class Announcement(models.Model):
    """A message to accredited media, in each of the event's languages. Its states and their
    transitions: accreditation.communications.states."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")

    event = models.ForeignKey(
        Event, on_delete=models.PROTECT, related_name="announcements", verbose_name=_("event")
    )
    session = models.ForeignKey(
        Session,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="announcements",
        verbose_name=_("session it concerns"),
        help_text=_("The e-mail then carries the session's calendar entry (.ics)."),
    )
    titles = models.JSONField(_("title"), default=dict, blank=True)
    bodies = models.JSONField(_("text"), default=dict, blank=True)
    operational = models.BooleanField(
        _("operational"),
        default=False,
        help_text=_(
            "Operational information (a changed time, a place, what to bring) reaches everyone "
            "in the audience, including those who asked for no optional announcements."
        ),
    )
    # The audience: every criterion given must hold. No status chosen: all accredited media.
    audience_statuses = models.JSONField(_("statuses"), default=list, blank=True)
    audience_session = models.ForeignKey(
        Session,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("granted the session"),
    )
    audience_country = CountryField(_("outlet country"), blank=True)
    audience_outlet_type = models.CharField(
        _("outlet type"), max_length=16, choices=OutletType.choices, blank=True
    )
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.DRAFT, editable=False
    )
    # Proposed by Presspass when staff changed the session's time or place (proposals.py).
    proposed = models.BooleanField(_("proposed by Presspass"), default=False, editable=False)
    # The session's time and place as sent, with its calendar sequence (services.py).
    calendar = models.JSONField(default=dict, blank=True, editable=False)
    recipients_count = models.PositiveIntegerField(_("recipients"), default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("sent by"),
    )
    send_started_at = models.DateTimeField(_("sending started"), null=True, editable=False)
    planned_at = models.DateTimeField(null=True, editable=False)  # every delivery created
    sent_at = models.DateTimeField(_("sent"), null=True, editable=False)

    class Meta:
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        ordering = ["-created_at", "-pk"]
        default_permissions = ("view",)
        permissions = [("send_announcement", _("Can write and send announcements"))]

    def __str__(self) -> str:
        return self.display_title() or gettext("(untitled)")

    def display_title(self, language: str | None = None) -> str:
        return in_language(self.titles, self.titles.get(self.event.staff_language, ""), language)

    def text_language(self, language: str) -> tuple[str, bool]:
        """The language of the text a reader of ``language`` gets, and whether it is a fallback
        (the event's first language, when the announcement was not written in theirs)."""
        language = (language or "")[:2]
        if self.titles.get(language) and self.bodies.get(language):
            return language, False
        first = self.event.staff_language
        if self.titles.get(first) and self.bodies.get(first):
            return first, language != first
        written = [code for code in self.event.languages if self.bodies.get(code)]
        return (written[0] if written else first), True


class Attachment(models.Model):
    """A file sent with an announcement (a programme PDF): private storage, a random name,
    its type decided by its content."""

    announcement = models.ForeignKey(
        Announcement, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(storage=private_storage, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField()

    class Meta:
        ordering = ["pk"]
        default_permissions = ()

    def __str__(self) -> str:
        return self.original_name


class Delivery(models.Model):
    """One recipient of an announcement: its e-mail's state (queued, sent, failed with the mail
    server's answer), or not e-mailed at all because they asked for no optional ones (they still
    see it on their status page)."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        UNSUBSCRIBED = "unsubscribed", _("Not e-mailed (unsubscribed)")

    announcement = models.ForeignKey(
        Announcement, on_delete=models.CASCADE, related_name="deliveries"
    )
    request = models.ForeignKey(
        AccreditationRequest, on_delete=models.CASCADE, related_name="announcement_deliveries"
    )
    batch = models.PositiveIntegerField()
    language = models.CharField(_("language"), max_length=8)  # of the text sent
    fallback = models.BooleanField(default=False)  # not the recipient's own language
    state = models.CharField(_("state"), max_length=16, choices=State.choices)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["announcement", "request"], name="one_delivery_per_recipient"
            )
        ]
        indexes = [
            models.Index(fields=["announcement", "batch", "state"]),
            models.Index(fields=["announcement", "state"]),
        ]

    def __str__(self) -> str:
        return f"{self.announcement_id} → {self.request_id} ({self.state})"


class OptOut(models.Model):
    """A journalist who asked, through the link in an announcement, for no optional ones.
    Operational announcements, decisions and badge e-mails still reach them."""

    request = models.OneToOneField(
        AccreditationRequest,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="announcement_opt_out",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return f"opt-out {self.request_id}"


class SessionCalendar(models.Model):
    """The calendar entry of a session as last sent: one UID for good, a sequence that grows
    each time the time or place sent differs from the last one (RFC 5545 updates)."""

    session = models.OneToOneField(
        Session, on_delete=models.CASCADE, primary_key=True, related_name="calendar_entry"
    )
    sequence = models.PositiveIntegerField(default=0)
    announced = models.JSONField(default=dict)

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return f"calendar {self.session_id} #{self.sequence}"


class Reminder(models.Model):
    """A reminder Presspass sent to a request, once of each kind (accreditation.notify
    .reminders): before the deadline, what the request still misses; before the event, where
    and when to collect the badge. The row is what makes a second run send nothing."""

    class Kind(models.TextChoices):
        DEADLINE = "deadline", _("Before the deadline: something is missing")
        COLLECTION = "collection", _("Before the event: collect the badge")

    request = models.ForeignKey(
        AccreditationRequest, on_delete=models.CASCADE, related_name="reminders"
    )
    kind = models.CharField(_("reminder"), max_length=16, choices=Kind.choices)
    sent_at = models.DateTimeField(_("sent"))

    class Meta:
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["request", "kind"], name="one_reminder_of_each_kind")
        ]

    def __str__(self) -> str:
        return f"reminder {self.kind} → {self.request_id}"
