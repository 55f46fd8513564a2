"""An outlet's registration by its focal point, and staff's review of it (approve / ask /
reject), each step audited (accreditation.outlets.states) and each e-mail queued through the
outbox in the same transaction."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accreditation import tokens
from accreditation.apply.pending import CheckedUpload, given_name
from accreditation.errors import ServiceError
from accreditation.filetypes import EXTENSIONS
from accreditation.models import PendingUpload
from accreditation.models.names import clean_name, search_key
from accreditation.models.requests import normalise_email
from accreditation.notify import outbox
from accreditation.outlets.crews import confirmations_request
from accreditation.outlets.grouping import REVIEW, SUPERVISE, outlet_group, website_host
from accreditation.outlets.links import CHECK_PROOF, FOCAL_POINT, SEND_EMAIL
from accreditation.outlets.models import Outlet, OutletStatus
from accreditation.outlets.states import outlet_transition
from accreditation.privacy.storage import private_storage, random_name
from accreditation.roles import require_event, require_permission
from accreditation.workflow import audit
from events.models import Event


def _already() -> ServiceError:
    return ServiceError(
        "already_registered",
        _(
            "This outlet is already registered for this event. Its focal point has the link "
            "to its page; write to the accreditation team if that is no longer you."
        ),
        field="name",
    )


def outlet_register(
    *,
    event: Event,
    data: dict,
    proof: CheckedUpload | PendingUpload,
    language: str,
    ip_address: str | None = None,
) -> Outlet:
    """Register an outlet for the event with its proof (checked by content already: a
    CheckedUpload of this post, or the PendingUpload kept from a refused one)."""
    name = clean_name(data["name"])
    key = search_key(name)
    if not key:
        raise ServiceError("name_required", _("Give the outlet's name."), field="name")
    if Outlet.objects.filter(event=event, name_key=key).exclude(status="rejected").exists():
        raise _already()
    if isinstance(proof, PendingUpload):
        stored, original = proof.file.name, proof.original_name
        content_type, size = proof.content_type, proof.size
    else:
        extension = EXTENSIONS[proof.content_type]
        stored = private_storage().save(random_name("outlets", extension), proof.upload)
        original, content_type = given_name(proof.upload.name or ""), proof.content_type
        size = proof.upload.size
    try:
        with transaction.atomic():
            outlet = Outlet.objects.create(
                event=event,
                name=name,
                name_key=key,
                host=website_host(data.get("website")),
                outlet_type=data["outlet_type"],
                country=data["country"],
                website=data.get("website") or "",
                focal_name=clean_name(data["focal_name"]),
                focal_email=normalise_email(data["focal_email"]),
                language=language,
                proof=stored,
                proof_name=original,
                proof_content_type=content_type,
                proof_size=size,
                nonce=tokens.new_nonce(),
            )
            if isinstance(proof, PendingUpload):
                PendingUpload.objects.filter(pk=proof.pk).delete()  # the file is the outlet's
            audit(
                action="outlet.submitted",
                actor_label=FOCAL_POINT,
                data={"outlet": outlet.pk, "event": event.pk},
                ip_address=ip_address,
                to_status=OutletStatus.SUBMITTED,
            )
            outbox.enqueue(CHECK_PROOF, outlet_id=outlet.pk)
            outbox.enqueue(SEND_EMAIL, outlet_id=outlet.pk, kind="registered")
    except IntegrityError:  # the same outlet registered a moment ago (a double tap)
        if not isinstance(proof, PendingUpload):
            private_storage().delete(stored)
        raise _already() from None
    return outlet


def outlet_approve(*, actor, outlet: Outlet) -> None:
    """Approve: the focal point gets the link to the crew page; the event's requests naming
    the outlet are grouped under it."""
    _may_review(actor, outlet)
    with transaction.atomic():
        outlet_transition(outlet, to=OutletStatus.APPROVED, actor=actor)
        outlet_group(outlet=outlet)
        confirmations_request(outlet=outlet)
        outbox.enqueue(SEND_EMAIL, outlet_id=outlet.pk, kind="approved")


def outlet_ask(*, actor, outlet: Outlet, message: str) -> None:
    _may_review(actor, outlet)
    if not message.strip():
        raise ServiceError(
            "message_required", _("Write what the outlet should send."), field="message"
        )
    with transaction.atomic():
        outlet_transition(outlet, to=OutletStatus.INFO_REQUESTED, actor=actor, reason=message)
        Outlet.objects.filter(pk=outlet.pk).update(staff_message=message)
        outbox.enqueue(SEND_EMAIL, outlet_id=outlet.pk, kind="info_requested")


def outlet_reject(*, actor, outlet: Outlet, reason: str) -> None:
    _may_review(actor, outlet)
    if not reason.strip():
        raise ServiceError("reason_required", _("Give the reason."), field="message")
    with transaction.atomic():
        outlet_transition(outlet, to=OutletStatus.REJECTED, actor=actor, reason=reason)
        Outlet.objects.filter(pk=outlet.pk).update(staff_message=reason)
        outbox.enqueue(SEND_EMAIL, outlet_id=outlet.pk, kind="rejected")


def outlet_quota_raise(*, actor, outlet: Outlet, people: int) -> int | None:
    """A supervisor raises this outlet's quota of people (quotas are supervisors' to set, as
    in OutletQuotaAdmin). Returns the first waiting request, now that places are free (the
    reviewers' next), or None."""
    from accreditation.outlets.quota import quota_limit, quota_offer_places

    require_permission(actor, SUPERVISE)
    require_event(actor, outlet.event_id)
    current = quota_limit(outlet)
    if current is not None and people <= current:
        raise ServiceError(
            "not_raised",
            _("This outlet may already have %(people)d people: give a larger number.")
            % {"people": current},
            field="people",
        )
    with transaction.atomic():
        Outlet.objects.filter(pk=outlet.pk).update(quota_raised_to=people)
        outlet.quota_raised_to = people
        audit(
            action="outlet.quota_raised", actor=actor, data={"outlet": outlet.pk, "people": people}
        )
    return quota_offer_places(outlet_id=outlet.pk)


def _may_review(actor, outlet: Outlet) -> None:
    require_permission(actor, REVIEW)
    require_event(actor, outlet.event_id)
