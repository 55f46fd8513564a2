"""The journalist's side of a proposal: confirm one slot (never double-booking a journalist or
a target), or ask for other times.

Two confirmations at once cannot both pass: each locks, in one order, the journalists'
requests concerned (by primary key), then the interview request, then its target, and only
then looks for an overlap. Two confirmations for one journalist or one target therefore wait
for each other, and the second sees the first's slot. (The revocation's cancellation locks the
journalist's request first too, so the two never wait on each other in a circle.)"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from accreditation.errors import ServiceError
from accreditation.interviews import selectors
from accreditation.interviews.contact import new_link_fields
from accreditation.interviews.models import (
    InterviewMessage,
    InterviewRequest,
    InterviewStatus,
    InterviewTarget,
)
from accreditation.interviews.workflow import ACCREDITED, notify, require_allowed, transition
from accreditation.models import AccreditationRequest
from accreditation.workflow import APPLICANT

S = InterviewStatus


def lock_journalists(request_ids) -> dict[int, AccreditationRequest]:
    """The journalists' requests, locked in primary-key order (the one order every interview
    service locks them in)."""
    rows = AccreditationRequest.objects.select_for_update().filter(pk__in=sorted(set(request_ids)))
    return {row.pk: row for row in rows.order_by("pk")}


def lock_interview(interview: InterviewRequest) -> InterviewRequest:
    """One interview request, locked after its journalist's request (the one order)."""
    lock_journalists([interview.request_id])
    return (
        InterviewRequest.objects.select_for_update(of=("self",))
        .select_related("event", "target", "request")
        .get(pk=interview.pk)
    )


def _lock_target(target_id: int) -> None:
    # No ordering: the targets' default one joins the event, whose row FOR UPDATE would lock
    # too (every confirmation of the event would then wait for every other).
    qs = InterviewTarget.objects.select_for_update(of=("self",)).filter(pk=target_id).order_by()
    list(qs.values_list("pk", flat=True))


def _not_accredited() -> ServiceError:
    return ServiceError(
        "not_accredited",
        _("Only accredited journalists' interview requests go forward."),
    )


def interview_confirm(
    *, interview: InterviewRequest, slot_id: int, ip_address: str | None = None
) -> None:
    """The journalist confirms one proposed slot; they and the target's contact get it by
    e-mail with its calendar entry (and so does everyone who joined it as a group)."""
    with transaction.atomic():
        people = selectors.participants(interview)
        journalists = lock_journalists(people)
        locked = (
            InterviewRequest.objects.select_for_update(of=("self",))
            .select_related("event", "target")
            .get(pk=interview.pk)
        )
        if selectors.participants(locked) != people:
            raise ServiceError(
                "stale",
                _("Someone else changed this interview request in the meantime. Reload it."),
            )
        require_allowed("confirm", locked)
        if journalists[locked.request_id].status not in ACCREDITED:
            raise _not_accredited()
        _lock_target(locked.target_id)
        slot = locked.slots.filter(pk=slot_id, withdrawn=False).first()
        if slot is None:
            raise ServiceError("unknown_slot", _("Choose one of the times proposed."), field="slot")
        if selectors.target_busy(locked.target_id, slot.starts_at, slot.ends_at, exclude=locked.pk):
            raise ServiceError(
                "target_busy",
                _("This time has just been taken by another interview. Choose another one."),
                field="slot",
            )
        for request_id in people:
            if selectors.journalist_busy(request_id, slot.starts_at, slot.ends_at):
                raise ServiceError(
                    "journalist_busy",
                    _("You already have an interview at this time. Choose another one.")
                    if request_id == locked.request_id
                    else _(
                        "A journalist who joined this group interview already has an interview "
                        "at this time. Choose another one."
                    ),
                    field="slot",
                )
        transition(
            locked,
            action="confirm",
            actor_label=APPLICANT,
            ip_address=ip_address,
            data={"slot": slot.pk},
            fields={"starts_at": slot.starts_at, "ends_at": slot.ends_at, "place": slot.place},
        )
        for request_id in people:
            notify(locked, "journalist", "confirmed", request_id=request_id)
        notify(locked, "contact", "confirmed")
    interview.status = locked.status


def interview_other_times(
    *, interview: InterviewRequest, note: str = "", ip_address: str | None = None
) -> None:
    """No proposed time suits the journalist: the contact is asked again, with a new link."""
    with transaction.atomic():
        locked = lock_interview(interview)
        require_allowed("other_times", locked)
        if locked.request.status not in ACCREDITED:
            raise _not_accredited()
        note = (note or "").strip()
        if note:
            InterviewMessage.objects.create(
                interview=locked, author=InterviewMessage.Author.JOURNALIST, body=note
            )
        locked.slots.filter(withdrawn=False).update(withdrawn=True)
        transition(
            locked,
            action="other_times",
            actor_label=APPLICANT,
            ip_address=ip_address,
            fields=new_link_fields(locked),
        )
        notify(locked, "contact", "other_times", note=note)
    interview.status = locked.status
    interview.contact_nonce = locked.contact_nonce
