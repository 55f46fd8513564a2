"""The interview e-mails' task: thin, through the outbox and accreditation.tasks' ``_run``
(retries, visible failure, one Message-ID per outbox row)."""

from __future__ import annotations

from celery import shared_task

from accreditation.notify.emails import message_id
from accreditation.tasks import EMAIL, _run

SEND_EMAIL = "interviews.send_email"


@shared_task(name=SEND_EMAIL, **EMAIL)
def send_email(
    self,
    interview_id: int,
    recipient: str,
    kind: str,
    request_id: int | None = None,
    extra: dict | None = None,
    outbox_id: int | None = None,
) -> None:
    def send():
        from accreditation.interviews import emails

        emails.send(
            interview_id=interview_id,
            recipient=recipient,
            kind=kind,
            request_id=request_id,
            extra=extra,
            message_id=message_id(outbox_id),
        )

    _run(self, outbox_id, send)
