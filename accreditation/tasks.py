"""Thin Celery tasks: load by id, call a service or a mailer. Queued through accreditation.notify.outbox."""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError

from accreditation import apply
from accreditation.models import AccreditationRequest, LateAdmission
from accreditation.notify import emails, outbox

RETRY = {
    "autoretry_for": (OSError,),
    "retry_backoff": 5,
    "retry_backoff_max": 600,
    "max_retries": 8,
}


def _once(outbox_id, send) -> None:
    """Claim the outbox row, send, and release the claim if sending failed (so a retry sends)."""
    if not outbox.claim(outbox_id):
        return
    try:
        send()
    except Exception:
        outbox.unclaim(outbox_id)
        raise


@shared_task(name="accreditation.send_request_email", **RETRY)
def send_request_email(
    request_id: int, kind: str, outbox_id: int | None = None, extra: dict | None = None
) -> None:
    req = AccreditationRequest.objects.select_related("event").get(pk=request_id)
    _once(outbox_id, lambda: emails.send_to_applicant(req, kind, extra))


@shared_task(name="accreditation.send_contact_notice", **RETRY)
def send_contact_notice(request_id: int, outbox_id: int | None = None) -> None:
    req = AccreditationRequest.objects.select_related("event").get(pk=request_id)
    _once(outbox_id, lambda: emails.send_contact_notice(req))


@shared_task(name="accreditation.send_late_admission", **RETRY)
def send_late_admission(admission_id: int, outbox_id: int | None = None) -> None:
    admission = LateAdmission.objects.select_related("event").get(pk=admission_id)
    language = admission.event.staff_language
    _once(outbox_id, lambda: emails.send_late_admission(admission, language))


@shared_task(name="accreditation.dispatch_outbox")
def dispatch_outbox() -> int:
    return outbox.dispatch_pending()


@shared_task(name="accreditation.purge_pending_uploads")
def purge_pending_uploads() -> int:
    return apply.pending_purge()


@shared_task(
    name="accreditation.run_checks",
    autoretry_for=(OSError, DatabaseError),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=6,
    acks_late=True,
)
def run_checks(request_id: int, outbox_id: int | None = None) -> None:
    from accreditation.checks.pipeline import checks_run

    checks_run(request_id=request_id)
    outbox.claim(outbox_id)


@shared_task(name="accreditation.sweep_checks")
def sweep_checks() -> int:
    from accreditation.checks.pipeline import checks_sweep

    return checks_sweep()


@shared_task(
    name="accreditation.issue_badge",
    autoretry_for=(OSError, DatabaseError),
    retry_backoff=5,
    max_retries=6,
)
def issue_badge(request_id: int, outbox_id: int | None = None) -> None:
    from accreditation.badges.issuing import badge_issue

    badge_issue(request_id=request_id)
    outbox.claim(outbox_id)


@shared_task(
    name="accreditation.render_print_batch",
    autoretry_for=(OSError,),
    retry_backoff=5,
    max_retries=3,
)
def render_print_batch(batch_id: int, outbox_id: int | None = None) -> None:
    from accreditation.badges.printing import batch_render

    batch_render(batch_id=batch_id)
    outbox.claim(outbox_id)


@shared_task(name="accreditation.purge_print_batches")
def purge_print_batches() -> int:
    from accreditation.badges.printing import batch_purge

    return batch_purge()


@shared_task(name="accreditation.send_reminders")
def send_reminders() -> int:
    from accreditation.notify.reminders import reminders_send

    return reminders_send()


@shared_task(name="accreditation.retention_purge")
def retention_purge() -> dict:
    from accreditation.privacy.retention import retention_purge as purge

    return purge()
