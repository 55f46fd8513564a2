"""The announcements' Celery tasks: thin, by id, through accreditation.tasks' ``_run`` (work
recorded in the outbox only, retries with back-off, visible failure, a time limit)."""

from __future__ import annotations

from celery import shared_task

from accreditation.tasks import EMAIL, _run

# A batch of 200 e-mails over one SMTP connection takes seconds; a mail server that answers
# slowly gets minutes, and a batch cut by the limit is retried with what is still queued.
BATCH_LIMITS = {"soft_time_limit": 240, "time_limit": 300}


@shared_task(name="communications.plan_announcement", **EMAIL)
def plan_announcement(self, announcement_id: int, outbox_id: int | None = None) -> None:
    from accreditation.communications.services import announcement_plan

    _run(self, outbox_id, lambda: announcement_plan(announcement_id=announcement_id))


@shared_task(name="communications.send_announcement_batch", **EMAIL, **BATCH_LIMITS)
def send_announcement_batch(
    self, announcement_id: int, batch: int, outbox_id: int | None = None
) -> None:
    from accreditation.communications import services

    def send():
        services.announcement_send_batch(announcement_id=announcement_id, batch=batch)

    _run(self, outbox_id, send)
    # Given up for good (the last retry, or an error no retry mends): the batch's e-mails still
    # queued show failed, with the error, for staff to resend.
    services.announcement_batch_given_up(
        announcement_id=announcement_id, batch=batch, outbox_id=outbox_id
    )
