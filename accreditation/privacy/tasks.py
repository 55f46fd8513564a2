"""Data protection's tasks: thin, through the outbox and accreditation.tasks' ``_run``
(retries, visible failure, one Message-ID per outbox row). The daily purge keeps its task and
beat entry in accreditation.tasks (``accreditation.retention_purge``)."""

from __future__ import annotations

from celery import shared_task

from accreditation.notify.emails import message_id
from accreditation.tasks import EMAIL, _run

SEND_ERASURE_EMAIL = "privacy.send_erasure_email"


@shared_task(name=SEND_ERASURE_EMAIL, **EMAIL)
def send_erasure_email(self, erasure_id: int, recipient: str, outbox_id: int | None = None) -> None:
    def send():
        from accreditation.privacy import erasure_emails, erasure_requests

        erasure_emails.send(
            erasure_id=erasure_id, recipient=recipient, message_id=message_id(outbox_id)
        )
        if recipient == "journalist":
            erasure_requests.erasure_notified(erasure_id=erasure_id)

    _run(self, outbox_id, send)


@shared_task(name="privacy.sweep_orphan_files")
def sweep_orphan_files() -> dict:
    """Daily (beat): the private files no row names, older than a day (privacy.orphans)."""
    from accreditation.privacy.orphans import orphans_sweep

    return orphans_sweep().as_data()
