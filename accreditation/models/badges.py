"""Badges and the print batches that put them on card."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accreditation.models.requests import AccreditationRequest
from accreditation.privacy.storage import private_storage
from events.models import Event, Session


class Badge(models.Model):
    """The one badge of an approved request. A reissue (lost or damaged badge) increments the
    version: the QR code of every older version is refused at the gates from that moment."""

    request = models.OneToOneField(
        AccreditationRequest, on_delete=models.CASCADE, related_name="badge"
    )
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="badges")
    version = models.PositiveIntegerField(default=1)
    sessions = models.ManyToManyField(
        Session, related_name="badges", verbose_name=_("sessions granted")
    )
    key_id = models.PositiveIntegerField()
    qr_text = models.CharField(max_length=400)
    issued_at = models.DateTimeField(auto_now_add=True)
    printed_at = models.DateTimeField(null=True, blank=True)
    print_count = models.PositiveIntegerField(default=0)
    collected_at = models.DateTimeField(null=True, blank=True)
    collected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handover_code_nonce = models.CharField(max_length=32, blank=True)

    class Meta:
        verbose_name = _("badge")
        verbose_name_plural = _("badges")
        ordering = ["pk"]
        permissions = [
            ("print_badge", _("Can print badges and hand them over")),
            ("scan_badge", _("Can scan badges at the gates")),
        ]
        indexes = [models.Index(fields=["event", "printed_at"])]

    def __str__(self) -> str:
        return f"{self.number} v{self.version}"

    @property
    def number(self) -> str:
        return f"{self.pk:06d}"


class PrintBatch(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RENDERING = "rendering", _("Rendering")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="print_batches")
    layout = models.CharField(max_length=12)
    badges = models.ManyToManyField(Badge, related_name="print_batches")
    reprint_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    file = models.FileField(storage=private_storage, max_length=200, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("print batch")
        verbose_name_plural = _("print batches")

    def __str__(self) -> str:
        return f"batch {self.pk} ({self.total})"
