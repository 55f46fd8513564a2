"""Thin Celery tasks: load by id, call a service or a mailer. Queued through accreditation.notify.outbox.

Every task that does work for a request runs through ``_run``: it acts only on work recorded
in the outbox, retries what can pass (the database, the mail server or the disk away for a
moment) with a growing delay, gives up visibly after its last attempt (staff see it in
*Background tasks* and retry it), and marks the work done only once it is done. Each task has
a time limit (settings: CELERY_TASK_TIME_LIMIT and the ones below), so a mail server that
never answers holds a worker for seconds, not minutes."""

from __future__ import annotations

import datetime as dt
import random

from celery import current_app, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError

from accreditation import apply
from accreditation.models import AccreditationRequest, AddressCheck, LateAdmission
from accreditation.notify import emails, outbox

# What may pass by itself: the network, SMTP (smtplib's errors are OSErrors), the disk, the
# database restarting, a run cut by its time limit.
TRANSIENT = (OSError, OperationalError, InterfaceError, SoftTimeLimitExceeded)

EMAIL = {"bind": True, "max_retries": 8, "acks_late": True}


def _backoff(retries: int) -> int:
    """Seconds before the next attempt: 5, 10, 20… up to 10 minutes, with jitter (always far
    below the broker's visibility timeout)."""
    return min(600, 5 * 2**retries) + random.randint(0, 5)


def _run(task, outbox_id, work) -> None:
    if not outbox.start(outbox_id, task.name, max_runs=task.max_retries + 2):
        return
    try:
        work()
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        if isinstance(exc, TRANSIENT) and task.request.retries < task.max_retries:
            countdown = _backoff(task.request.retries)
            outbox.failed_once(outbox_id, error, retry_in=countdown)
            raise task.retry(exc=exc, countdown=countdown) from exc
        outbox.give_up(outbox_id, error)
        return
    outbox.finish(outbox_id)


@shared_task(name="accreditation.send_request_email", **EMAIL)
def send_request_email(
    self, request_id: int, kind: str, outbox_id: int | None = None, extra: dict | None = None
) -> None:
    def send():
        req = AccreditationRequest.objects.select_related("event").get(pk=request_id)
        emails.send_to_applicant(req, kind, extra, message_id=emails.message_id(outbox_id))

    _run(self, outbox_id, send)


@shared_task(name="accreditation.send_contact_notice", **EMAIL)
def send_contact_notice(self, request_id: int, outbox_id: int | None = None) -> None:
    def send():
        req = AccreditationRequest.objects.select_related("event").get(pk=request_id)
        emails.send_contact_notice(req, message_id=emails.message_id(outbox_id))

    _run(self, outbox_id, send)


@shared_task(name="accreditation.send_late_admission", **EMAIL)
def send_late_admission(self, admission_id: int, outbox_id: int | None = None) -> None:
    def send():
        admission = LateAdmission.objects.select_related("event").get(pk=admission_id)
        language = admission.event.staff_language
        emails.send_late_admission(admission, language, message_id=emails.message_id(outbox_id))

    _run(self, outbox_id, send)


@shared_task(name="accreditation.send_answer_notice", **EMAIL)
def send_answer_notice(self, request_id: int, user_id: int, outbox_id: int | None = None) -> None:
    def send():
        from django.contrib.auth import get_user_model

        req = AccreditationRequest.objects.select_related("event").get(pk=request_id)
        user = get_user_model().objects.get(pk=user_id)
        if user.is_active and user.email:
            emails.send_answer_notice(req, user, message_id=emails.message_id(outbox_id))

    _run(self, outbox_id, send)


@shared_task(name="accreditation.send_address_check", **EMAIL)
def send_address_check(self, check_id: int, outbox_id: int | None = None) -> None:
    def send():
        check = AddressCheck.objects.select_related("event").get(pk=check_id)
        emails.send_address_check(check, message_id=emails.message_id(outbox_id))

    _run(self, outbox_id, send)


@shared_task(name="accreditation.dispatch_outbox")
def dispatch_outbox() -> int:
    from config.health import beat_stamp

    beat_stamp()  # beat sends this every minute: /health/ knows beat is alive
    return outbox.dispatch_pending()


@shared_task(name="accreditation.resume_stalled")
def resume_stalled() -> int:
    """Work whose message was lost or whose worker died, sent again within minutes (beat)."""

    def limit(name: str) -> dt.timedelta:
        task = current_app.tasks.get(name)
        seconds = getattr(task, "time_limit", None) or settings.CELERY_TASK_TIME_LIMIT
        return dt.timedelta(seconds=seconds + 60)

    return outbox.resume_stalled(
        not_started_after=dt.timedelta(minutes=settings.PRESSPASS_TASK_LOST_MINUTES),
        running_longer_than=limit,
    )


@shared_task(name="accreditation.purge_pending_uploads")
def purge_pending_uploads() -> int:
    from accreditation.apply.address import address_purge

    return apply.pending_purge() + address_purge()


@shared_task(
    name="accreditation.run_checks",
    bind=True,
    max_retries=6,
    acks_late=True,
    soft_time_limit=240,
    time_limit=300,
)
def run_checks(self, request_id: int, outbox_id: int | None = None) -> None:
    from accreditation.checks.pipeline import checks_run

    _run(self, outbox_id, lambda: checks_run(request_id=request_id))


@shared_task(name="accreditation.sweep_checks")
def sweep_checks() -> int:
    from accreditation.checks.pipeline import checks_sweep

    return checks_sweep()


@shared_task(name="accreditation.issue_badge", bind=True, max_retries=6, acks_late=True)
def issue_badge(self, request_id: int, outbox_id: int | None = None) -> None:
    from accreditation.badges.issuing import badge_issue

    _run(self, outbox_id, lambda: badge_issue(request_id=request_id))


@shared_task(name="accreditation.update_badge_sessions", bind=True, max_retries=6, acks_late=True)
def update_badge_sessions(self, request_id: int, outbox_id: int | None = None) -> None:
    from accreditation.badges.issuing import badge_sessions_update

    _run(self, outbox_id, lambda: badge_sessions_update(request_id=request_id))


@shared_task(
    name="accreditation.render_print_batch",
    bind=True,
    max_retries=3,
    acks_late=True,
    soft_time_limit=1200,
    time_limit=1260,
)
def render_print_batch(self, batch_id: int, outbox_id: int | None = None) -> None:
    from accreditation.badges.printing import batch_render

    _run(self, outbox_id, lambda: batch_render(batch_id=batch_id))


@shared_task(name="accreditation.purge_print_batches")
def purge_print_batches() -> int:
    from accreditation.badges.printing import batch_purge

    return batch_purge()


@shared_task(name="accreditation.send_reminders")
def send_reminders() -> dict:
    """Hourly (beat): unanswered questions, the deadline, the badge to collect."""
    from accreditation.notify.reminders import all_reminders_send

    return all_reminders_send()


@shared_task(name="accreditation.retention_purge")
def retention_purge() -> dict:
    from accreditation.privacy.retention import retention_purge as purge

    return purge()
