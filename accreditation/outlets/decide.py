"""Reviewers decide a crew together: the whole crew of an outlet, or the members they select,
approved or rejected in one go. Each member is still decided by the one decision service
(accreditation.review.decisions: its state machine, vetting, the outlet quota, the sessions'
media places, four eyes) in its own transaction, and audited there; a member that cannot be
decided is reported by name with the reason, the others are decided.

Members are taken in the focal point's order, so that when the outlet quota or a session's
places run out, those the outlet put first have them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from accreditation.errors import ServiceError
from accreditation.models import RejectionReason, Status
from accreditation.outlets.grouping import REVIEW
from accreditation.outlets.models import CrewMember, CrewStatus, Outlet
from accreditation.review import decisions
from accreditation.roles import require_event, require_permission
from accreditation.workflow import audit

APPROVE, REJECT = "approve", "reject"


@dataclass(frozen=True)
class Refused:
    """A member the decision did not reach, and why (a code for tests, a message for staff)."""

    member: CrewMember
    code: str
    message: str

    @property
    def line(self) -> str:
        reference = self.member.request.reference if self.member.request else ""
        name = f"{self.member.name} ({reference})" if reference else self.member.name
        return f"{name}: {self.message}"


@dataclass
class CrewDecision:
    decided: list[CrewMember] = field(default_factory=list)
    # Approved, but waiting for a session's media place (their line place is kept).
    waiting: list[CrewMember] = field(default_factory=list)
    # First of two approvals recorded (the event wants a second reviewer).
    first_approval: list[CrewMember] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)


def crew_members_decidable(outlet: Outlet):
    """The crew members a decision may concern: those the outlet still vouches for, in the
    focal point's order, with their requests (one query)."""
    return (
        outlet.crew.select_related("request")
        .filter(status__in=[CrewStatus.INVITED, CrewStatus.COMPLETED])
        .order_by("priority", "pk")
    )


def crew_decide(
    *,
    actor,
    outlet: Outlet,
    decision: str,
    member_ids: Iterable[int] | None = None,
    reason: RejectionReason | None = None,
    text: str = "",
    note: str = "",
) -> CrewDecision:
    """Approve or reject the outlet's crew (``member_ids`` None: the whole crew), member by
    member through request_approve / request_reject. Returns who was decided and who was not,
    each with the reason."""
    require_permission(actor, REVIEW)
    require_event(actor, outlet.event_id)
    if decision not in (APPROVE, REJECT):
        raise ServiceError("unknown_decision", _("Choose to approve or to reject."))
    if decision == REJECT and reason is None and not text.strip():
        raise ServiceError("reason_required", _("Choose a reason or write one."), field="text")
    members = list(crew_members_decidable(outlet))
    if member_ids is not None:
        chosen = set(member_ids)
        members = [m for m in members if m.pk in chosen]
    if not members:
        raise ServiceError("no_members", _("Choose at least one member of the crew."))
    outcome = CrewDecision()
    for member in members:
        _decide_one(
            outcome, member, actor=actor, decision=decision, reason=reason, text=text, note=note
        )
    audit(
        action=f"outlet.crew_{'approved' if decision == APPROVE else 'rejected'}",
        actor=actor,
        data={
            "outlet": outlet.pk,
            "decided": [m.pk for m in outcome.decided],
            "refused": {str(r.member.pk): r.code for r in outcome.refused},
        },
    )
    return outcome


def _decide_one(outcome: CrewDecision, member: CrewMember, *, actor, decision, reason, text, note):
    req = member.request
    if req is None:
        outcome.refused.append(
            Refused(member, "not_submitted", _("has not submitted their request yet."))
        )
        return
    try:
        if decision == APPROVE:
            decisions.request_approve(request=req, actor=actor, note=note)
        else:
            decisions.request_reject(request=req, actor=actor, reason=reason, text=text)
    except ServiceError as exc:
        outcome.refused.append(Refused(member, exc.code, str(exc.message)))
        return
    if decision == APPROVE and req.status == Status.IN_REVIEW:
        outcome.first_approval.append(member)
        return
    outcome.decided.append(member)
    if decision == APPROVE and req.waiting_places.exists():
        outcome.waiting.append(member)
