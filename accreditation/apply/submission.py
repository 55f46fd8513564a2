"""Submitting an application: whether the form is open, what is wrong with it, and the request it makes (reference, documents attached, checks queued)."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accreditation import tokens
from accreditation.apply.links import status_url
from accreditation.apply.pending import CheckedUpload, keep_pending, pending_uploads, store_uploads
from accreditation.badges.fonts import unprintable
from accreditation.errors import ServiceError
from accreditation.interviews.services import interview_ask
from accreditation.models import (
    AccreditationRequest,
    Document,
    Employment,
    LateAdmission,
    OutletType,
    PendingUpload,
    Status,
    Vetting,
)
from accreditation.models.names import clean_name, refused_characters, refused_characters_message
from accreditation.models.requests import normalise_email
from accreditation.notify import outbox
from accreditation.privacy.notice import notice_current
from accreditation.privacy.storage import private_storage
from accreditation.workflow import APPLICANT, audit
from events.models import Event, Session

# The document checks of a new request, or of the documents that answer a question
# (accreditation/checks/pipeline.py; queued through the outbox, run by accreditation/tasks.py).
RUN_CHECKS = "accreditation.run_checks"


log = logging.getLogger(__name__)


# A short reference people can read out on the phone: no 0/O, 1/I/L, 5/S, 8/B, 2/Z.
REFERENCE_ALPHABET = "3467ACDEFGHJKMNPQRTUVWXY"


REFERENCE_LENGTH = 8


def new_reference() -> str:
    code = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
    return f"{code[:4]}-{code[4:]}"


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


def application_errors(
    *,
    event: Event,
    data: dict[str, Any],
    slots: set[str],
    now=None,
    email_unused: bool = True,
    outlet_vouches: bool = False,
) -> dict[str, list[str]]:
    """The rules a request must meet, as messages per form field ('__all__' for the form).

    `email_unused=False` leaves out the look-up of an earlier request with the same address, for
    a caller that relies on the database's unique constraint instead (request_submit).
    """
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    for field, problem in text_problems(data).items():
        add(field, problem)
    if not data.get("family_names") and "family_names" not in errors:
        add(
            "family_names",
            _(
                "Give your family names as in your identity document. If you have a single "
                "name, tick “I have a single name”."
            ),
        )

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

    email = normalise_email(data.get("email"))
    if email and email_unused and AccreditationRequest.objects.with_email(event, email).exists():
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
    # A crew member named by their outlet needs no mission letter: the outlet vouches for them.
    has_letter = has_letter or outlet_vouches
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


# The form carries the SHA-256 of the notice it showed (templates/accreditation/_consent.html).
CONSENT_CHANGED = gettext_lazy(
    "The data-protection notice changed while you were filling in the form. Read it again "
    "below and tick the box if you agree: everything you typed is kept."
)


def consent_changed(*, event: Event, language: str, shown_sha256: str | None) -> bool:
    """Whether the notice the form showed (by its hash) is no longer the one in force in
    ``language``. A form that names none (an older page) agrees to the one in force."""
    if not shown_sha256:
        return False
    return shown_sha256 != notice_current(event=event, language=language).sha256


def media_sessions(event: Event):
    return event.sessions.open_to_media()


def _open_to_media(session: Session, event: Event) -> bool:
    """media_sessions() for one loaded session."""
    return session.event_id == event.pk and session.open_to_media


REQUEST_FIELDS = (
    "given_names family_names name_native date_of_birth nationality id_document_type "
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
    address_confirmed: bool = False,
    outlet_vouches: bool = False,
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
            event=event,
            data=data,
            slots=set(pending) | set(uploads),
            now=now,
            email_unused=False,
            outlet_vouches=outlet_vouches,
        )
        if errors:
            field, messages = next(iter(errors.items()))
            raise ServiceError("invalid", messages[0], field=None if field == "__all__" else field)
        if consent_changed(event=event, language=language, shown_sha256=data.get("consent_sha256")):
            raise ServiceError("consent_changed", str(CONSENT_CHANGED), field="consent")
        notice = notice_current(event=event, language=language)
    except Exception:
        if uploads:
            _keep_after_failure(draft_key, lambda: store_uploads(draft_key, uploads))
        raise
    sessions = [s for s in data.get("sessions_requested", []) if _open_to_media(s, event)]
    stored = store_uploads(draft_key, uploads)
    replaced = [pending.pop(row.slot) for row in stored if row.slot in pending]
    documents = {**pending, **{row.slot: row for row in stored}}
    try:
        with transaction.atomic():
            req = _create_request(
                event=event,
                data=data,
                language=language,
                consent_version=notice.version,
                late_admission=late_admission,
                now=now,
                address_confirmed=address_confirmed,
            )
            if sessions:
                req.sessions_requested.add(*sessions)  # a new request: one INSERT, no read
            attach_pending(req, documents, now=now, new_request=True, also_delete=replaced)
            if late_admission is not None:
                LateAdmission.objects.filter(pk=late_admission.pk).update(used_at=now)
            audit(
                action="request.submitted",
                request=req,
                actor_label=APPLICANT,
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
            # A crew member's request joins its outlet; one naming an outlet is grouped under
            # it and its focal point asked to confirm (accreditation.outlets).
            from accreditation.outlets.crews import request_submitted

            request_submitted(request=req, address_confirmed=address_confirmed)
            _interviews_ask(req, data.get("interviews", ()), ip_address=ip_address)
    except Exception:
        if stored:
            _keep_after_failure(draft_key, lambda: stored)
        raise
    for old in replaced:
        private_storage().delete(old.file.name)
    return Submission(request=req, status_url=status_url(req))


def _interviews_ask(req, rows, *, ip_address) -> None:
    """The interview requests asked with the application, by the interviews' own rule (they
    wait, "requested", until the press office forwards them, which it may once the journalist
    is accredited). A refused one refuses the whole application, naming its row."""
    for number, asked in rows:
        try:
            interview_ask(request=req, **asked, ip_address=ip_address)
        except ServiceError as exc:
            field = f"interview-{number}-{exc.field}" if exc.field else f"interview-{number}"
            raise ServiceError(exc.code, exc.message, field=field) from exc


def _keep_after_failure(draft_key: str, rows) -> None:
    """Keep the files of a submission that failed as the draft's pending uploads, without
    hiding the failure if that fails too (the files are then deleted: the form asks again)."""
    try:
        keep_pending(draft_key, rows())
    except Exception:
        log.exception("The uploads of a failed submission could not be kept")


def _create_request(
    *, event, data, language, consent_version, late_admission, now, address_confirmed
) -> AccreditationRequest:
    for _attempt in range(5):
        req = AccreditationRequest(
            event=event,
            reference=new_reference(),
            status=Status.SUBMITTED,
            language=language,
            status_nonce=tokens.new_nonce(),
            # With the language, names the notice agreed to (accreditation.privacy.notice).
            consent_version=consent_version,
            consent_given_at=now,
            submitted_at=now,
            late_admission=late_admission,
            # proved by the address step or the late-admission link (apply.address)
            email_confirmed_at=now if address_confirmed else None,
            vetting=Vetting.PENDING if event.security_vetting_required else Vetting.NOT_REQUIRED,
            **{field: _clean_value(field, data.get(field)) for field in REQUEST_FIELDS},
        )
        req.email = normalise_email(req.email)  # one address, one request
        try:
            with transaction.atomic():  # a savepoint: a collision leaves the transaction usable
                req.save()
            return req
        except IntegrityError:
            if AccreditationRequest.objects.with_email(event, req.email).exists():
                raise ServiceError(
                    "duplicate_email",
                    _("A request for this event was already made with this e-mail address."),
                    field="email",
                ) from None
            # otherwise a reference collision: draw another
    raise ServiceError("reference_exhausted", _("Please try again."))  # pragma: no cover


def attach_pending(
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


def _clean_value(field: str, value):
    """Text as kept: Unicode NFC (a decomposed "José" is the precomposed one), trimmed; names
    with inner runs of spaces made one."""
    if isinstance(value, str):
        if field in NAME_FIELDS:
            return clean_name(value)
        return unicodedata.normalize("NFC", value).strip()
    return value


# The fields printed on the badge, whose every character must be printable there.
NAME_FIELDS = ("given_names", "family_names", "name_native")
PRINTED_FIELDS = (*NAME_FIELDS, "outlet_name")


def text_problems(data: dict[str, Any]) -> dict[str, str]:
    """A message per text field holding what it may not: control or format characters (a
    right-to-left override turns "Smith" into "htimS" on a badge), or characters the badge
    has no letters for (it would print them as nothing)."""
    problems: dict[str, str] = {}
    for field in REQUEST_FIELDS:
        value = data.get(field)
        if not isinstance(value, str) or not value:
            continue
        refused = refused_characters(value)
        if refused:
            problems[field] = refused_characters_message(refused)
        elif field in PRINTED_FIELDS:
            missing = unprintable(unicodedata.normalize("NFC", value))
            if missing:
                problems[field] = _(
                    "The badge cannot print these characters: %(chars)s. Write this in a script "
                    "the badge prints (Latin, Greek, Cyrillic or Arabic letters); your name as "
                    "in your passport's Latin letters is always printed."
                ) % {"chars": " ".join(missing)}
    return problems
