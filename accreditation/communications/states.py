"""The state machines of an announcement and of each of its deliveries: one table of allowed
transitions each, and the one function that moves an announcement and writes the audit entry.

An announcement is written as a draft, is sending while its deliveries are created and sent in
batches, and is sent once none is queued; resending to the failures makes it sending again.
A delivery is queued, then sent or failed (with the mail server's answer); a failure may be
queued again; one to a journalist who asked for no optional announcements is never e-mailed."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accreditation.communications.models import Announcement, Delivery
from accreditation.errors import TransitionError
from accreditation.workflow import audit

A = Announcement.State
TRANSITIONS: dict[str, frozenset[str]] = {
    A.DRAFT: frozenset({A.SENDING}),
    A.SENDING: frozenset({A.SENT}),
    A.SENT: frozenset({A.SENDING}),  # resend to the failures
}

# What people do to an announcement: the state it leads to, from which states.
ACTIONS_ALLOWED: dict[str, tuple[str, frozenset[str]]] = {
    "send": (A.SENDING, frozenset({A.DRAFT})),
    "resend": (A.SENDING, frozenset({A.SENT})),  # to the failures
}

# The audit action of each target state.
ACTIONS: dict[str, str] = {A.SENDING: "announcement.sending", A.SENT: "announcement.sent"}

D = Delivery.State
DELIVERY_TRANSITIONS: dict[str, frozenset[str]] = {
    D.QUEUED: frozenset({D.SENT, D.FAILED}),
    D.FAILED: frozenset({D.QUEUED}),
    D.SENT: frozenset(),
    D.UNSUBSCRIBED: frozenset(),
}


def can_transition(current: str, to: str) -> bool:
    return to in TRANSITIONS.get(current, frozenset())


def require_allowed(action: str, announcement: Announcement) -> str:
    """The target state of ``action``; TransitionError ``not_allowed`` when the announcement's
    state does not allow it."""
    target, allowed_from = ACTIONS_ALLOWED[action]
    if announcement.state not in allowed_from:
        raise TransitionError(
            "not_allowed",
            _("An announcement that is “%(current)s” cannot become “%(target)s”.")
            % {"current": A(announcement.state).label, "target": A(target).label},
        )
    return target


def delivery_sources(to: str) -> list[str]:
    """The delivery states from which a delivery may become ``to`` (for conditional UPDATEs)."""
    return [state for state, targets in DELIVERY_TRANSITIONS.items() if to in targets]


def transition(
    announcement: Announcement,
    *,
    to: str,
    actor=None,
    actor_label: str = "",
    data: dict | None = None,
    quiet: bool = False,
    **fields,
) -> bool:
    """Move an announcement to ``to`` (and set ``fields``) and write the audit entry.

    The UPDATE is conditional on the state the caller saw, so two clicks (or two batches
    finishing at once) cannot both do it: the second gets a TransitionError ``invalid_transition``,
    or False with ``quiet``."""
    current = announcement.state
    moved = can_transition(current, to) and bool(
        Announcement.objects.filter(pk=announcement.pk, state=current).update(state=to, **fields)
    )
    if not moved:
        if quiet:
            return False
        raise TransitionError(
            "invalid_transition",
            _("An announcement that is “%(current)s” cannot become “%(target)s”.")
            % {"current": A(current).label, "target": A(to).label},
        )
    announcement.state = to
    for name, value in fields.items():
        setattr(announcement, name, value)
    audit(
        action=ACTIONS[to],
        actor=actor,
        actor_label=actor_label,
        data={"announcement": announcement.pk, "from": current, "to": to, **(data or {})},
    )
    return True
