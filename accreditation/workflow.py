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


def can_transition(current: str, to: str) -> bool:
    return to in TRANSITIONS.get(current, frozenset())


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
        updated = AccreditationRequest.objects.filter(pk=request.pk, status=current).update(
            status=to
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
