"""The choices the request's fields take; its statuses (transitions: accreditation.workflow)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    """The request's statuses. Transitions are owned by accreditation.workflow."""

    SUBMITTED = "submitted", _("Submitted")
    CHECKING = "checking", _("Automated checks")
    IN_REVIEW = "in_review", _("In review")
    INFO_REQUESTED = "info_requested", _("More information requested")
    APPROVED = "approved", _("Approved")
    BADGE_ISSUED = "badge_issued", _("Badge issued")
    PRINTED = "printed", _("Badge printed")
    COLLECTED = "collected", _("Badge collected")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    REVOKED = "revoked", _("Revoked")


class IdDocumentType(models.TextChoices):
    PASSPORT = "passport", _("Passport")
    NATIONAL_ID = "national_id", _("National identity card")
    OTHER = "other", _("Other official identity document")


class OutletType(models.TextChoices):
    PRINT = "print", _("Print")
    TV = "tv", _("Television")
    RADIO = "radio", _("Radio")
    ONLINE = "online", _("Online")
    AGENCY = "agency", _("News agency")
    PHOTO_AGENCY = "photo_agency", _("Photo agency")
    OTHER = "other", _("Other")


class Role(models.TextChoices):
    REPORTER = "reporter", _("Reporter")
    EDITOR = "editor", _("Editor")
    PHOTOGRAPHER = "photographer", _("Photographer")
    CAMERA = "camera", _("Camera operator")
    TECHNICIAN = "technician", _("Technician")
    PRODUCER = "producer", _("Producer")
    OTHER = "other", _("Other")


class Employment(models.TextChoices):
    STAFF = "staff", _("Staff")
    FREELANCE = "freelance", _("Freelance")


class Vetting(models.TextChoices):
    NOT_REQUIRED = "not_required", _("Not required")
    PENDING = "pending", _("Awaiting vetting")
    CLEARED = "cleared", _("Cleared")
    NOT_CLEARED = "not_cleared", _("Not cleared")


class CheckOutcome(models.TextChoices):
    NONE = "", _("Not checked")
    PASS = "pass", _("Pass")
    WARNING = "warning", _("Warning")
    FAIL = "fail", _("Fail")
