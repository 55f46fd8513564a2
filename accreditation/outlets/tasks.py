"""The outlets' tasks, and the hand-on of sessions' media places (the waiting lines the
outlets' crews join): thin, through the outbox and accreditation.tasks' ``_run`` (retries,
visible failure, one Message-ID per outbox row)."""

from __future__ import annotations

from celery import shared_task

from accreditation.notify.emails import message_id
from accreditation.outlets.links import CHECK_PROOF, SEND_EMAIL
from accreditation.review.capacity import OFFER_TASK
from accreditation.tasks import EMAIL, _run


@shared_task(name=SEND_EMAIL, **EMAIL)
def send_email(
    self,
    outlet_id: int,
    kind: str,
    member_id: int | None = None,
    confirmation_id: int | None = None,
    outbox_id: int | None = None,
) -> None:
    def send():
        from accreditation.outlets import emails

        emails.send(
            outlet_id=outlet_id,
            kind=kind,
            member_id=member_id,
            confirmation_id=confirmation_id,
            message_id=message_id(outbox_id),
        )

    _run(self, outbox_id, send)


@shared_task(
    name=CHECK_PROOF, bind=True, max_retries=6, acks_late=True, soft_time_limit=240, time_limit=300
)
def check_proof(self, outlet_id: int, outbox_id: int | None = None) -> None:
    from accreditation.outlets.checks import proof_check

    _run(self, outbox_id, lambda: proof_check(outlet_id=outlet_id))


@shared_task(name=OFFER_TASK, bind=True, max_retries=6, acks_late=True)
def session_places_offer(self, session_id: int, outbox_id: int | None = None) -> None:
    """A session's free media places go to its waiting line (after a revocation, a withdrawal,
    or staff changing its capacity): accreditation.review.capacity.places_offer."""
    from accreditation.review.capacity import places_offer

    _run(self, outbox_id, lambda: places_offer(session_id=session_id))
