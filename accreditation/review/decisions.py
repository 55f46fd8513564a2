"""Staff decisions on requests: every one goes through the state machine and is audited."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accreditation.errors import ServiceError
from accreditation.interviews.services import interviews_cancel_for_request
from accreditation.models import AccreditationRequest, Message, RejectionReason, Status, Vetting
from accreditation.notify import outbox
from accreditation.outlets.quota import outlet_quota_release, outlet_quota_reserve
from accreditation.review.capacity import places_release, places_reserve
from accreditation.roles import require_decider, require_permission
from accreditation.workflow import audit, require_allowed, transition

# An approval issues the badge (a worker signs it a moment later).
ISSUE_BADGE_TASK = "accreditation.issue_badge"


def _locked(request: AccreditationRequest, actor) -> AccreditationRequest:
    """The request, locked for the decision, once the actor may decide it (roles.require_decider:
    their event, not their own request)."""
    req = (
        AccreditationRequest.objects.select_for_update(of=("self",))
        .select_related("event")
        .get(pk=request.pk)
    )
    require_decider(actor, req)
    return req


def approval_refusal(req: AccreditationRequest) -> ServiceError | None:
    """Why ``req`` cannot be approved now, whoever approves it (the reviewer's page says it
    instead of offering the button); None when nothing stands in the way."""
    if req.vetting == Vetting.PENDING:
        return ServiceError(
            "vetting_pending",
            _("This request cannot be approved before the security service has cleared it."),
        )
    if req.vetting == Vetting.NOT_CLEARED:
        return ServiceError(
            "vetting_not_cleared",
            _("The security service did not clear this person: the request cannot be approved."),
        )
    return None


def request_approve(
    *, request: AccreditationRequest, actor, sessions: Iterable | None = None, note: str = ""
) -> None:
    """Approve; the badge is issued after commit. Vetting must have cleared the person first."""
    require_permission(actor, "accreditation.review_request")
    with transaction.atomic():
        req = _locked(request, actor)
        refusal = approval_refusal(req)
        if refusal is not None:
            raise refusal
        open_ids = set(req.event.sessions.open_to_media().values_list("pk", flat=True))
        if sessions is None:
            granted = [s.pk for s in req.sessions_requested.all() if s.pk in open_ids]
        else:
            granted = [s.pk for s in sessions if s.pk in open_ids]
        require_allowed("approve", req)
        if req.event.second_approval and not _second_approval(req, actor, granted, note):
            request.first_approved_by_id = req.first_approved_by_id
            return  # the first of two approvals: it waits for another reviewer's
        if not outlet_quota_reserve(request=req, actor=actor):
            quota_full = True  # its place in the outlet's line is kept (committed), then said
        else:
            quota_full = False
            _approve(req, actor, granted, note)
    if quota_full:
        raise ServiceError(
            "outlet_quota_full",
            _("This outlet's quota is full: the request waits in its list for a place."),
        )
    request.status = req.status


def _approve(req: AccreditationRequest, actor, granted: list[int], note: str) -> None:
    """Inside request_approve's transaction, the request locked: grant what places allow."""
    granted, waiting = places_reserve(req, granted)
    transition(
        req,
        to=Status.APPROVED,
        actor=actor,
        reason=note,
        data={"sessions": granted, "waiting": waiting},
    )
    req.sessions_granted.set(granted)
    req.decided_at = timezone.now()
    req.save(update_fields=["decided_at"])
    outbox.enqueue("accreditation.send_request_email", request_id=req.pk, kind="approved")
    outbox.enqueue(ISSUE_BADGE_TASK, request_id=req.pk)


def _second_approval(req: AccreditationRequest, actor, granted: list[int], note: str) -> bool:
    """Four eyes: True when this approval is the second (by another reviewer); otherwise the
    first is recorded and False returned. The first approval lapses when the request leaves
    review (workflow.transition)."""
    if req.first_approved_by_id is None:
        req.first_approved_by = actor
        req.first_approved_at = timezone.now()
        req.save(update_fields=["first_approved_by", "first_approved_at"])
        audit(
            action="request.first_approval",
            request=req,
            actor=actor,
            reason=note,
            data={"sessions": granted},
        )
        return False
    if req.first_approved_by_id == actor.pk:
        raise ServiceError(
            "second_approval_same_person",
            _("You gave this request its first approval: a second reviewer must approve it."),
        )
    return True


def request_reject(
    *, request: AccreditationRequest, actor, reason: RejectionReason | None = None, text: str = ""
) -> None:
    require_permission(actor, "accreditation.review_request")
    text = text.strip()
    if reason is None and not text:
        raise ServiceError("reason_required", _("Choose a reason or write one."), field="text")
    with transaction.atomic():
        req = _locked(request, actor)
        reason_text = "\n\n".join(
            part for part in (reason.text_for(req.language) if reason else "", text) if part
        )
        transition(
            req,
            to=require_allowed("reject", req),
            actor=actor,
            reason=reason_text,
            data={"reason_template": reason.pk if reason else None},
        )
        req.decided_at = timezone.now()
        req.save(update_fields=["decided_at"])
        # Shown on the status page too ("the reason is given below" showed nothing).
        Message.objects.create(
            request=req, author=Message.Author.STAFF, staff_user=actor, body=reason_text
        )
        outlet_quota_release(request=req, actor=actor)
        outbox.enqueue(
            "accreditation.send_request_email",
            request_id=req.pk,
            kind="rejected",
            extra={"reason": reason_text},
        )
    request.status = req.status


def request_ask_info(*, request: AccreditationRequest, actor, message: str) -> None:
    """Ask the journalist a question; it is e-mailed and shown on the status page."""
    require_permission(actor, "accreditation.review_request")
    message = message.strip()
    if not message:
        raise ServiceError(
            "message_required", _("Write the question for the journalist."), field="message"
        )
    with transaction.atomic():
        req = _locked(request, actor)
        transition(req, to=require_allowed("ask", req), actor=actor, reason=message)
        Message.objects.create(
            request=req, author=Message.Author.STAFF, staff_user=actor, body=message
        )
        outbox.enqueue(
            "accreditation.send_request_email",
            request_id=req.pk,
            kind="info_requested",
            extra={"question": message},
        )
    request.status = req.status


def request_revoke(*, request: AccreditationRequest, actor, reason: str) -> None:
    """Withdraw an approval: from this moment every badge of the request is refused at the gates."""
    require_permission(actor, "accreditation.review_request")
    if not reason.strip():
        raise ServiceError(
            "reason_required", _("Say why the accreditation is revoked."), field="reason"
        )
    with transaction.atomic():
        req = _locked(request, actor)
        transition(req, to=require_allowed("revoke", req), actor=actor, reason=reason.strip())
        places_release(req)
        outlet_quota_release(request=req, actor=actor)
        interviews_cancel_for_request(request=req, actor=actor)
        Message.objects.create(
            request=req, author=Message.Author.STAFF, staff_user=actor, body=reason.strip()
        )
        outbox.enqueue(
            "accreditation.send_request_email",
            request_id=req.pk,
            kind="revoked",
            extra={"reason": reason.strip()},
        )
    request.status = req.status


def request_reopen(*, request: AccreditationRequest, actor, reason: str) -> None:
    """A supervisor sends a rejected or revoked request back to review."""
    require_permission(actor, "accreditation.supervise_request")
    if not reason.strip():
        raise ServiceError("reason_required", _("Say why the request is reopened."), field="reason")
    with transaction.atomic():
        req = _locked(request, actor)
        transition(
            req,
            to=require_allowed("reopen", req),
            actor=actor,
            reason=reason.strip(),
            action="accreditation.reopened",
        )
    request.status = req.status


# --- Security vetting ---------------------------------------------------------------------------
