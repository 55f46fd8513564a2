"""Erasing one person: the single rule used by a staff-approved erasure (erasure_requests.py)
and by the retention purge's identity stage (retention.py).

Everything personal tied to the request goes (accreditation.privacy.inventory says what and
where): the request and its documents, derived copies, photo, badge, messages, check results,
waiting places, interviews and their threads, announcement deliveries, crew and outlet links,
late admissions and address checks for its address, the outbox rows and admin log lines about
any of them, and browser sessions that remember the address. Print batches that hold the
person's page lose their PDF (it holds several people: it is made again on demand) and the
person; scans lose their link to the badge and stay for the statistics. What remains is one
Tombstone: the final status, when and why it was erased, and the audit trail reduced to
actions, statuses and times.

Crash safety: rows go in one transaction, which also records the files to delete
(FileToDelete); the files are deleted after the commit. A crash in between leaves those rows,
never a row pointing at a missing file, and ``files_delete_pending`` (run by every erasure and
purge) finishes the job."""

from __future__ import annotations

import logging

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session as BrowserSession
from django.db import models, transaction
from django.utils import timezone

from accreditation.communications.models import Delivery
from accreditation.interviews.models import InterviewMessage, InterviewRequest
from accreditation.interviews.services import interviews_cancel_for_request
from accreditation.models import (
    AccreditationRequest,
    AddressCheck,
    AuditEntry,
    Badge,
    Document,
    LateAdmission,
    OutboxTask,
    PrintBatch,
    Scan,
)
from accreditation.models.requests import normalise_email
from accreditation.outlets.models import Confirmation, CrewMember
from accreditation.outlets.quota import outlet_quota_release
from accreditation.privacy.models import ERASURE, ErasureRequest, FileToDelete, Tombstone
from accreditation.privacy.storage import private_storage
from accreditation.review.capacity import places_release
from accreditation.workflow import audit

log = logging.getLogger(__name__)

# The outbox's keyword arguments that name a row tied to a person, and that row's model.
OUTBOX_KEYS: dict[str, type[models.Model]] = {
    "request_id": AccreditationRequest,
    "interview_id": InterviewRequest,
    "member_id": CrewMember,
    "confirmation_id": Confirmation,
    "admission_id": LateAdmission,
    "check_id": AddressCheck,
}


def _trail(req: AccreditationRequest) -> list[dict]:
    """The request's audit trail without who, why, data or IP address: actions and times."""
    return [
        {"at": at.isoformat(), "action": action, "from": from_status, "to": to_status}
        for at, action, from_status, to_status in AuditEntry.objects.filter(request=req)
        .order_by("at", "pk")
        .values_list("at", "action", "from_status", "to_status")
    ]


def _files_of(req: AccreditationRequest) -> list[str]:
    names: list[str] = []
    for file, derived in Document.objects.filter(request=req).values_list("file", "derived"):
        names.append(file)
        names.extend(n for n in (derived or {}).values() if isinstance(n, str) and n)
    return [n for n in names if n]


def _batches_forget(badge: Badge) -> list[str]:
    """Print batches holding the badge: their PDF (the person's page among others) is deleted,
    the person taken off them, and the free text they carried emptied (a reprint reason may
    name the person). The batch stays in the desk's history; its other badges can be printed
    again. Returns the files to delete."""
    names: list[str] = []
    batches = list(PrintBatch.objects.select_for_update().filter(badges=badge))
    for batch in batches:
        if batch.file:
            names.append(batch.file.name)
        batch.badges.remove(badge)
        PrintBatch.objects.filter(pk=batch.pk).update(file="", reprint_reason="", error="")
        for entry in AuditEntry.objects.filter(action="badge.batch_queued", data__batch=batch.pk):
            data = dict(entry.data)
            data["badges"] = [pk for pk in data.get("badges", []) if pk != badge.pk]
            AuditEntry.objects.filter(pk=entry.pk).update(reason="", data=data)
    return names


def _mentions(value, email: str) -> bool:
    """Whether a session's value holds the address, however deep (the address step keeps
    ``{"email": …, "at": …}``, the page after it the bare address)."""
    if isinstance(value, str):
        return normalise_email(value) == email
    if isinstance(value, dict):
        return any(_mentions(v, email) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_mentions(v, email) for v in value)
    return False


def _sessions_forget(*, email: str, request_pk: int) -> int:
    """Browser sessions that remember the address (the address step) or the request (the page
    after submitting). Sessions are few and short-lived: they are read one by one."""
    forgotten = 0
    for session in BrowserSession.objects.filter(expire_date__gt=timezone.now()).iterator():
        data = session.get_decoded()
        if data.get("submitted") == request_pk or _mentions(data, email):
            session.delete()
            forgotten += 1
    return forgotten


def _outbox_forget(rows: dict[str, list[int]]) -> None:
    query = models.Q()
    for key, pks in rows.items():
        if pks:
            query |= models.Q(**{f"kwargs__{key}__in": pks})
    if query:
        OutboxTask.objects.filter(query).delete()


def _admin_log_forget(rows: dict[type[models.Model], list[int]]) -> None:
    """The admin's history repeats each object's name ("ABC123 Claire DUBOIS")."""
    query = models.Q()
    for model, pks in rows.items():
        if pks:
            query |= models.Q(
                content_type=ContentType.objects.get_for_model(model),
                object_id__in=[str(pk) for pk in pks],
            )
    if query:
        LogEntry.objects.filter(query).delete()


def erase_request(
    *,
    request: AccreditationRequest,
    cause: str,
    actor=None,
    erasure: ErasureRequest | None = None,
) -> Tombstone | None:
    """Erase the person behind ``request`` and leave its tombstone. None when it was erased
    already (a second call, or a run after a crash, does nothing more)."""
    with transaction.atomic():
        req = (
            AccreditationRequest.objects.select_for_update(of=("self",))
            .select_related("event")
            .filter(pk=request.pk)
            .first()
        )
        if req is None:
            return None
        email = normalise_email(req.email)
        if cause == ERASURE:
            # Asked for while the event may be on: the places it held go to the next in line
            # (the sessions' media places, the outlet's quota), as when it is revoked.
            places_release(req)
            outlet_quota_release(request=req, actor=actor)
        names = _files_of(req)
        badge = Badge.objects.filter(request=req).first()
        if badge is not None:
            names += _batches_forget(badge)
            Scan.objects.filter(badge=badge).update(badge=None)

        # A group interview they held goes on for those who joined it (handed over, as when
        # they cancel or their accreditation ends); their own interviews are cancelled and
        # their slots freed; what they wrote in a handed-over group's thread goes with them.
        # (Asked for only: after the event, the retention purge tells no one.)
        if cause == ERASURE:
            held = list(
                InterviewRequest.objects.filter(request=req, merged__isnull=False)
                .values_list("pk", flat=True)
                .distinct()
            )
            interviews_cancel_for_request(request=req, actor=actor)
            InterviewMessage.objects.filter(
                interview__in=held, author=InterviewMessage.Author.JOURNALIST
            ).exclude(interview__request=req).delete()
        interviews = list(InterviewRequest.objects.filter(request=req).values_list("pk", flat=True))
        crew = list(
            CrewMember.objects.filter(
                models.Q(request=req)
                | models.Q(outlet__event=req.event_id, email__iexact=email, request__isnull=True)
            ).values_list("pk", flat=True)
        )
        confirmations = list(Confirmation.objects.filter(request=req).values_list("pk", flat=True))
        admissions = list(
            LateAdmission.objects.filter(
                models.Q(pk=req.late_admission_id)
                | models.Q(
                    event=req.event_id, email__iexact=email, accreditationrequest__isnull=True
                )
            ).values_list("pk", flat=True)
        )
        checks = list(
            AddressCheck.objects.filter(event=req.event_id, email__iexact=email).values_list(
                "pk", flat=True
            )
        )
        documents = list(Document.objects.filter(request=req).values_list("pk", flat=True))
        _outbox_forget(
            {
                "request_id": [req.pk],
                "interview_id": interviews,
                "member_id": crew,
                "confirmation_id": confirmations,
                "admission_id": admissions,
                "check_id": checks,
            }
        )
        _admin_log_forget(
            {
                AccreditationRequest: [req.pk],
                Document: documents,
                Badge: [badge.pk] if badge else [],
                InterviewRequest: interviews,
                CrewMember: crew,
                LateAdmission: admissions,
                Delivery: list(Delivery.objects.filter(request=req).values_list("pk", flat=True)),
            }
        )
        _sessions_forget(email=email, request_pk=req.pk)

        now = timezone.now()
        tombstone = Tombstone.objects.create(
            event=req.event,
            final_status=req.status,
            submitted_on=timezone.localdate(req.submitted_at, req.event.tz),
            erased_at=now,
            cause=cause,
            trail=_trail(req),
        )
        # Other erasure requests of the person (an earlier one refused): their reason is
        # about the person.
        ErasureRequest.objects.filter(request=req).exclude(
            pk=erasure.pk if erasure else None
        ).update(refusal_reason="", notify_email="", request=None)

        CrewMember.objects.filter(pk__in=crew).delete()
        req.delete()  # documents, checks, badge, messages, interviews, deliveries… cascade
        LateAdmission.objects.filter(pk__in=admissions).delete()
        AddressCheck.objects.filter(pk__in=checks).delete()

        FileToDelete.objects.bulk_create([FileToDelete(name=name) for name in names])
        audit(
            action="privacy.erased",
            actor=actor,
            actor_label="" if actor else "presspass-retention",
            data={"tombstone": tombstone.pk, "cause": cause, "files": len(names)},
        )
        transaction.on_commit(files_delete_pending)
    tombstone.files = len(names)  # how many files go with it (the purge's totals)
    return tombstone


def files_delete_pending() -> int:
    """Delete the files whose rows are gone (FileToDelete), then their FileToDelete rows.
    Safe to run any time, any number of times: a file already gone is skipped."""
    storage = private_storage()
    deleted = 0
    for row in list(FileToDelete.objects.all()[:5000]):
        try:
            storage.delete(row.name)
        except FileNotFoundError:
            pass
        except OSError as exc:  # the disk or the bucket away: the next run tries again
            log.warning("File to delete %s kept for the next run: %s", row.pk, type(exc).__name__)
            continue
        row.delete()
        deleted += 1
    return deleted
