"""A journalist's accreditation request, the late admissions that let one in after the
deadline, staff's rejection reasons and the messages exchanged with the journalist."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from accreditation.models.choices import (
    CheckOutcome,
    Employment,
    IdDocumentType,
    OutletType,
    Role,
    Status,
    Vetting,
)
from accreditation.models.fields import KeyedHashField, SealedCharField
from accreditation.models.names import person_key
from accreditation.privacy import crypto
from events.models import Event, Session


def document_number_is(number: str) -> models.Q:
    """The requests whose document number is this one, folded (case, spaces and dashes aside):
    by the keyed hash stored beside the encrypted number, under any of the listed keys."""
    return models.Q(id_document_hash__in=crypto.lookup_hashes(number))


class AddressCheck(models.Model):
    """A link sent to an address before the form is shown: opening it proves the address is the
    applicant's. Single-use, valid for minutes, deleted a day later (apply.address)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField()
    language = models.CharField(max_length=8)
    nonce = models.CharField(max_length=32, editable=False)
    created_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["event", "email", "created_at"])]

    def __str__(self) -> str:
        return f"address check {self.pk}"


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


class AccreditationRequestQuerySet(models.QuerySet):
    def with_email(self, event, email: str):
        """The request made for ``event`` with this address: one per address and event, matched
        as stored (trimmed, lower case). A withdrawn one does not count: the person may apply
        again with the same address."""
        return self.filter(event=event, email=normalise_email(email)).exclude(
            status=Status.WITHDRAWN
        )


def normalise_email(email: str | None) -> str:
    """How an address is stored and compared."""
    return (email or "").strip().lower()


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
    # The name in the person's own script, if it is not the Latin one (Arabic, Chinese…).
    name_native = models.CharField(_("name in your own script"), max_length=200, blank=True)
    # What the person is found by (accreditation.models.names.person_key), kept with the row.
    name_key = models.CharField(max_length=700, blank=True, editable=False, db_index=True)
    date_of_birth = models.DateField(_("date of birth"))
    nationality = CountryField(_("nationality"))

    id_document_type = models.CharField(
        _("identity document"), max_length=16, choices=IdDocumentType.choices
    )
    # Encrypted in the database; found by its keyed hash (accreditation.privacy.crypto).
    id_document_number = SealedCharField(_("document number"), max_length=40)
    id_document_hash = KeyedHashField(source="id_document_number")
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
    # Four eyes (Event.second_approval): the first of the two approvals, until the second.
    first_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("first approved by"),
    )
    first_approved_at = models.DateTimeField(_("first approved at"), null=True, blank=True)
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
    # When the journalist was last reminded of an unanswered question (accreditation.notify.reminders).
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = AccreditationRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("accreditation request")
        verbose_name_plural = _("accreditation requests")
        ordering = ["-submitted_at"]
        constraints = [
            # Addresses are stored in lower case (services), so a plain index serves lookups.
            models.UniqueConstraint(
                fields=["event", "email"],
                condition=~models.Q(status="withdrawn"),
                name="one_live_request_per_email_per_event",
            ),
        ]
        indexes = [
            models.Index(fields=["event", "status"]),
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

    def save(self, *args, **kwargs):
        # Kept in step with the names however they change (the form, the admin, an import).
        self.name_key = person_key(self.given_names, self.family_names, self.name_native)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"given_names", "family_names", "name_native"} & set(
            update_fields
        ):
            kwargs["update_fields"] = {*update_fields, "name_key"}
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "id_document_number" in update_fields:
            kwargs["update_fields"] = {*update_fields, "id_document_hash"}
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.given_names, self.family_names.upper()) if part)


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


class WaitingPlace(models.Model):
    """A request approved when a session's media places were all taken: it waits in line for
    one (accreditation.review.capacity), in the order of ``created_at``."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="waiting")
    request = models.ForeignKey(
        "AccreditationRequest", on_delete=models.CASCADE, related_name="waiting_places"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["session", "request"], name="one_place_in_line")
        ]
        verbose_name = _("place on a waiting list")
        verbose_name_plural = _("places on waiting lists")

    def __str__(self) -> str:
        return f"{self.session_id} ← {self.request_id}"


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
