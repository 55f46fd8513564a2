"""Every write of the accreditation app: one keyword-only function per action."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accreditation import tokens
from accreditation.errors import ServiceError
from accreditation.filetypes import EXTENSIONS, JPEG, PDF, PNG, sniff, sniff_bytes
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
from accreditation.notify import outbox
from accreditation.storage import incoming_purge, private_storage, random_name
from accreditation.workflow import audit, require_allowed, transition
from events.models import Event, Session

# The document checks of a new request, or of the documents that answer a question
# (accreditation/checks/pipeline.py; queued through the outbox, run by accreditation/tasks.py).
RUN_CHECKS = "accreditation.run_checks"

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


@dataclass(frozen=True)
class CheckedUpload:
    """An uploaded file whose content fits its slot, not kept yet (see uploads_stash and
    request_submit, which keep it)."""

    slot: str
    upload: UploadedFile
    content_type: str


def uploads_check(
    *, uploads: dict[str, UploadedFile]
) -> tuple[dict[str, CheckedUpload], dict[str, ServiceError]]:
    """Decide each file's type from its content and check that it fits its slot.

    Returns the acceptable files and, for each refused one, why ("file_type", "file_unreadable"
    or "photo_too_small"). Only the first bytes are looked at (kept by accreditation.uploads as
    the file streamed in), and for a photo its header (its size in pixels): nothing is decoded
    here; the document checks that decode images run in the background.
    """
    checked: dict[str, CheckedUpload] = {}
    refused: dict[str, ServiceError] = {}
    for slot, upload in uploads.items():
        try:
            checked[slot] = CheckedUpload(slot, upload, _content_type(slot, upload))
        except ServiceError as exc:
            refused[slot] = exc
    return checked, refused


def _content_type(slot: str, upload: UploadedFile) -> str:
    head = getattr(upload, "head", None)
    content_type = sniff_bytes(head) if head is not None else sniff(upload)
    if content_type not in ALLOWED_TYPES[slot]:
        allowed = ", ".join(sorted(TYPE_LABELS[t] for t in ALLOWED_TYPES[slot]))
        raise ServiceError(
            "file_type",
            _("This file is not a %(allowed)s file (its content was checked, not its name).")
            % {"allowed": allowed},
            field=slot,
        )
    if slot == Document.Kind.PHOTO:
        _check_photo_size(upload, content_type)
    return content_type


def uploads_stash(*, draft_key: str, uploads: dict[str, CheckedUpload]) -> dict[str, PendingUpload]:
    """Keep checked files (privately) for this draft's submission, in one transaction; a new
    file replaces the one kept earlier for its slot. Returns the draft's kept files by slot."""
    return _keep_pending(draft_key, _store(draft_key, uploads))


def _store(draft_key: str, uploads: dict[str, CheckedUpload]) -> list[PendingUpload]:
    """Move the files into private storage under random names; return their (unsaved) records."""
    storage = private_storage()
    rows: list[PendingUpload] = []
    try:
        for checked in uploads.values():
            upload = checked.upload
            # A file received by accreditation.uploads is renamed into place, never copied.
            name = storage.save(random_name("pending", EXTENSIONS[checked.content_type]), upload)
            rows.append(
                PendingUpload(
                    draft_key=draft_key,
                    slot=checked.slot,
                    file=name,
                    original_name=(upload.name or "")[:200],
                    content_type=checked.content_type,
                    size=upload.size,
                )
            )
    except Exception:
        for row in rows:
            storage.delete(row.file.name)
        raise
    return rows


def _keep_pending(draft_key: str, rows: list[PendingUpload]) -> dict[str, PendingUpload]:
    """Record stored files as the draft's pending uploads (deleted if that fails)."""
    if not rows:
        return pending_uploads(draft_key)
    for attempt in range(3):
        try:
            with transaction.atomic():
                kept = pending_uploads(draft_key)
                replaced = [kept.pop(row.slot) for row in rows if row.slot in kept]
                if replaced:
                    PendingUpload.objects.filter(pk__in=[p.pk for p in replaced]).delete()
                PendingUpload.objects.bulk_create(rows)
            break
        except IntegrityError:
            # Another post of the same draft (a double tap) kept a file for the same slot
            # between our read and our insert: read again, and the later file wins.
            for row in rows:
                row.pk = None
            if attempt < 2:
                continue
            _delete_files(rows)
            raise
        except Exception:
            _delete_files(rows)
            raise
    for old in replaced:
        private_storage().delete(old.file.name)
    return {**kept, **{row.slot: row for row in rows}}


def _delete_files(rows: list[PendingUpload]) -> None:
    for row in rows:
        private_storage().delete(row.file.name)


def _check_photo_size(upload: UploadedFile, content_type: str) -> None:
    from PIL import Image

    upload.seek(0)
    try:
        # Reads the header only (up to the frame size), never the pixels.
        with Image.open(upload, formats=[TYPE_LABELS[content_type]]) as image:
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
    """Delete files of abandoned forms (Celery beat), and uploads a killed web process left
    half-received."""
    stale = PendingUpload.objects.filter(created_at__lt=timezone.now() - older_than)
    count = 0
    for pending in stale:
        private_storage().delete(pending.file.name)
        pending.delete()
        count += 1
    incoming_purge(older_than=older_than)
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
    *, event: Event, data: dict[str, Any], slots: set[str], now=None, email_unused: bool = True
) -> dict[str, list[str]]:
    """The rules a request must meet, as messages per form field ('__all__' for the form).

    `email_unused=False` leaves out the look-up of an earlier request with the same address, for
    a caller that relies on the database's unique constraint instead (request_submit).
    """
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
                ngettext(
                    "Please check the date of birth: it gives an age of %(age)d year.",
                    "Please check the date of birth: it gives an age of %(age)d years.",
                    int(age),
                )
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
    if (
        email
        and email_unused
        and AccreditationRequest.objects.filter(event=event, email=email).exists()
    ):
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
    return event.sessions.open_to_media()


def _open_to_media(session: Session, event: Event) -> bool:
    """media_sessions() for one loaded session."""
    return session.event_id == event.pk and session.open_to_media


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
    uploads: dict[str, CheckedUpload] | None = None,
    late_admission: LateAdmission | None = None,
    ip_address: str | None = None,
    now: dt.datetime | None = None,
) -> Submission:
    """Create a request with all its documents, or nothing at all.

    The documents are the draft's pending uploads and this post's checked `uploads` (which
    replace pending ones of their kind); the files are moved into private storage, never copied,
    and the confirmation e-mails are queued after commit. If the request is not made, whatever
    the reason, this post's uploads become the draft's pending uploads: nothing sent is lost.
    """
    now = now or timezone.now()
    uploads = uploads or {}
    try:
        if not accreditation_open(event=event, late_admission=late_admission, now=now):
            raise ServiceError("deadline_passed", _("Accreditation for this event is closed."))
        pending = pending_uploads(draft_key)
        # An address already used is refused by the unique constraint (see _create_request).
        errors = application_errors(
            event=event, data=data, slots=set(pending) | set(uploads), now=now, email_unused=False
        )
        if errors:
            field, messages = next(iter(errors.items()))
            raise ServiceError("invalid", messages[0], field=None if field == "__all__" else field)
    except Exception:
        if uploads:
            _keep_after_failure(draft_key, lambda: _store(draft_key, uploads))
        raise
    sessions = [s for s in data.get("sessions_requested", []) if _open_to_media(s, event)]
    stored = _store(draft_key, uploads)
    replaced = [pending.pop(row.slot) for row in stored if row.slot in pending]
    documents = {**pending, **{row.slot: row for row in stored}}
    try:
        with transaction.atomic():
            req = _create_request(
                event=event, data=data, language=language, late_admission=late_admission, now=now
            )
            if sessions:
                req.sessions_requested.add(*sessions)  # a new request: one INSERT, no read
            _attach_pending(req, documents, now=now, new_request=True, also_delete=replaced)
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
                    "documents": sorted(documents),
                },
            )
            outbox.enqueue("accreditation.send_request_email", request_id=req.pk, kind="submitted")
            outbox.enqueue("accreditation.send_contact_notice", request_id=req.pk)
            outbox.enqueue(RUN_CHECKS, request_id=req.pk)
    except Exception:
        if stored:
            _keep_after_failure(draft_key, lambda: stored)
        raise
    for old in replaced:
        private_storage().delete(old.file.name)
    return Submission(request=req, status_url=status_url(req))


def _keep_after_failure(draft_key: str, rows) -> None:
    """Keep the files of a submission that failed as the draft's pending uploads, without
    hiding the failure if that fails too (the files are then deleted: the form asks again)."""
    try:
        _keep_pending(draft_key, rows())
    except Exception:
        log.exception("The uploads of a failed submission could not be kept")


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


def _attach_pending(
    req: AccreditationRequest,
    pending: dict[str, PendingUpload],
    *,
    now,
    new_request: bool = False,
    also_delete: Sequence[PendingUpload] = (),
) -> None:
    """Kept uploads become the request's documents (the files are not copied) and their pending
    records are deleted; a new document of a kind supersedes the current one (a new request
    has none)."""
    if not pending:
        return
    if not new_request:
        Document.objects.current().filter(request=req, kind__in=list(pending)).update(
            superseded_at=now
        )
    Document.objects.bulk_create(
        Document(
            request=req,
            kind=slot,
            file=p.file.name,
            original_name=p.original_name,
            content_type=p.content_type,
            size=p.size,
        )
        for slot, p in pending.items()
    )
    recorded = [p.pk for p in (*pending.values(), *also_delete) if p.pk is not None]
    if recorded:
        PendingUpload.objects.filter(pk__in=recorded).delete()


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
        # New documents are checked; so is a request whose checks never finished (staff asked
        # their question while the checks were still queued, which stopped them).
        # Replacement documents go through the automated checks again.
        recheck = bool(pending) or not locked.check_outcome
        to = Status.CHECKING if recheck else Status.IN_REVIEW
        transition(
            locked,
            to=to,
            actor_label=locked.email,
            action="request.answered",
            data={"documents": sorted(pending)},
            ip_address=ip_address,
        )
        if to == Status.CHECKING:
            outbox.enqueue(RUN_CHECKS, request_id=locked.pk)
    request.status = locked.status


def request_withdraw(*, request: AccreditationRequest, ip_address: str | None = None) -> None:
    with transaction.atomic():
        transition(
            request,
            to=require_allowed("withdraw", request),
            actor_label=request.email,
            ip_address=ip_address,
        )


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
