"""Outlets registered by their focal point, their crews, the outlet's confirmation of a
journalist who applied alone, the requests grouped under an outlet, and the outlet quota.

Statuses move only through accreditation.outlets.states (one table of transitions each)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from accreditation.models import AccreditationRequest, OutletType, Role
from accreditation.privacy.storage import private_storage
from events.models import Event


class OutletStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    INFO_REQUESTED = "info_requested", _("More information requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class Outlet(models.Model):
    """A media outlet, registered once per event by its focal point, with its own proof."""

    event = models.ForeignKey(
        Event, on_delete=models.PROTECT, related_name="outlets", verbose_name=_("event")
    )
    name = models.CharField(_("outlet name"), max_length=200)
    # accreditation.models.names.search_key of the name, and the website's host without
    # "www.": what requests naming the outlet are matched by (outlets.grouping).
    name_key = models.CharField(max_length=200, editable=False, db_index=True)
    host = models.CharField(max_length=200, blank=True, editable=False, db_index=True)
    outlet_type = models.CharField(_("outlet type"), max_length=16, choices=OutletType.choices)
    country = CountryField(_("country"))
    website = models.URLField(_("website"), blank=True)
    focal_name = models.CharField(_("focal point's name"), max_length=200)
    focal_email = models.EmailField(_("focal point's e-mail"))
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=OutletStatus.choices,
        default=OutletStatus.SUBMITTED,
        editable=False,
    )
    proof = models.FileField(storage=private_storage, max_length=200, editable=False)
    proof_name = models.CharField(_("proof file name given"), max_length=200, editable=False)
    proof_content_type = models.CharField(max_length=40, editable=False)
    proof_size = models.PositiveIntegerField(default=0, editable=False)
    # What the document checks found in the proof: [{"code", "outcome", "value", "message"}].
    proof_checks = models.JSONField(default=list, blank=True, editable=False)
    proof_outcome = models.CharField(_("proof checks"), max_length=8, blank=True, editable=False)
    staff_message = models.TextField(_("message from staff"), blank=True, editable=False)
    # Staff may raise the quota of people for this outlet (OutletQuota gives the default).
    quota_raised_to = models.PositiveSmallIntegerField(_("quota raised to"), null=True, blank=True)
    # The focal point's private page is an HMAC of this nonce (accreditation.tokens).
    nonce = models.CharField(max_length=32, editable=False)
    submitted_at = models.DateTimeField(_("submitted"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("outlet")
        verbose_name_plural = _("outlets")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "name_key"],
                condition=~models.Q(status="rejected"),
                name="one_live_outlet_per_name_per_event",
            )
        ]
        indexes = [models.Index(fields=["event", "status"])]

    def __str__(self) -> str:
        return self.name


class CrewStatus(models.TextChoices):
    INVITED = "invited", _("Invited")
    COMPLETED = "completed", _("Request submitted")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    REMOVED = "removed", _("Removed by the outlet")


class CrewMember(models.Model):
    """A person the focal point added to the outlet's crew. Only the person gives their
    identity data, through their own link to the form; the outlet sees name, role, progress."""

    outlet = models.ForeignKey(
        Outlet, on_delete=models.CASCADE, related_name="crew", verbose_name=_("outlet")
    )
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    # The focal point's order when the outlet quota is full: 1 first.
    priority = models.PositiveSmallIntegerField(_("priority"), default=1)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=CrewStatus.choices,
        default=CrewStatus.INVITED,
        editable=False,
    )
    nonce = models.CharField(max_length=32, editable=False)
    invited_at = models.DateTimeField(_("invited"), auto_now_add=True)
    started_at = models.DateTimeField(_("link opened"), null=True, blank=True, editable=False)
    request = models.OneToOneField(
        AccreditationRequest,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="crew_member",
        verbose_name=_("request"),
    )

    class Meta:
        verbose_name = _("crew member")
        verbose_name_plural = _("crew members")
        ordering = ["outlet", "priority", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["outlet", "email"],
                condition=models.Q(status__in=["invited", "completed"]),
                name="one_live_crew_member_per_email",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.outlet})"


class Confirmation(models.Model):
    """The outlet's answer about a journalist who applied alone naming it."""

    class Answer(models.TextChoices):
        PENDING = "", _("Awaiting the outlet's answer")
        CONFIRMED = "confirmed", _("Confirmed by the outlet")
        NOT_OURS = "not_ours", _("Not known to the outlet")

    outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, related_name="confirmations")
    request = models.OneToOneField(
        AccreditationRequest, on_delete=models.CASCADE, related_name="outlet_confirmation"
    )
    answer = models.CharField(
        _("answer"), max_length=16, choices=Answer.choices, default="", blank=True
    )
    nonce = models.CharField(max_length=32, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("outlet confirmation")
        verbose_name_plural = _("outlet confirmations")

    def __str__(self) -> str:
        return f"{self.request_id}: {self.get_answer_display()}"


class OutletLink(models.Model):
    """A request grouped under an outlet: by the crew link, by its name or website, or by
    staff (merge). Staff's split keeps the row with ``excluded`` so matching does not redo it."""

    class How(models.TextChoices):
        CREW = "crew", _("Crew member")
        MATCH = "match", _("Same name or website")
        STAFF = "staff", _("Grouped by staff")

    request = models.OneToOneField(
        AccreditationRequest, on_delete=models.CASCADE, related_name="outlet_link"
    )
    outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, related_name="links")
    how = models.CharField(_("grouped"), max_length=8, choices=How.choices)
    excluded = models.BooleanField(_("split off by staff"), default=False)
    priority = models.PositiveSmallIntegerField(_("priority"), default=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("request of an outlet")
        verbose_name_plural = _("requests of an outlet")

    def __str__(self) -> str:
        return f"{self.request_id} → {self.outlet_id}"


class OutletQuota(models.Model):
    """Per event and outlet type: how many people one outlet may have accredited."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="outlet_quotas")
    outlet_type = models.CharField(_("outlet type"), max_length=16, choices=OutletType.choices)
    people = models.PositiveSmallIntegerField(_("people per outlet"))

    class Meta:
        verbose_name = _("outlet quota")
        verbose_name_plural = _("outlet quotas")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "outlet_type"], name="one_quota_per_outlet_type"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_outlet_type_display()}: {self.people}"


class QuotaPlace(models.Model):
    """A request's place in its outlet's quota: holding one, or waiting for one."""

    class State(models.TextChoices):
        HELD = "held", _("Holds a place")
        WAITING = "waiting", _("Waiting for a place")

    outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, related_name="places")
    request = models.OneToOneField(
        AccreditationRequest, on_delete=models.CASCADE, related_name="quota_place"
    )
    state = models.CharField(max_length=8, choices=State.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("quota place")
        verbose_name_plural = _("quota places")
        indexes = [models.Index(fields=["outlet", "state"])]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.state}"
