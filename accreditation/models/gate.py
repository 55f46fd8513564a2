"""The gate's log: one row per scan, online or uploaded from a phone that was offline."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accreditation.models.badges import Badge
from events.models import Checkpoint, Session


class Scan(models.Model):
    """One scan at a gate, online or uploaded later from a device that was offline. Append-only."""

    class Direction(models.TextChoices):
        ENTRY = "in", _("Entry")
        EXIT = "out", _("Exit")

    class Decision(models.TextChoices):
        ADMIT = "admit", _("Admit")
        DENY = "deny", _("Deny")

    checkpoint = models.ForeignKey(Checkpoint, on_delete=models.PROTECT, related_name="scans")
    # No index of its own: the (session, badge, scanned_at) index below serves every look-up by
    # session, and each index is one more write on the gate's hottest INSERT.
    session = models.ForeignKey(
        Session,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="scans",
        db_index=False,
    )
    badge = models.ForeignKey(
        Badge, on_delete=models.PROTECT, null=True, blank=True, related_name="scans"
    )
    badge_version = models.PositiveIntegerField(null=True, blank=True)
    direction = models.CharField(max_length=3, choices=Direction.choices, default=Direction.ENTRY)
    decision = models.CharField(max_length=5, choices=Decision.choices)
    reason = models.CharField(max_length=40)
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Who scanned is ``agent``; a scan decided offline may be uploaded later by whoever is
    # signed in on the phone then (a shared phone, a new shift). No index: nothing looks scans
    # up by uploader, and every index is one more write on the gate's hottest INSERT.
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("uploaded by"),
        help_text=_(
            "The gate agent whose session uploaded this scan made offline; "
            "empty for a scan decided online."
        ),
    )
    device_id = models.CharField(max_length=64)
    client_scan_id = models.CharField(max_length=64)
    scanned_at = models.DateTimeField(db_index=True)
    received_at = models.DateTimeField(auto_now_add=True)
    offline = models.BooleanField(default=False)
    flag = models.CharField(max_length=40, blank=True)
    # A digest of the code scanned: a client scan id reused for another code is refused, not
    # answered with the first scan's result.
    code_digest = models.CharField(max_length=32, blank=True, default="")
    # What a phone deciding offline showed the agent; the server decides every uploaded scan
    # again, and ``decision``/``reason`` are the server's. Empty for online scans.
    device_decision = models.CharField(
        _("decision shown on the phone"), max_length=5, blank=True, default=""
    )
    device_reason = models.CharField(
        _("reason shown on the phone"), max_length=40, blank=True, default=""
    )

    class Meta:
        ordering = ["-scanned_at"]
        verbose_name = _("scan")
        verbose_name_plural = _("scans")
        constraints = [
            models.UniqueConstraint(
                fields=["device_id", "client_scan_id"], name="scan_recorded_once_per_device"
            ),
        ]
        indexes = [models.Index(fields=["session", "badge", "scanned_at"])]

    def __str__(self) -> str:
        return f"{self.decision} {self.reason}"
