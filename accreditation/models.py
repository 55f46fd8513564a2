"""Accreditation requests, their documents, and the record of everything done to them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from accreditation.storage import private_storage
from events.models import Checkpoint, Event, Session


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


class LateAdmission(models.Model):
    """Staff let a named person apply after the deadline, through a personal link."""

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="late_admissions", verbose_name=_("event")
    )
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail"))
    nonce = models.CharField(max_length=32, editable=False)
    valid_until = models.DateTimeField(_("valid until"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("late admission")
        verbose_name_plural = _("late admissions")

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class AccreditationRequest(models.Model):
    event = models.ForeignKey(
        Event, on_delete=models.PROTECT, related_name="requests", verbose_name=_("event")
    )
    reference = models.CharField(_("reference"), max_length=12, unique=True, editable=False)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED, editable=False
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)

    given_names = models.CharField(_("given names"), max_length=150, blank=True)
    family_names = models.CharField(_("family names"), max_length=150)
    name_arabic = models.CharField(_("name in Arabic script"), max_length=200, blank=True)
    date_of_birth = models.DateField(_("date of birth"))
    nationality = CountryField(_("nationality"))

    id_document_type = models.CharField(
        _("identity document"), max_length=16, choices=IdDocumentType.choices
    )
    id_document_number = models.CharField(_("document number"), max_length=40)
    id_document_country = CountryField(_("issuing country"))
    id_document_expiry = models.DateField(_("expiry date"))

    email = models.EmailField(_("e-mail"))
    phone = models.CharField(_("phone"), max_length=32)

    outlet_name = models.CharField(_("outlet"), max_length=200)
    outlet_type = models.CharField(_("outlet type"), max_length=16, choices=OutletType.choices)
    outlet_country = CountryField(_("outlet country"))
    outlet_website = models.URLField(_("outlet website"), blank=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    employment = models.CharField(
        _("staff or freelance"), max_length=16, choices=Employment.choices
    )
    press_card_number = models.CharField(_("press card number"), max_length=60, blank=True)
    press_card_year = models.PositiveSmallIntegerField(_("press card year"), null=True, blank=True)
    filming_authorisation_number = models.CharField(
        _("filming authorisation number (CCM)"), max_length=60, blank=True
    )

    sessions_requested = models.ManyToManyField(
        Session, related_name="requests", blank=True, verbose_name=_("sessions requested")
    )
    interview_requests = models.TextField(_("interview requests"), blank=True)
    equipment = models.TextField(_("equipment"), blank=True)

    consent_version = models.PositiveIntegerField(_("consent text version"))
    consent_given_at = models.DateTimeField(_("consent given"))

    # The status link's token is an HMAC of this nonce (accreditation.tokens); the link itself is
    # never stored. A new nonce invalidates the old link.
    status_nonce = models.CharField(max_length=32, editable=False)
    email_confirmed_at = models.DateTimeField(
        _("e-mail confirmed"), null=True, blank=True, editable=False
    )
    late_admission = models.OneToOneField(
        LateAdmission,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        verbose_name=_("late admission"),
    )
    submitted_at = models.DateTimeField(_("submitted"), editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    check_outcome = models.CharField(
        _("checks"),
        max_length=8,
        choices=CheckOutcome.choices,
        default="",
        blank=True,
        editable=False,
    )
    checks_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    vetting = models.CharField(
        _("security vetting"),
        max_length=16,
        choices=Vetting.choices,
        default=Vetting.NOT_REQUIRED,
        editable=False,
    )
    vetting_note = models.CharField(_("vetting note"), max_length=500, blank=True, editable=False)
    sessions_granted = models.ManyToManyField(
        Session, related_name="granted_requests", blank=True, verbose_name=_("sessions granted")
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True, editable=False)
    # When the journalist was last reminded of an unanswered question (accreditation.reminders).
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("accreditation request")
        verbose_name_plural = _("accreditation requests")
        ordering = ["-submitted_at"]
        constraints = [
            # Addresses are stored in lower case (services), so a plain index serves lookups.
            models.UniqueConstraint(
                fields=["event", "email"], name="one_request_per_email_per_event"
            ),
        ]
        indexes = [
            models.Index(fields=["event", "status"]),
            models.Index(fields=["id_document_number"]),
            models.Index(fields=["status", "-submitted_at"]),
            models.Index(fields=["-submitted_at", "-id"]),
        ]
        permissions = [
            ("review_request", _("Can decide on accreditation requests")),
            ("supervise_request", _("Can export, vet, reopen and see statistics")),
            ("open_documents", _("Can open personal documents")),
            ("see_photo", _("Can see portrait photos")),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.full_name}"

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.given_names, self.family_names.upper()) if part)


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
        PRESS_CARD = "press_card", _("Press card")
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
    # Of the file as uploaded; recorded by the document checks (accreditation.checking), which
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


class RejectionReason(models.Model):
    """An editable reason template, e-mailed to the journalist in their language."""

    title = models.CharField(_("title"), max_length=120, unique=True)
    text_en = models.TextField(_("text (English)"))
    text_fr = models.TextField(_("text (French)"), blank=True)
    text_es = models.TextField(_("text (Spanish)"), blank=True)
    text_ar = models.TextField(_("text (Arabic)"), blank=True)
    active = models.BooleanField(_("offered to reviewers"), default=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("rejection reason")
        verbose_name_plural = _("rejection reasons")

    def __str__(self) -> str:
        return self.title

    def text_for(self, language: str) -> str:
        return getattr(self, f"text_{language[:2]}", "") or self.text_en


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
    message = models.TextField(_("message"), blank=True)
    checked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["request", "document_kind", "pk"]
        verbose_name = _("check result")
        verbose_name_plural = _("check results")

    def __str__(self) -> str:
        return f"{self.code}: {self.outcome}"


class Message(models.Model):
    """A question from staff, or a journalist's answer, shown on the status page."""

    class Author(models.TextChoices):
        STAFF = "staff", _("Accreditation staff")
        APPLICANT = "applicant", _("Applicant")

    request = models.ForeignKey(
        AccreditationRequest, on_delete=models.CASCADE, related_name="messages"
    )
    author = models.CharField(max_length=16, choices=Author.choices)
    staff_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self) -> str:
        return f"{self.get_author_display()}: {self.body[:40]}"


class AuditEntry(models.Model):
    """Append-only record: who did what, when, why. Written by services, never edited."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=64, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True)
    request = models.ForeignKey(
        AccreditationRequest,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="audit_entries",
    )
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action}"


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


class OutboxTask(models.Model):
    """Work a transaction must trigger, recorded in the same transaction and dispatched after commit.

    If the broker is down at commit time the row stays pending and a periodic job (or start-up)
    dispatches it later, so nothing a request triggers is lost.
    """

    task_name = models.CharField(max_length=200)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.task_name} #{self.pk}"


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
