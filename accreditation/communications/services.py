"""Every write of announcements: drafts and their files, sending (fan-out in batches through the
outbox), resending to the failures, and a journalist's unsubscribing from optional ones.

Sending never holds a transaction or a worker for long: the press office's click starts it and
records one task (plan); the plan creates the deliveries 200 at a time, each batch in its own
transaction with the task that sends it; each batch task sends its e-mails over one connection
and marks each delivery as it goes (a retried batch sends only what is still queued); the last
one to finish marks the announcement sent."""

from __future__ import annotations

import smtplib
from collections.abc import Iterable

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import Count, F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accreditation.communications import audience, calendar, states
from accreditation.communications.mailing import AnnouncementMail
from accreditation.communications.models import Announcement, Attachment, Delivery, OptOut
from accreditation.errors import ServiceError
from accreditation.filetypes import EXTENSIONS, JPEG, PDF, PNG, screen, sniff
from accreditation.models import AccreditationRequest, OutboxTask
from accreditation.notify import outbox
from accreditation.privacy.storage import private_storage, random_name
from accreditation.roles import require_event, require_permission
from accreditation.workflow import APPLICANT, audit

SEND = "communications.send_announcement"
PLAN_TASK = "communications.plan_announcement"
BATCH_TASK = "communications.send_announcement_batch"
BATCH_SIZE = 200
ATTACHMENT_TYPES = frozenset({PDF, JPEG, PNG})
A = Announcement.State
D = Delivery.State


# --- Drafts ----------------------------------------------------------------------------------


def announcement_problems(announcement: Announcement) -> list[str]:
    """What keeps a draft from being sent (empty: it may be sent)."""
    problems = []
    first = announcement.event.staff_language
    if not (announcement.titles.get(first) and announcement.bodies.get(first)):
        language = str(dict(settings.LANGUAGES).get(first, first))
        problems.append(
            _("Write the title and the text in %(language)s, the event's first language.")
            % {"language": language}
        )
    for session in (announcement.session, announcement.audience_session):
        if session is not None and session.event_id != announcement.event_id:
            problems.append(_("A session of another event was chosen."))
    return problems


def announcement_save(
    *,
    announcement: Announcement,
    actor,
    files: Iterable[UploadedFile] = (),
    remove: Iterable[Attachment] = (),
) -> Announcement:
    """Save a draft, add the files given (type decided by content), remove those asked."""
    require_permission(actor, SEND)
    require_event(actor, announcement.event_id)
    checked = [(upload, attachment_type(upload)) for upload in files]
    storage = private_storage()
    stored: list[str] = []
    removed: list[str] = []
    try:
        with transaction.atomic():
            if announcement.pk is None:
                announcement.created_by = actor
                announcement.save()
            else:  # only a draft changes: its state is read again, not trusted from the form
                locked = Announcement.objects.select_for_update().get(pk=announcement.pk)
                if locked.state != A.DRAFT:
                    raise ServiceError("not_draft", _("Only a draft can be changed."))
                announcement.save()
            for upload, content_type in checked:
                name = storage.save(random_name("announcements", EXTENSIONS[content_type]), upload)
                stored.append(name)
                Attachment.objects.create(
                    announcement=announcement,
                    file=name,
                    original_name=_file_name(upload.name or ""),
                    content_type=content_type,
                    size=upload.size or 0,
                )
            for attachment in remove:
                if attachment.announcement_id == announcement.pk:
                    removed.append(attachment.file.name)
                    attachment.delete()
    except Exception:
        for name in stored:
            storage.delete(name)
        raise
    for name in removed:  # after the rows are gone: a crash leaves a file, never a row without
        storage.delete(name)
    return announcement


def announcement_delete(*, announcement: Announcement, actor) -> None:
    """Delete a draft and its files (a sent announcement stays: people received it)."""
    require_permission(actor, SEND)
    require_event(actor, announcement.event_id)
    with transaction.atomic():
        locked = Announcement.objects.select_for_update().get(pk=announcement.pk)
        if locked.state != A.DRAFT:
            raise ServiceError("not_draft", _("Only a draft can be changed."))
        names = list(locked.attachments.values_list("file", flat=True))
        locked.delete()
    for name in names:
        private_storage().delete(name)


def _file_name(name: str) -> str:
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    return name[-200:] or "attachment"


def attachment_type(upload: UploadedFile) -> str:
    content_type = sniff(upload)
    if content_type not in ATTACHMENT_TYPES:
        raise ServiceError(
            "file_type",
            _("%(name)s is not a PDF, JPEG or PNG file (its content was checked, not its name).")
            % {"name": upload.name},
            field="files",
        )
    if (upload.size or 0) > settings.PRESSPASS_MAX_FILE_MB * 1024 * 1024:
        raise ServiceError(
            "file_too_large",
            _("%(name)s is larger than %(mb)s MB.")
            % {"name": upload.name, "mb": settings.PRESSPASS_MAX_FILE_MB},
            field="files",
        )
    if screen(upload, content_type) is not None:
        raise ServiceError(
            "file_refused",
            _("%(name)s was refused: it is damaged or holds more than its document.")
            % {"name": upload.name},
            field="files",
        )
    return content_type


# --- Sending ---------------------------------------------------------------------------------


def announcement_send(*, announcement: Announcement, actor) -> Announcement:
    """The press office sends a draft: it becomes "sending", its session's time and place are
    fixed for the calendar entry, and the plan task is recorded with the change."""
    require_permission(actor, SEND)
    require_event(actor, announcement.event_id)
    with transaction.atomic():
        locked = (
            Announcement.objects.select_for_update(of=("self",))
            .select_related("event", "session")
            .get(pk=announcement.pk)
        )
        target = states.require_allowed("send", locked)
        problems = announcement_problems(locked)
        if problems:
            raise ServiceError("incomplete", " ".join(problems))
        states.transition(
            locked,
            to=target,
            actor=actor,
            data={"recipients": audience.recipients(locked).count()},
            sent_by=actor,
            send_started_at=timezone.now(),
            calendar=calendar.snapshot(locked.session),
        )
        outbox.enqueue(PLAN_TASK, announcement_id=locked.pk)
    return locked


def announcement_plan(*, announcement_id: int) -> int:
    """Create the deliveries of a sending announcement, BATCH_SIZE at a time, each batch with
    its task in one transaction. Run again after a crash, it creates only the missing ones.
    Returns the number of batches recorded."""
    announcement = Announcement.objects.select_related("event").get(pk=announcement_id)
    if announcement.state != A.SENDING or announcement.planned_at is not None:
        announcement_finish_if_done(announcement_id=announcement_id)
        return 0
    have = set(
        Delivery.objects.filter(announcement=announcement).values_list("request_id", flat=True)
    )
    rows = [
        row
        for row in audience.recipients(announcement).values_list("pk", "language", "opted_out")
        if row[0] not in have
    ]
    batch = _next_batch(announcement_id)
    batches = 0
    for start in range(0, len(rows), BATCH_SIZE):
        deliveries = []
        for pk, language, opted_out in rows[start : start + BATCH_SIZE]:
            text_language, fallback = announcement.text_language(language)
            mailed = audience.e_mailed(announcement, opted_out)
            deliveries.append(
                Delivery(
                    announcement_id=announcement_id,
                    request_id=pk,
                    batch=batch,
                    language=text_language,
                    fallback=fallback,
                    state=D.QUEUED if mailed else D.UNSUBSCRIBED,
                )
            )
        with transaction.atomic():
            Delivery.objects.bulk_create(deliveries)
            if any(d.state == D.QUEUED for d in deliveries):
                outbox.enqueue(BATCH_TASK, announcement_id=announcement_id, batch=batch)
                batches += 1
        batch += 1
    Announcement.objects.filter(pk=announcement_id, planned_at__isnull=True).update(
        planned_at=timezone.now(),
        recipients_count=Delivery.objects.filter(announcement_id=announcement_id).count(),
    )
    announcement_finish_if_done(announcement_id=announcement_id)
    return batches


def _next_batch(announcement_id: int) -> int:
    last = Delivery.objects.filter(announcement_id=announcement_id).aggregate(n=Max("batch"))["n"]
    return 0 if last is None else last + 1


def permanent(exc: Exception) -> bool:
    """A refusal that concerns this recipient (and that trying again will not change): the
    address refused, or the server's permanent answer (5xx) to this message."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return True
    return isinstance(exc, smtplib.SMTPResponseException) and 500 <= exc.smtp_code < 600


def _smtp_error(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


def announcement_send_batch(*, announcement_id: int, batch: int) -> int:
    """Send the queued e-mails of one batch over one connection; each delivery is marked as it
    goes. A recipient refused is marked failed with the server's answer and the batch goes on;
    anything else (the server away) stops the batch for the task to retry. Returns how many
    were sent."""
    announcement = Announcement.objects.select_related("event", "session").get(pk=announcement_id)
    deliveries = list(
        Delivery.objects.filter(announcement=announcement, batch=batch, state=D.QUEUED)
        .select_related("request")
        .order_by("pk")
    )
    sent = 0
    if deliveries:
        mail = AnnouncementMail(announcement)
        with get_connection() as connection:
            for delivery in deliveries:
                message = mail.message(delivery, connection=connection)
                try:
                    connection.send_messages([message])
                except Exception as exc:
                    error = _smtp_error(exc)
                    if not permanent(exc):
                        Delivery.objects.filter(pk=delivery.pk).update(
                            attempts=F("attempts") + 1, error=error
                        )
                        raise
                    _deliveries_move([delivery.pk], to=D.FAILED, error=error)
                    continue
                _deliveries_move([delivery.pk], to=D.SENT, sent_at=timezone.now())
                sent += 1
    announcement_finish_if_done(announcement_id=announcement_id)
    return sent


def _deliveries_move(ids: list[int], *, to: str, **fields) -> int:
    return Delivery.objects.filter(pk__in=ids, state__in=states.delivery_sources(to)).update(
        state=to, attempts=F("attempts") + int(to != D.QUEUED), **fields
    )


def announcement_batch_given_up(*, announcement_id: int, batch: int, outbox_id) -> int:
    """A batch whose task failed for good: its deliveries still queued are failed, with the
    task's last error, so that the announcement finishes and staff may resend to them."""
    row = OutboxTask.objects.filter(pk=outbox_id, failed_at__isnull=False).first()
    if row is None:
        return 0
    ids = list(
        Delivery.objects.filter(
            announcement_id=announcement_id, batch=batch, state=D.QUEUED
        ).values_list("pk", flat=True)
    )
    failed = _deliveries_move(ids, to=D.FAILED, error=row.last_error[:2000])
    announcement_finish_if_done(announcement_id=announcement_id)
    return failed


def announcement_finish_if_done(*, announcement_id: int) -> bool:
    """Sent once every delivery is created and none is queued (whichever batch is last)."""
    announcement = Announcement.objects.filter(
        pk=announcement_id, state=A.SENDING, planned_at__isnull=False
    ).first()
    if announcement is None:
        return False
    if Delivery.objects.filter(announcement_id=announcement_id, state=D.QUEUED).exists():
        return False
    counts = delivery_counts(announcement_id)
    return states.transition(
        announcement,
        to=A.SENT,
        actor_label="Presspass",
        data=counts,
        quiet=True,
        sent_at=timezone.now(),
    )


def delivery_counts(announcement_id: int) -> dict[str, int]:
    rows = (
        Delivery.objects.filter(announcement_id=announcement_id)
        .values_list("state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {state: 0 for state in D.values}
    counts.update(dict(rows))
    return counts


def announcement_resend_failures(*, announcement: Announcement, actor) -> int:
    """Queue again every failed delivery of a sent announcement, in new batches (same
    Message-ID each: it is the same e-mail). Returns how many."""
    require_permission(actor, SEND)
    require_event(actor, announcement.event_id)
    with transaction.atomic():
        locked = Announcement.objects.select_for_update().get(pk=announcement.pk)
        target = states.require_allowed("resend", locked)
        ids = list(
            Delivery.objects.filter(announcement=locked, state=D.FAILED)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not ids:
            raise ServiceError("no_failures", _("No e-mail of this announcement failed."))
        states.transition(locked, to=target, actor=actor, data={"resent": len(ids)})
        batch = _next_batch(locked.pk)
        for start in range(0, len(ids), BATCH_SIZE):
            chunk = ids[start : start + BATCH_SIZE]
            Delivery.objects.filter(pk__in=chunk, state=D.FAILED).update(
                state=D.QUEUED, batch=batch
            )
            outbox.enqueue(BATCH_TASK, announcement_id=locked.pk, batch=batch)
            batch += 1
    announcement.state = locked.state
    return len(ids)


# --- The journalist's choice -----------------------------------------------------------------


def announcements_unsubscribe(*, request: AccreditationRequest) -> bool:
    """No more optional announcements for this request (True if it changed)."""
    with transaction.atomic():
        _row, created = OptOut.objects.get_or_create(request=request)
        if created:
            audit(action="announcements.unsubscribed", request=request, actor_label=APPLICANT)
    return created


def announcements_resubscribe(*, request: AccreditationRequest) -> bool:
    with transaction.atomic():
        deleted, _rows = OptOut.objects.filter(request=request).delete()
        if deleted:
            audit(action="announcements.resubscribed", request=request, actor_label=APPLICANT)
    return bool(deleted)
