"""Every write of the accreditation app: one keyword-only function per action."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accreditation import outbox, tokens
from accreditation.errors import ServiceError
from accreditation.filetypes import EXTENSIONS, JPEG, PDF, PNG, sniff
from accreditation.models import (
    AccreditationRequest,
    Document,
    Employment,
    LateAdmission,
    Message,
    OutletType,
    PendingUpload,
    Status,
    Vetting,
)
from accreditation.storage import private_storage, random_name
from accreditation.workflow import audit, transition
from events.models import Event, Session

log = logging.getLogger(__name__)

# A short reference people can read out on the phone: no 0/O, 1/I/L, 5/S, 8/B, 2/Z.
REFERENCE_ALPHABET = "3467ACDEFGHJKMNPQRTUVWXY"
REFERENCE_LENGTH = 8

ALLOWED_TYPES: dict[str, frozenset[str]] = {
    Document.Kind.IDENTITY: frozenset({JPEG, PNG, PDF}),
    Document.Kind.PRESS_CARD: frozenset({JPEG, PNG, PDF}),
    Document.Kind.MISSION_LETTER: frozenset({JPEG, PNG, PDF}),
    Document.Kind.PHOTO: frozenset({JPEG, PNG}),
}
TYPE_LABELS = {JPEG: "JPEG", PNG: "PNG", PDF: "PDF"}
PHOTO_MIN_SIZE = (354, 472)


def new_reference() -> str:
    code = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
    return f"{code[:4]}-{code[4:]}"


def status_path(req: AccreditationRequest) -> str:
    token = tokens.make_token("status", req.pk, req.status_nonce)
    return reverse("accreditation:status", kwargs={"reference": req.reference, "token": token})


def status_url(req: AccreditationRequest) -> str:
    return settings.SITE_URL + status_path(req)


def late_admission_url(admission: LateAdmission) -> str:
    token = tokens.make_token("late", admission.pk, admission.nonce)
    path = reverse("accreditation:apply", kwargs={"slug": admission.event.slug})
    return f"{settings.SITE_URL}{path}?late={admission.pk}.{token}"


# --- Uploads ---------------------------------------------------------------------------------


def upload_stash(*, draft_key: str, slot: str, upload: UploadedFile) -> PendingUpload:
    """Check a file's type from its content and keep it (privately) for this draft's submission.

    Raises ServiceError("file_type") when the content is not allowed in that slot.
    """
    content_type = sniff(upload)
    if content_type not in ALLOWED_TYPES[slot]:
        allowed = ", ".join(sorted(TYPE_LABELS[t] for t in ALLOWED_TYPES[slot]))
        raise ServiceError(
            "file_type",
            _("This file is not a %(allowed)s file (its content was checked, not its name).")
            % {"allowed": allowed},
            field=slot,
        )
    if slot == Document.Kind.PHOTO:
        _check_photo_size(upload)
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    name = private_storage().save(random_name("pending", EXTENSIONS[content_type]), upload)
    try:
        with transaction.atomic():
            old = list(PendingUpload.objects.filter(draft_key=draft_key, slot=slot))
            PendingUpload.objects.filter(pk__in=[p.pk for p in old]).delete()
            pending = PendingUpload.objects.create(
                draft_key=draft_key,
                slot=slot,
                file=name,
                original_name=(upload.name or "")[:200],
                content_type=content_type,
                size=upload.size,
                sha256=digest.hexdigest(),
            )
    except Exception:
        private_storage().delete(name)
        raise
    for p in old:
        private_storage().delete(p.file.name)
    return pending


def _check_photo_size(upload: UploadedFile) -> None:
    from PIL import Image

    upload.seek(0)
    try:
        with Image.open(upload) as image:  # reads the header only
            width, height = image.size
    except Exception:
        raise ServiceError(
            "file_unreadable", _("This picture cannot be read."), field="photo"
        ) from None
    finally:
        upload.seek(0)
    if width < PHOTO_MIN_SIZE[0] or height < PHOTO_MIN_SIZE[1]:
        raise ServiceError(
            "photo_too_small",
            _("The photo is %(width)s×%(height)s pixels; at least %(min_w)s×%(min_h)s are needed.")
            % {
                "width": width,
                "height": height,
                "min_w": PHOTO_MIN_SIZE[0],
                "min_h": PHOTO_MIN_SIZE[1],
            },
            field="photo",
        )


def pending_uploads(draft_key: str) -> dict[str, PendingUpload]:
    return {p.slot: p for p in PendingUpload.objects.filter(draft_key=draft_key)}


def pending_discard(*, draft_key: str, slot: str) -> None:
    for pending in PendingUpload.objects.filter(draft_key=draft_key, slot=slot):
        private_storage().delete(pending.file.name)
        pending.delete()


def pending_purge(*, older_than: dt.timedelta = dt.timedelta(hours=24)) -> int:
    """Delete files of abandoned forms (Celery beat)."""
    stale = PendingUpload.objects.filter(created_at__lt=timezone.now() - older_than)
    count = 0
    for pending in stale:
        private_storage().delete(pending.file.name)
        pending.delete()
        count += 1
    return count


# --- Rules of the application -------------------------------------------------------------------


def accreditation_open(
    *, event: Event, late_admission: LateAdmission | None = None, now=None
) -> bool:
    now = now or timezone.now()
    if (
        late_admission is not None
        and late_admission.used_at is None
        and now <= late_admission.valid_until
    ):
        return True
    return event.accreditation_state(now) == "open"


def late_admission_from_token(*, event: Event, value: str) -> LateAdmission | None:
    try:
        pk_text, token = value.split(".", 1)
        admission = LateAdmission.objects.get(pk=int(pk_text), event=event)
    except (ValueError, LateAdmission.DoesNotExist):
        return None
    if not tokens.check_token("late", admission.pk, admission.nonce, token):
        return None
    return admission


def application_errors(
    *, event: Event, data: dict[str, Any], slots: set[str], now=None
) -> dict[str, list[str]]:
    """The rules a request must meet, as messages per form field ('__all__' for the form)."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    birth = data.get("date_of_birth")
    if birth:
        age = (event.starts_on - birth).days / 365.25
        if birth > now.date():
            add("date_of_birth", _("The date of birth is in the future."))
        elif age < 14 or age > 100:
            add(
                "date_of_birth",
                _("Please check the date of birth: it gives an age of %(age)d.")
                % {"age": int(age)},
            )

    expiry = data.get("id_document_expiry")
    if expiry and expiry < event.ends_on:
        add(
            "id_document_expiry",
            _(
                "Your identity document expires before the event ends (%(end)s). Use a document valid until then."
            )
            % {"end": event.ends_on.isoformat()},
        )

    email = (data.get("email") or "").strip().lower()
    if email and AccreditationRequest.objects.filter(event=event, email=email).exists():
        add(
            "email",
            _(
                "A request for this event was already made with this e-mail address. "
                "Use the status link from our e-mail; we can send it again below."
            ),
        )

    has_card_file = Document.Kind.PRESS_CARD in slots
    has_letter = Document.Kind.MISSION_LETTER in slots
    card_year = data.get("press_card_year")
    card_current = has_card_file and card_year is not None and card_year >= event.starts_on.year
    if has_card_file and not data.get("press_card_number"):
        add("press_card_number", _("Give the number printed on your press card."))
    if has_card_file and card_year is None:
        add("press_card_year", _("Give the year shown on your press card."))
    if data.get("employment") == Employment.FREELANCE and not has_letter:
        add("mission_letter", _("Freelancers need a mission letter from the outlet they work for."))
    elif not has_card_file and not has_letter:
        add("__all__", _("Attach a press card or a mission letter from your outlet."))
        add("press_card", _("Attach a press card or a mission letter."))
    elif has_card_file and card_year is not None and not card_current and not has_letter:
        add(
            "mission_letter",
            _(
                "A press card from %(year)s is expired and is not enough on its own: attach a mission letter."
            )
            % {"year": card_year},
        )

    if Document.Kind.IDENTITY not in slots:
        add("identity", _("Attach your identity document."))
    if Document.Kind.PHOTO not in slots:
        add("photo", _("Attach a portrait photo."))

    if (
        data.get("outlet_type") == OutletType.TV
        and data.get("outlet_country")
        and str(data.get("outlet_country")) != str(event.country)
        and not data.get("filming_authorisation_number")
    ):
        add(
            "filming_authorisation_number",
            _("Foreign television crews need a filming authorisation: give its number."),
        )
    return errors


def media_sessions(event: Event):
    return event.sessions.exclude(media_access=Session.MediaAccess.CLOSED)


# --- Submission -------------------------------------------------------------------------------

REQUEST_FIELDS = (
    "given_names family_names name_arabic date_of_birth nationality id_document_type "
    "id_document_number id_document_country id_document_expiry email phone outlet_name outlet_type "
    "outlet_country outlet_website role employment press_card_number press_card_year "
    "filming_authorisation_number interview_requests equipment"
).split()


@dataclass(frozen=True)
class Submission:
    request: AccreditationRequest
    status_url: str


def request_submit(
    *,
    event: Event,
    data: dict[str, Any],
    draft_key: str,
    language: str,
    late_admission: LateAdmission | None = None,
    ip_address: str | None = None,
    now: dt.datetime | None = None,
) -> Submission:
    """Create a request with all its documents, or nothing at all.

    The documents are the draft's pending uploads; on success they become the request's
    documents (the files are not copied) and the confirmation e-mails are queued after commit.
    """
    now = now or timezone.now()
    if not accreditation_open(event=event, late_admission=late_admission, now=now):
        raise ServiceError("deadline_passed", _("Accreditation for this event is closed."))
    pending = pending_uploads(draft_key)
    errors = application_errors(event=event, data=data, slots=set(pending), now=now)
    if errors:
        field, messages = next(iter(errors.items()))
        raise ServiceError("invalid", messages[0], field=None if field == "__all__" else field)
    allowed_sessions = set(media_sessions(event).values_list("pk", flat=True))
    sessions = [s for s in data.get("sessions_requested", []) if s.pk in allowed_sessions]

    with transaction.atomic():
        req = _create_request(
            event=event, data=data, language=language, late_admission=late_admission, now=now
        )
        req.sessions_requested.set(sessions)
        _attach_pending(req, pending, now=now)
        if late_admission is not None:
            LateAdmission.objects.filter(pk=late_admission.pk).update(used_at=now)
        audit(
            action="request.submitted",
            request=req,
            actor_label=req.email,
            to_status=Status.SUBMITTED,
            ip_address=ip_address,
            data={
                "late_admission": late_admission.pk if late_admission else None,
                "documents": sorted(pending),
            },
        )
        outbox.enqueue("accreditation.send_request_email", request_id=req.pk, kind="submitted")
        outbox.enqueue("accreditation.send_contact_notice", request_id=req.pk)
        for name, kwargs in SUBMISSION_HOOKS:
            outbox.enqueue(name, request_id=req.pk, **kwargs)
    return Submission(request=req, status_url=status_url(req))


def _create_request(*, event, data, language, late_admission, now) -> AccreditationRequest:
    for _attempt in range(5):
        req = AccreditationRequest(
            event=event,
            reference=new_reference(),
            status=Status.SUBMITTED,
            language=language,
            status_nonce=tokens.new_nonce(),
            consent_version=event.consent_version,
            consent_given_at=now,
            submitted_at=now,
            late_admission=late_admission,
            vetting=Vetting.PENDING if event.security_vetting_required else Vetting.NOT_REQUIRED,
            **{field: _clean_value(data.get(field)) for field in REQUEST_FIELDS},
        )
        req.email = req.email.lower()  # one address, one request: compared in lower case
        try:
            with transaction.atomic():  # a savepoint: a collision leaves the transaction usable
                req.save()
            return req
        except IntegrityError:
            if AccreditationRequest.objects.filter(event=event, email=req.email).exists():
                raise ServiceError(
                    "duplicate_email",
                    _("A request for this event was already made with this e-mail address."),
                    field="email",
                ) from None
            # otherwise a reference collision: draw another
    raise ServiceError("reference_exhausted", _("Please try again."))  # pragma: no cover


def _attach_pending(req: AccreditationRequest, pending: dict[str, PendingUpload], *, now) -> None:
    """The draft's kept uploads become the request's documents (the files are not copied); a
    new document of a kind supersedes the current one."""
    for slot, p in pending.items():
        Document.objects.filter(request=req, kind=slot, superseded_at__isnull=True).update(
            superseded_at=now
        )
        Document.objects.create(
            request=req,
            kind=slot,
            file=p.file.name,
            original_name=p.original_name,
            content_type=p.content_type,
            size=p.size,
            sha256=p.sha256,
        )
    PendingUpload.objects.filter(pk__in=[p.pk for p in pending.values()]).delete()


# Further work a new request triggers (the document checks register themselves here).
SUBMISSION_HOOKS: list[tuple[str, dict]] = []


def _clean_value(value):
    if isinstance(value, str):
        return value.strip()
    return value


# --- After submission --------------------------------------------------------------------------


def request_from_status_link(*, reference: str, token: str) -> AccreditationRequest | None:
    req = (
        AccreditationRequest.objects.select_related("event")
        .filter(reference=reference.upper())
        .first()
    )
    if req is None or not tokens.check_token("status", req.pk, req.status_nonce, token):
        return None
    return req


def request_confirm_email(*, request: AccreditationRequest) -> bool:
    """Opening the private status link proves the address works. True the first time."""
    now = timezone.now()
    updated = AccreditationRequest.objects.filter(
        pk=request.pk, email_confirmed_at__isnull=True
    ).update(email_confirmed_at=now)
    if updated:
        request.email_confirmed_at = now
        audit(action="request.email_confirmed", request=request, actor_label=request.email)
    return bool(updated)


def request_resend_link(*, event: Event, email: str) -> None:
    """Send the status link again to the address of an existing request (quietly does nothing
    if there is none, so the form reveals nothing about who applied)."""
    req = AccreditationRequest.objects.filter(event=event, email=email.strip().lower()).first()
    if req is None:
        return
    with transaction.atomic():
        audit(action="request.link_resent", request=req, actor_label=req.email)
        outbox.enqueue("accreditation.send_request_email", request_id=req.pk, kind="status_link")


def request_answer(
    *, request: AccreditationRequest, text: str, draft_key: str, ip_address: str | None = None
) -> None:
    """The journalist answers a question from staff, with text and/or replacement documents."""
    if request.status != Status.INFO_REQUESTED:
        raise ServiceError("not_waiting", _("Staff have not asked you for anything at the moment."))
    pending = pending_uploads(draft_key)
    if not text.strip() and not pending:
        raise ServiceError("empty_answer", _("Write an answer or attach a document."), field="body")
    now = timezone.now()
    with transaction.atomic():
        locked = AccreditationRequest.objects.select_for_update().get(pk=request.pk)
        if text.strip():
            Message.objects.create(
                request=locked, author=Message.Author.APPLICANT, body=text.strip()
            )
        _attach_pending(locked, pending, now=now)
        to = Status.CHECKING if pending and ANSWER_RECHECKS else Status.IN_REVIEW
        transition(
            locked,
            to=to,
            actor_label=locked.email,
            action="request.answered",
            data={"documents": sorted(pending)},
            ip_address=ip_address,
        )
        if to == Status.CHECKING:
            for name, kwargs in SUBMISSION_HOOKS:
                outbox.enqueue(name, request_id=locked.pk, **kwargs)
    request.status = locked.status


# Replacement documents go through the automated checks again once those exist.
ANSWER_RECHECKS = False


def request_withdraw(*, request: AccreditationRequest, ip_address: str | None = None) -> None:
    with transaction.atomic():
        transition(request, to=Status.WITHDRAWN, actor_label=request.email, ip_address=ip_address)


def late_admission_create(
    *, event: Event, name: str, email: str, valid_until: dt.datetime, actor
) -> LateAdmission:
    with transaction.atomic():
        admission = LateAdmission.objects.create(
            event=event,
            name=name,
            email=email,
            valid_until=valid_until,
            nonce=tokens.new_nonce(),
            created_by=actor,
        )
        audit(
            action="late_admission.granted",
            actor=actor,
            data={"admission": admission.pk, "email": email},
        )
        outbox.enqueue("accreditation.send_late_admission", admission_id=admission.pk)
    return admission
