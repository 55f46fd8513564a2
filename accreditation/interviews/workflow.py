"""The one state machine of an interview request: allowed transitions, what people do, and the
function that performs a transition and writes its audit entry.

    requested → forwarded → proposed → confirmed
    declined, merged (into a group interview or a press point) and cancelled end a request.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accreditation.errors import TransitionError
from accreditation.interviews.models import InterviewRequest, InterviewStatus
from accreditation.models import Status
from accreditation.workflow import ACCREDITED as REQUEST_ACCREDITED
from accreditation.workflow import audit

S = InterviewStatus
TRANSITIONS: dict[str, frozenset[str]] = {
    S.REQUESTED: frozenset({S.FORWARDED, S.DECLINED, S.MERGED, S.CANCELLED}),
    S.FORWARDED: frozenset({S.PROPOSED, S.DECLINED, S.MERGED, S.CANCELLED}),
    # The journalist may say that no proposed time suits them: the contact is asked again.
    S.PROPOSED: frozenset({S.CONFIRMED, S.FORWARDED, S.DECLINED, S.MERGED, S.CANCELLED}),
    S.CONFIRMED: frozenset({S.CANCELLED}),
    # A journalist merged into a group interview or a press point may still leave it (or lose
    # their accreditation): their part is cancelled, the group goes on.
    S.MERGED: frozenset({S.CANCELLED}),
    S.DECLINED: frozenset(),
    S.CANCELLED: frozenset(),
}
FINAL = frozenset({S.DECLINED, S.CANCELLED})
# Still waiting for something to happen.
OPEN = frozenset({S.REQUESTED, S.FORWARDED, S.PROPOSED})
# What the target's contact knows of (forwarded to them): told when it is cancelled.
CONTACT_KNOWS = frozenset({S.FORWARDED, S.PROPOSED, S.CONFIRMED})

# What people do: the status it leads to and the statuses it may be done from. The services
# enforce it (require_allowed); the pages read it (action_allowed) to show a button or not.
ACTIONS: dict[str, tuple[str, frozenset[str]]] = {
    "forward": (S.FORWARDED, frozenset({S.REQUESTED})),
    "decline": (S.DECLINED, frozenset({S.REQUESTED, S.FORWARDED, S.PROPOSED})),
    "merge": (S.MERGED, frozenset({S.REQUESTED, S.FORWARDED, S.PROPOSED})),
    "propose": (S.PROPOSED, frozenset({S.FORWARDED})),
    "contact_decline": (S.DECLINED, frozenset({S.FORWARDED})),
    "confirm": (S.CONFIRMED, frozenset({S.PROPOSED})),
    "other_times": (S.FORWARDED, frozenset({S.PROPOSED})),
    "cancel": (
        S.CANCELLED,
        frozenset({S.REQUESTED, S.FORWARDED, S.PROPOSED, S.CONFIRMED, S.MERGED}),
    ),
}

AUDIT_ACTIONS: dict[str, str] = {
    "forward": "interview.forwarded",
    "decline": "interview.declined",
    "merge": "interview.merged",
    "propose": "interview.proposed",
    "contact_decline": "interview.declined_by_contact",
    "confirm": "interview.confirmed",
    "other_times": "interview.other_times_asked",
    "cancel": "interview.cancelled",
}

# The journalist's accreditation statuses whose interview requests go forward.
ACCREDITED = REQUEST_ACCREDITED
# Those that may still ask (the decision may come later); a final one may not.
MAY_ASK = ACCREDITED | {Status.SUBMITTED, Status.CHECKING, Status.IN_REVIEW, Status.INFO_REQUESTED}

# Who acted, in the audit trail, when it was the target's contact through their link (they
# have no account; their address stays on the target).
CONTACT = "interview contact"


def can_transition(current: str, to: str) -> bool:
    return to in TRANSITIONS.get(current, frozenset())


def action_allowed(action: str, status: str) -> bool:
    return status in ACTIONS[action][1]


def require_allowed(action: str, interview: InterviewRequest) -> str:
    """The status ``action`` leads to; TransitionError ``not_allowed`` when the interview
    request's status does not allow it."""
    target, allowed_from = ACTIONS[action]
    if interview.status not in allowed_from:
        raise TransitionError(
            "not_allowed",
            _("An interview request that is “%(current)s” cannot become “%(target)s”.")
            % {"current": S(interview.status).label, "target": S(target).label},
        )
    return target


def transition(
    interview: InterviewRequest,
    *,
    action: str,
    actor=None,
    actor_label: str = "",
    reason: str = "",
    data: dict | None = None,
    ip_address: str | None = None,
    fields: dict | None = None,
):
    """Do ``action`` to ``interview``: move its status (with ``fields`` written in the same
    UPDATE) and record who, when and why, atomically. The UPDATE is conditional on the status
    the caller saw, so two people acting at once cannot both succeed."""
    to = require_allowed(action, interview)
    current = interview.status
    if not can_transition(current, to):  # the tables disagree: a programming error
        raise TransitionError("invalid_transition", _("This change is not possible."))
    values = {"status": to, "updated_at": timezone.now(), **(fields or {})}
    with transaction.atomic():
        updated = InterviewRequest.objects.filter(pk=interview.pk, status=current).update(**values)
        if not updated:
            raise TransitionError(
                "stale",
                _("Someone else changed this interview request in the meantime. Reload it."),
            )
        for name, value in values.items():
            setattr(interview, name, value)
        return audit(
            action=AUDIT_ACTIONS[action],
            request=interview.request,
            actor=actor,
            actor_label=actor_label,
            reason=reason,
            data={"interview": interview.pk, "target": interview.target_id, **(data or {})},
            ip_address=ip_address,
            from_status=current,
            to_status=to,
        )


def notify(
    interview: InterviewRequest,
    recipient: str,
    kind: str,
    *,
    request_id: int | None = None,
    **extra,
) -> None:
    """Queue an e-mail about ``interview`` (interviews.send_email) in the current transaction:
    it leaves once the change that needs it is committed."""
    from accreditation.notify import outbox

    outbox.enqueue(
        "interviews.send_email",
        interview_id=interview.pk,
        recipient=recipient,
        kind=kind,
        request_id=request_id or interview.request_id,
        extra=extra or None,
    )
