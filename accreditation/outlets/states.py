"""The state machines of an outlet's registration and of a crew membership: one table of
allowed transitions each, and the one function that moves a row and writes the audit entry
(accreditation.workflow.audit) in the same transaction, conditional on the status seen."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accreditation.errors import TransitionError
from accreditation.outlets.models import CrewMember, CrewStatus, Outlet, OutletStatus
from accreditation.workflow import audit

OS = OutletStatus
OUTLET_TRANSITIONS: dict[str, frozenset[str]] = {
    OS.SUBMITTED: frozenset({OS.APPROVED, OS.INFO_REQUESTED, OS.REJECTED}),
    OS.INFO_REQUESTED: frozenset({OS.SUBMITTED, OS.APPROVED, OS.REJECTED}),
    OS.APPROVED: frozenset({OS.REJECTED}),
    OS.REJECTED: frozenset({OS.SUBMITTED}),
}
OUTLET_ACTIONS = {
    OS.SUBMITTED: "outlet.resubmitted",
    OS.APPROVED: "outlet.approved",
    OS.INFO_REQUESTED: "outlet.info_requested",
    OS.REJECTED: "outlet.rejected",
}

C = CrewStatus
CREW_TRANSITIONS: dict[str, frozenset[str]] = {
    C.INVITED: frozenset({C.COMPLETED, C.WITHDRAWN, C.REMOVED}),
    C.COMPLETED: frozenset({C.WITHDRAWN, C.REMOVED}),
    C.WITHDRAWN: frozenset(),
    C.REMOVED: frozenset(),
}
CREW_ACTIONS = {
    C.COMPLETED: "crew.completed",
    C.WITHDRAWN: "crew.withdrawn",
    C.REMOVED: "crew.removed",
}


def _refuse(current_label, target_label) -> TransitionError:
    return TransitionError(
        "invalid_transition",
        _("Something that is “%(current)s” cannot become “%(target)s”.")
        % {"current": current_label, "target": target_label},
    )


def outlet_transition(
    outlet: Outlet, *, to: str, actor=None, actor_label: str = "", reason: str = ""
) -> None:
    current = outlet.status
    if to not in OUTLET_TRANSITIONS.get(current, frozenset()):
        raise _refuse(OS(current).label, OS(to).label)
    fields: dict = {"status": to}
    if to in (OS.APPROVED, OS.REJECTED):
        fields["decided_at"] = timezone.now()
    with transaction.atomic():
        if not Outlet.objects.filter(pk=outlet.pk, status=current).update(**fields):
            raise TransitionError(
                "stale",
                _("Someone else changed this outlet in the meantime. Reload and try again."),
            )
        for name, value in fields.items():
            setattr(outlet, name, value)
        audit(
            action=OUTLET_ACTIONS[to],
            actor=actor,
            actor_label=actor_label,
            reason=reason,
            data={"outlet": outlet.pk, "event": outlet.event_id},
            from_status=current,
            to_status=to,
        )


def crew_transition(
    member: CrewMember, *, to: str, actor=None, actor_label: str = "", reason: str = ""
) -> None:
    current = member.status
    if to not in CREW_TRANSITIONS.get(current, frozenset()):
        raise _refuse(C(current).label, C(to).label)
    with transaction.atomic():
        if not CrewMember.objects.filter(pk=member.pk, status=current).update(status=to):
            raise TransitionError(
                "stale", _("Someone else changed this crew member in the meantime.")
            )
        member.status = to
        audit(
            action=CREW_ACTIONS[to],
            request=member.request,
            actor=actor,
            actor_label=actor_label,
            reason=reason,
            data={"outlet": member.outlet_id, "crew_member": member.pk},
            from_status=current,
            to_status=to,
        )
