"""Data protection's own records (erasure requests, tombstones, an event's statistics kept
after its purge). Added by the data-protection work (#21).

None of them holds a name, an address, a document number or any free text about a person
once its work is done (accreditation.privacy.inventory lists every field and why)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from events.models import Event

# Plain strings for the code that uses them (type-checked: choices read as tuples there).
ERASURE, RETENTION = "erasure", "retention"
ASKED, DONE, REFUSED = "asked", "done", "refused"


class Cause(models.TextChoices):
    """Why a request's personal data were erased."""

    ERASURE = ERASURE, _("Erasure asked for by the journalist")
    RETENTION = RETENTION, _("End of the retention period")


class Tombstone(models.Model):
    """What is left of an erased request: that it existed, how it ended, when and why it was
    erased, and its audit trail reduced to actions and times (no names, reasons, addresses
    or IP addresses). No reference, country or outlet type: with the copies of e-mails in the
    organiser's mailbox, or for a small country, they would point to the person again."""

    event = models.ForeignKey(
        Event, on_delete=models.PROTECT, related_name="tombstones", verbose_name=_("event")
    )
    final_status = models.CharField(_("final status"), max_length=20)
    submitted_on = models.DateField(_("submitted on"), null=True, blank=True)
    erased_at = models.DateTimeField(_("erased"), db_index=True)
    cause = models.CharField(_("why"), max_length=16, choices=Cause.choices)
    # [{"at": ISO time, "action": "accreditation.approved", "from": "in_review", "to": …}]
    trail = models.JSONField(_("audit trail"), default=list, blank=True)

    class Meta:
        ordering = ["-erased_at", "-pk"]
        verbose_name = _("tombstone of an erased request")
        verbose_name_plural = _("tombstones of erased requests")
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"tombstone {self.pk}"


class ErasureStatus(models.TextChoices):
    """Transitions: accreditation.privacy.erasure_requests.TRANSITIONS."""

    ASKED = ASKED, _("Asked")
    DONE = DONE, _("Carried out")
    REFUSED = REFUSED, _("Refused")


class ErasureRequest(models.Model):
    """A journalist's request, from their status link, that their personal data be erased."""

    event = models.ForeignKey(
        Event, on_delete=models.PROTECT, related_name="erasure_requests", verbose_name=_("event")
    )
    # Empty once the request is erased; the tombstone is what remains of it.
    request = models.ForeignKey(
        "accreditation.AccreditationRequest",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="erasure_requests",
        verbose_name=_("accreditation request"),
    )
    tombstone = models.ForeignKey(
        Tombstone,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("tombstone"),
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ErasureStatus.choices,
        default=ErasureStatus.ASKED,
        editable=False,
    )
    asked_at = models.DateTimeField(_("asked"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("decided by"),
    )
    # Why staff refused (an open security matter…): told to the journalist; erased with them.
    refusal_reason = models.TextField(_("reason for refusing"), blank=True, editable=False)
    # Where and in which language the outcome is e-mailed, copied when staff decide (the
    # request may be gone by the time it is sent) and emptied once it is sent.
    notify_email = models.EmailField(blank=True, editable=False)
    notify_language = models.CharField(max_length=8, blank=True, editable=False)
    notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-asked_at", "-pk"]
        verbose_name = _("erasure request")
        verbose_name_plural = _("erasure requests")
        default_permissions = ("view",)
        permissions = [("decide_erasure", _("Can carry out or refuse erasure requests"))]
        constraints = [
            models.UniqueConstraint(
                fields=["request"],
                condition=models.Q(status="asked"),
                name="one_open_erasure_request_per_request",
            )
        ]

    def __str__(self) -> str:
        return f"erasure request {self.pk}"


class EventStatistics(models.Model):
    """An event's figures, written before its identities are purged: aggregates only, no row
    per person. Each count is of one dimension alone (never crossed: status by country by
    outlet type would single people out)."""

    event = models.OneToOneField(
        Event, on_delete=models.PROTECT, related_name="statistics", verbose_name=_("event")
    )
    made_at = models.DateTimeField(_("made"))
    requests = models.PositiveIntegerField(_("requests"))
    by_status = models.JSONField(_("by status"), default=dict)
    by_nationality = models.JSONField(_("by nationality"), default=dict)
    by_outlet_country = models.JSONField(_("by outlet country"), default=dict)
    by_outlet_type = models.JSONField(_("by outlet type"), default=dict)
    by_role = models.JSONField(_("by role"), default=dict)
    # {"2025-10-02": 14}: in the event's time zone.
    by_day = models.JSONField(_("requests per day"), default=dict)
    # {"<session pk>": {"title": …, "admitted": n, "denied": n, "badges": n}}
    sessions = models.JSONField(_("admissions per session"), default=dict)
    badges_printed = models.PositiveIntegerField(_("badges printed"), default=0)
    badges_collected = models.PositiveIntegerField(_("badges collected"), default=0)
    interviews = models.JSONField(_("interview requests by status"), default=dict)

    class Meta:
        verbose_name = _("statistics of a purged event")
        verbose_name_plural = _("statistics of purged events")
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"statistics {self.event_id}"


class EventPurge(models.Model):
    """How far an event's retention purge went: each stage's marker, set once the stage is
    complete, so that a run after a crash resumes where the last one stopped and a run after a
    complete one writes nothing."""

    event = models.OneToOneField(
        Event, on_delete=models.PROTECT, primary_key=True, related_name="purge"
    )
    documents_purged_at = models.DateTimeField(null=True, blank=True)
    identities_purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return f"purge {self.event_id}"


class FileToDelete(models.Model):
    """A stored file whose rows are gone, written in the same transaction that deleted them and
    removed once the file is: a crash between the commit and the deletion leaves this row, and
    the next erasure or purge deletes the file (never a row pointing at a missing file)."""

    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        default_permissions = ()
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name
