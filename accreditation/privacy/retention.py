"""Personal data are deleted when an event's retention periods end (law 09-08: limited
retention), in stages, by itself (beat: accreditation.retention_purge, daily):

1. documents: after ``event.documents_until``, the identity documents, press cards, mission
   letters, photos and their derived copies, the check results read from them, the print
   batches' PDFs and the outlets' proofs. Names and decisions stay (the status link still
   works until the identities go).
2. identities: after ``event.personal_data_until``, first the event's aggregate statistics
   (EventStatistics), then each request through erasure.erase_request (one transaction each,
   one tombstone each), then what is left of the event's people: late admissions never used,
   address checks, outlets and their focal points, interview contacts, print batches, scans.

Each stage is marked done per event (EventPurge) once complete: a run after a crash resumes
where the last one stopped (the requests already erased are gone, the statistics written
once), and a run after a complete one writes nothing."""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session as BrowserSession
from django.db import models, transaction
from django.utils import timezone

from accreditation.interviews.models import InterviewRequest, InterviewTarget
from accreditation.models import (
    AccreditationRequest,
    AddressCheck,
    AuditEntry,
    Badge,
    CheckResult,
    Document,
    LateAdmission,
    OutboxTask,
    PendingUpload,
    PrintBatch,
    Scan,
)
from accreditation.outlets.models import Outlet
from accreditation.privacy.erasure import erase_request, files_delete_pending
from accreditation.privacy.models import (
    RETENTION,
    ErasureRequest,
    EventPurge,
    EventStatistics,
    FileToDelete,
    Tombstone,
)
from accreditation.privacy.storage import private_storage
from accreditation.workflow import audit
from events.models import Event

log = logging.getLogger(__name__)

ACTOR = "presspass-retention"


def _local_today(event: Event, today: dt.date | None) -> dt.date:
    return today or timezone.localdate(timezone.now(), event.tz)


def _to_delete(names) -> int:
    names = [n for n in names if n]
    FileToDelete.objects.bulk_create([FileToDelete(name=n) for n in names])
    return len(names)


def documents_purge(*, event: Event) -> int:
    """Stage 1: the event's files, one request per transaction. Returns the files deleted."""
    files = 0
    for pk in AccreditationRequest.objects.filter(event=event).values_list("pk", flat=True):
        with transaction.atomic():
            documents = Document.objects.select_for_update().filter(request_id=pk)
            names: list[str] = []
            for file, derived in documents.values_list("file", "derived"):
                names.append(file)
                names.extend(n for n in (derived or {}).values() if isinstance(n, str))
            CheckResult.objects.filter(request_id=pk).delete()  # what was read in them
            documents.delete()
            files += _to_delete(names)
        files_delete_pending()
    with transaction.atomic():
        batches = PrintBatch.objects.filter(event=event).exclude(file="")
        files += _to_delete(batches.values_list("file", flat=True))
        batches.update(file="")
        outlets = Outlet.objects.filter(event=event).exclude(proof="")
        files += _to_delete(outlets.values_list("proof", flat=True))
        outlets.update(proof="", proof_checks=[])
        EventPurge.objects.update_or_create(
            event=event, defaults={"documents_purged_at": timezone.now()}
        )
        audit(
            action="retention.documents_purged",
            actor_label=ACTOR,
            data={"event": event.pk, "files": files},
        )
    files_delete_pending()
    return files


def _counts(queryset, field: str) -> dict[str, int]:
    return {
        str(row[field]): row["n"]
        for row in queryset.values(field).annotate(n=models.Count("pk")).order_by(field)
    }


def statistics_make(*, event: Event) -> EventStatistics:
    """The event's figures, from its requests (and the tombstones of those erased before):
    counts of one dimension each, admissions per session, badges printed and collected."""
    existing = EventStatistics.objects.filter(event=event).first()
    if existing is not None:
        return existing
    requests = AccreditationRequest.objects.filter(event=event)
    by_status = Counter(_counts(requests, "status"))
    erased_before = Tombstone.objects.filter(event=event)
    by_status.update(_counts(erased_before, "final_status"))
    by_day: Counter[str] = Counter(
        timezone.localdate(at, event.tz).isoformat()
        for at in requests.values_list("submitted_at", flat=True)
    )
    by_day.update(
        day.isoformat()
        for day in erased_before.values_list("submitted_on", flat=True)
        if day is not None
    )
    sessions = {}
    for session in event.sessions.order_by("starts_at", "pk"):
        scans = Scan.objects.filter(session=session, direction=Scan.Direction.ENTRY)
        admitted = scans.filter(decision=Scan.Decision.ADMIT)
        sessions[str(session.pk)] = {
            "title": session.title,
            "admitted": admitted.count(),
            "denied": scans.filter(decision=Scan.Decision.DENY).count(),
            "badges": admitted.exclude(badge=None).values("badge").distinct().count(),
        }
    badges = Badge.objects.filter(event=event)
    return EventStatistics.objects.create(
        event=event,
        made_at=timezone.now(),
        requests=requests.count() + erased_before.count(),
        by_status=dict(sorted(by_status.items())),
        by_nationality=_counts(requests, "nationality"),
        by_outlet_country=_counts(requests, "outlet_country"),
        by_outlet_type=_counts(requests, "outlet_type"),
        by_role=_counts(requests, "role"),
        by_day=dict(sorted(by_day.items())),
        sessions=sessions,
        badges_printed=badges.exclude(printed_at=None).count(),
        badges_collected=badges.exclude(collected_at=None).count(),
        interviews=_counts(InterviewRequest.objects.filter(event=event), "status"),
    )


def _event_rest_purge(event: Event) -> int:
    """What is left of the event's people once every request is erased. Returns the files."""
    outlets = list(Outlet.objects.filter(event=event).values_list("pk", flat=True))
    admissions = list(LateAdmission.objects.filter(event=event).values_list("pk", flat=True))
    targets = list(InterviewTarget.objects.filter(event=event).values_list("pk", flat=True))
    files = _to_delete(
        Outlet.objects.filter(pk__in=outlets).exclude(proof="").values_list("proof", flat=True)
    )
    files += _to_delete(
        PrintBatch.objects.filter(event=event).exclude(file="").values_list("file", flat=True)
    )
    OutboxTask.objects.filter(
        models.Q(kwargs__outlet_id__in=outlets) | models.Q(kwargs__admission_id__in=admissions)
    ).delete()
    AuditEntry.objects.filter(data__outlet__in=outlets).update(reason="", ip_address=None)
    for model, pks in ((Outlet, outlets), (LateAdmission, admissions), (InterviewTarget, targets)):
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model),
            object_id__in=[str(pk) for pk in pks],
        ).delete()
    Scan.objects.filter(checkpoint__event=event).delete()  # counted in the statistics
    PrintBatch.objects.filter(event=event).delete()
    Outlet.objects.filter(pk__in=outlets).delete()  # crews, links, confirmations cascade
    LateAdmission.objects.filter(pk__in=admissions).delete()
    AddressCheck.objects.filter(event=event).delete()
    InterviewTarget.objects.filter(pk__in=targets).delete()
    ErasureRequest.objects.filter(event=event).update(
        refusal_reason="", notify_email="", notify_language=""
    )
    return files


def identities_purge(*, event: Event, files_before: int = 0) -> tuple[int, int]:
    """Stage 2: statistics, then every request erased, then the rest. Returns (requests,
    files). The audit entry counts the files of the whole run for the event (``files_before``:
    the documents stage's, when the same run did it)."""
    with transaction.atomic():
        statistics_make(event=event)
    erased = files = 0
    for req in AccreditationRequest.objects.filter(event=event).only("pk").iterator():
        tombstone = erase_request(request=req, cause=RETENTION)
        if tombstone is not None:
            erased += 1
            files += tombstone.files
        files_delete_pending()
    with transaction.atomic():
        files += _event_rest_purge(event)
        EventPurge.objects.update_or_create(
            event=event, defaults={"identities_purged_at": timezone.now()}
        )
        audit(
            action="retention.purged",
            actor_label=ACTOR,
            data={"event": event.pk, "requests": erased, "files": files_before + files},
        )
    files_delete_pending()
    return erased, files


def retention_purge(*, today: dt.date | None = None) -> dict[str, int]:
    """Run every stage that is due, for every event ("today" in each event's time zone unless
    given). Returns how many requests were erased and files deleted by this run."""
    files_delete_pending()  # left by a run that stopped after its commit
    totals = {"requests": 0, "files": 0}
    for event in Event.objects.order_by("pk"):
        local_today = _local_today(event, today)
        marker = EventPurge.objects.filter(event=event).first()
        documents = 0
        if local_today > event.documents_until and not (marker and marker.documents_purged_at):
            documents = documents_purge(event=event)
            totals["files"] += documents
        if local_today > event.personal_data_until and not (marker and marker.identities_purged_at):
            erased, files = identities_purge(event=event, files_before=documents)
            totals["requests"] += erased
            totals["files"] += files
    for pending in PendingUpload.objects.filter(
        created_at__lt=timezone.now() - dt.timedelta(days=1)
    ):
        private_storage().delete(pending.file.name)
        pending.delete()
    BrowserSession.objects.filter(expire_date__lt=timezone.now()).delete()
    return totals
