"""The files a request carries, those waiting for a form to be submitted, and what the
automated checks found in them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accreditation.models.choices import CheckOutcome
from accreditation.models.requests import AccreditationRequest
from accreditation.privacy.storage import private_storage


class DocumentQuerySet(models.QuerySet):
    def current(self):
        """The documents in force: not replaced by a later upload of the same kind."""
        return self.filter(superseded_at__isnull=True)

    def current_photo(self):
        """The portrait printed on the badge and shown at the desk and the gate."""
        return self.current().filter(kind=Document.Kind.PHOTO).order_by("-uploaded_at")


class Document(models.Model):
    class Kind(models.TextChoices):
        IDENTITY = "identity", _("Identity document")
        IDENTITY_BACK = "identity_back", _("Identity document, back")
        PRESS_CARD = "press_card", _("Press card")
        PRESS_CARD_BACK = "press_card_back", _("Press card, back")
        MISSION_LETTER = "mission_letter", _("Mission letter")
        PHOTO = "photo", _("Portrait photo")

    request = models.ForeignKey(
        AccreditationRequest, on_delete=models.CASCADE, related_name="documents"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    file = models.FileField(storage=private_storage, max_length=200)
    original_name = models.CharField(_("file name given"), max_length=200)
    content_type = models.CharField(_("type (from content)"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    # Of the file as uploaded; recorded by the document checks (accreditation.checks.pipeline), which
    # read the file anyway, rather than in the web request.
    sha256 = models.CharField(max_length=64, db_index=True, blank=True, editable=False)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    # Files made by the checks, by variant ("normalised", "preview", "badge"): storage names.
    derived = models.JSONField(default=dict, blank=True)
    phash = models.CharField(max_length=16, blank=True, db_index=True)  # photos: perceptual hash

    objects = DocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["request", "kind", "-uploaded_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.request.reference})"

    @property
    def current(self) -> bool:
        return self.superseded_at is None


class CheckResult(models.Model):
    """One automated check's result. A run replaces the request's whole set (idempotent)."""

    request = models.ForeignKey(
        AccreditationRequest, on_delete=models.CASCADE, related_name="check_results"
    )
    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, null=True, blank=True, related_name="check_results"
    )
    document_kind = models.CharField(
        _("document"), max_length=16, choices=Document.Kind.choices, blank=True
    )
    code = models.CharField(_("check"), max_length=40)
    outcome = models.CharField(_("result"), max_length=8, choices=CheckOutcome.choices)
    value = models.CharField(_("measured"), max_length=200, blank=True)
    message = models.TextField(_("message"), blank=True)  # in the event's staff language
    # The same message in each language of the site, written when the checks run, so that
    # every reader gets it in theirs (``text``): a reviewer reading English, a journalist Arabic.
    messages = models.JSONField(default=dict, blank=True, editable=False)
    checked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["request", "document_kind", "pk"]
        verbose_name = _("check result")
        verbose_name_plural = _("check results")

    def __str__(self) -> str:
        return f"{self.code}: {self.outcome}"

    @property
    def text(self) -> str:
        """The message in the active language (the reader's), else the staff language's."""
        language = (get_language() or "")[:2]
        return self.messages.get(language) or self.message


class PendingUpload(models.Model):
    """A valid file from a form that had other errors, kept so the journalist need not upload it again."""

    draft_key = models.CharField(max_length=64, db_index=True)
    slot = models.CharField(max_length=16, choices=Document.Kind.choices)
    file = models.FileField(storage=private_storage, max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["draft_key", "slot"], name="one_pending_upload_per_slot"
            )
        ]

    def __str__(self) -> str:
        return f"{self.slot}: {self.original_name}"
