"""The one state machine of a request: allowed transitions, and the function that performs them."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accreditation.errors import TransitionError
from accreditation.models import AccreditationRequest, AuditEntry, Status

S = Status
TRANSITIONS: dict[str, frozenset[str]] = {
    S.SUBMITTED: frozenset({S.CHECKING, S.IN_REVIEW, S.INFO_REQUESTED, S.WITHDRAWN}),
    S.CHECKING: frozenset({S.IN_REVIEW, S.INFO_REQUESTED, S.WITHDRAWN}),
    S.IN_REVIEW: frozenset({S.CHECKING, S.INFO_REQUESTED, S.APPROVED, S.REJECTED, S.WITHDRAWN}),
    S.INFO_REQUESTED: frozenset({S.CHECKING, S.IN_REVIEW, S.REJECTED, S.WITHDRAWN}),
    S.APPROVED: frozenset({S.BADGE_ISSUED, S.REVOKED, S.WITHDRAWN}),
    S.BADGE_ISSUED: frozenset({S.PRINTED, S.REVOKED, S.WITHDRAWN}),
    S.PRINTED: frozenset({S.COLLECTED, S.BADGE_ISSUED, S.REVOKED, S.WITHDRAWN}),
    S.COLLECTED: frozenset({S.BADGE_ISSUED, S.REVOKED}),
    S.REJECTED: frozenset({S.IN_REVIEW}),
    S.REVOKED: frozenset({S.IN_REVIEW}),
    S.WITHDRAWN: frozenset(),
}

# The audit action written for each target status, unless the caller names a more precise one.
ACTIONS: dict[str, str] = {
    S.SUBMITTED: "request.submitted",
    S.CHECKING: "checks.started",
    S.IN_REVIEW: "request.queued",
    S.INFO_REQUESTED: "accreditation.info_requested",
    S.APPROVED: "accreditation.approved",
    S.BADGE_ISSUED: "badge.issued",
    S.PRINTED: "badge.printed",
    S.COLLECTED: "badge.collected",
    S.REJECTED: "accreditation.rejected",
    S.WITHDRAWN: "request.withdrawn",
    S.REVOKED: "accreditation.revoked",
}

# Statuses after which nothing but reopening happens.
FINAL = frozenset({S.REJECTED, S.WITHDRAWN, S.REVOKED})
# Accredited: approved, and not revoked or withdrawn since (badge made, printed or collected or
# not). The one definition the media places, announcements, interviews and outlets share.
ACCREDITED = frozenset({S.APPROVED, S.BADGE_ISSUED, S.PRINTED, S.COLLECTED})

# What people do to a request: the status it leads to, and the statuses it may be done from.
# The services enforce it (require_allowed); the admin's buttons and the status page's
# "withdraw" read it (action_allowed), so a hidden button and a refused POST cannot drift apart.
# Each "from" status allows the transition to the target (tests/accreditation/test_workflow.py).
ACTIONS_ALLOWED: dict[str, tuple[str, frozenset[str]]] = {
    "approve": (S.APPROVED, frozenset({S.IN_REVIEW})),
    "reject": (S.REJECTED, frozenset({S.IN_REVIEW, S.INFO_REQUESTED})),
    "ask": (S.INFO_REQUESTED, frozenset({S.SUBMITTED, S.CHECKING, S.IN_REVIEW})),
    "recheck": (S.CHECKING, frozenset({S.SUBMITTED, S.IN_REVIEW, S.INFO_REQUESTED})),
    "revoke": (S.REVOKED, frozenset({S.APPROVED, S.BADGE_ISSUED, S.PRINTED, S.COLLECTED})),
    # Only a decision that ended a request is reopened: reopening a request whose checks are
    # running, or that waits for the journalist, would lose what is in flight.
    "reopen": (S.IN_REVIEW, frozenset({S.REJECTED, S.REVOKED})),
    "withdraw": (
        S.WITHDRAWN,
        frozenset(
            {
                S.SUBMITTED,
                S.CHECKING,
                S.IN_REVIEW,
                S.INFO_REQUESTED,
                S.APPROVED,
                S.BADGE_ISSUED,
                S.PRINTED,
            }
        ),
    ),
}


def can_transition(current: str, to: str) -> bool:
    return to in TRANSITIONS.get(current, frozenset())


def action_allowed(action: str, status: str) -> bool:
    """Whether ``action`` (a key of ACTIONS_ALLOWED) may be done to a request in ``status``."""
    return status in ACTIONS_ALLOWED[action][1]


def require_allowed(action: str, request: AccreditationRequest) -> str:
    """The target status of ``action``; TransitionError ``not_allowed`` when the request's
    status does not allow it."""
    target, allowed_from = ACTIONS_ALLOWED[action]
    if request.status not in allowed_from:
        raise TransitionError(
            "not_allowed",
            _("A request that is “%(current)s” cannot become “%(target)s”.")
            % {"current": Status(request.status).label, "target": Status(target).label},
        )
    return target


# Who acted, in the audit trail, when it was the journalist through their own link: the entry
# belongs to their request, so it names them without copying their address into the trail
# (SECURITY.md row 34; erasure then has one place less to clean).
APPLICANT = "applicant"


def audit(
    *,
    action: str,
    request: AccreditationRequest | None = None,
    actor=None,
    actor_label: str = "",
    reason: str = "",
    data: dict | None = None,
    ip_address: str | None = None,
    from_status: str = "",
    to_status: str = "",
) -> AuditEntry:
    if actor is not None and getattr(actor, "is_authenticated", False) and not actor_label:
        actor_label = actor.get_username()
    return AuditEntry.objects.create(
        action=action,
        request=request,
        actor=actor if actor is not None and getattr(actor, "pk", None) else None,
        actor_label=actor_label,
        reason=reason,
        data=data or {},
        ip_address=ip_address,
        from_status=from_status,
        to_status=to_status,
    )


def transition(
    request: AccreditationRequest,
    *,
    to: str,
    actor=None,
    actor_label: str = "",
    reason: str = "",
    action: str | None = None,
    data: dict | None = None,
    ip_address: str | None = None,
) -> AuditEntry:
    """Move a request to another status and record who, when and why, atomically.

    The UPDATE is conditional on the status the caller saw, so two staff acting at once (or a
    double click) cannot both succeed: the second gets a TransitionError.
    """
    current = request.status
    if not can_transition(current, to):
        raise TransitionError(
            "invalid_transition",
            _("A request that is “%(current)s” cannot become “%(target)s”.")
            % {"current": Status(current).label, "target": Status(to).label},
        )
    with transaction.atomic():
        # A first approval (four eyes) belongs to the review it was given in: any move ends it.
        updated = AccreditationRequest.objects.filter(pk=request.pk, status=current).update(
            status=to, first_approved_by=None, first_approved_at=None
        )
        if not updated:
            raise TransitionError(
                "stale",
                _("Someone else changed this request in the meantime. Reload and try again."),
            )
        request.status = to
        return audit(
            action=action or ACTIONS[to],
            request=request,
            actor=actor,
            actor_label=actor_label,
            reason=reason,
            data=data,
            ip_address=ip_address,
            from_status=current,
            to_status=to,
        )
