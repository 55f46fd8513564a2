"""A journalist asks, from their status link, that their personal data be erased; staff carry
it out (erasure.erase_request) or refuse it with a reason (an open security matter, a badge
still in use at the venue). One state machine: asked → done | refused.

The journalist is told the outcome by e-mail, in their language. The address and language
are copied onto the erasure request when staff decide (after an erasure nothing else holds
them), the outbox row carries only the erasure request's id, and the task empties the copy
once the e-mail is sent: nothing personal is left behind in either row."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accreditation.errors import ServiceError, TransitionError
from accreditation.models import AccreditationRequest, Status
from accreditation.notify import outbox
from accreditation.privacy.erasure import erase_request
from accreditation.privacy.models import (
    ASKED,
    DONE,
    ERASURE,
    REFUSED,
    ErasureRequest,
    ErasureStatus,
)
from accreditation.roles import require_decider, require_event, require_permission
from accreditation.workflow import APPLICANT, audit

SEND_EMAIL = "privacy.send_erasure_email"
PERMISSION = "privacy.decide_erasure"

TRANSITIONS: dict[str, frozenset[str]] = {
    ASKED: frozenset({DONE, REFUSED}),
    DONE: frozenset(),
    REFUSED: frozenset(),
}


def _transition(erasure: ErasureRequest, *, to: str, actor, values: dict) -> None:
    """Move ``erasure`` to ``to``: a conditional UPDATE on the status the caller saw, so two
    members of staff acting at once cannot both succeed."""
    current = erasure.status
    if to not in TRANSITIONS[current]:
        raise TransitionError(
            "not_allowed",
            _("This erasure request was already decided (“%(status)s”).")
            % {"status": ErasureStatus(current).label},
        )
    values = {**values, "status": to, "decided_at": timezone.now(), "decided_by": actor}
    if not ErasureRequest.objects.filter(pk=erasure.pk, status=current).update(**values):
        raise TransitionError(
            "stale", _("Someone else decided this erasure request in the meantime. Reload it.")
        )
    for name, value in values.items():
        setattr(erasure, name, value)


def erasure_ask(*, request: AccreditationRequest, ip_address: str | None = None) -> ErasureRequest:
    """The journalist asks for erasure. Asking again while one is open returns that one."""
    with transaction.atomic():
        req = AccreditationRequest.objects.select_for_update().get(pk=request.pk)
        open_one = ErasureRequest.objects.filter(request=req, status=ASKED).first()
        if open_one is not None:
            return open_one
        erasure = ErasureRequest.objects.create(event_id=req.event_id, request=req)
        audit(
            action="erasure.asked",
            request=req,
            actor_label=APPLICANT,
            data={"erasure": erasure.pk},
            ip_address=ip_address,
        )
        outbox.enqueue(SEND_EMAIL, erasure_id=erasure.pk, recipient="staff")
    return erasure


def erasure_open(request: AccreditationRequest) -> ErasureRequest | None:
    """The request's erasure request waiting for staff, if any (the status page shows it)."""
    return ErasureRequest.objects.filter(request=request, status=ASKED).first()


def _locked(erasure: ErasureRequest, actor) -> ErasureRequest:
    require_permission(actor, PERMISSION)
    require_event(actor, erasure.event_id)
    locked = ErasureRequest.objects.select_for_update().get(pk=erasure.pk)
    if locked.request_id is not None:
        require_decider(actor, locked.request)  # not on one's own request
    return locked


def erasure_carry_out(*, erasure: ErasureRequest, actor) -> ErasureRequest:
    """Staff carry out the erasure: the person's data go (erase_request), a tombstone stays,
    and the journalist is told at the address they gave (the last use of it)."""
    with transaction.atomic():
        locked = _locked(erasure, actor)
        req = locked.request
        if req is not None:
            values = {"notify_email": req.email, "notify_language": req.language}
        else:  # erased in the meantime (the retention purge): no address left to write to
            values = {}
        if locked.status != ASKED:
            _transition(locked, to=DONE, actor=actor, values={})  # raises: decided already
        tombstone = None
        if req is not None:
            # The same person's earlier requests to the event, withdrawn before they applied
            # again with the same address (the only requests that share one), go too.
            earlier = AccreditationRequest.objects.filter(
                event_id=req.event_id, email=req.email, status=Status.WITHDRAWN
            ).exclude(pk=req.pk)
            for other in earlier:
                erase_request(request=other, cause=ERASURE, actor=actor)
            tombstone = erase_request(request=req, cause=ERASURE, actor=actor, erasure=locked)
        _transition(locked, to=DONE, actor=actor, values={**values, "tombstone": tombstone})
        audit(
            action="erasure.done",
            actor=actor,
            data={"erasure": locked.pk, "tombstone": tombstone.pk if tombstone else None},
        )
        if values:
            outbox.enqueue(SEND_EMAIL, erasure_id=locked.pk, recipient="journalist")
    erasure.__dict__.update(locked.__dict__)
    return erasure


def erasure_refuse(*, erasure: ErasureRequest, actor, reason: str) -> ErasureRequest:
    """Staff refuse, saying why; the journalist is told the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(
            "reason_required",
            _("Say why the erasure is refused: the journalist is told."),
            field="reason",
        )
    with transaction.atomic():
        locked = _locked(erasure, actor)
        req = locked.request
        if req is None:
            raise ServiceError("erased", _("This request's data were erased already."))
        _transition(
            locked,
            to=REFUSED,
            actor=actor,
            values={
                "refusal_reason": reason,
                "notify_email": req.email,
                "notify_language": req.language,
            },
        )
        audit(
            action="erasure.refused",
            request=req,
            actor=actor,
            reason=reason,
            data={"erasure": locked.pk},
            from_status=ASKED,
            to_status=REFUSED,
        )
        outbox.enqueue(SEND_EMAIL, erasure_id=locked.pk, recipient="journalist")
    erasure.__dict__.update(locked.__dict__)
    return erasure


def erasure_notified(*, erasure_id: int) -> None:
    """The outcome e-mail left: the copy of the address goes."""
    ErasureRequest.objects.filter(pk=erasure_id).update(
        notify_email="", notify_language="", notified_at=timezone.now()
    )
