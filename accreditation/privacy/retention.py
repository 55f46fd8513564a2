"""Personal data are deleted when an event's retention period ends (law 09-08: limited retention)."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from accreditation.models import (
    AccreditationRequest,
    Badge,
    Document,
    LateAdmission,
    PendingUpload,
    PrintBatch,
    Scan,
)
from accreditation.privacy.storage import private_storage
from accreditation.workflow import audit
from events.models import Event

log = logging.getLogger(__name__)


def events_due(today: dt.date | None = None):
    today = today or timezone.localdate()
    return [e for e in Event.objects.all() if e.personal_data_until < today]


def retention_purge(*, today: dt.date | None = None) -> dict[str, int]:
    """Delete the requests, documents, badges, scans and late admissions of every event past its
    retention period. Files are removed after the rows are gone (a crash leaves files, never
    rows without files). An event with nothing left is skipped: a second run changes nothing
    and writes no second audit entry."""
    totals = {"requests": 0, "files": 0}
    for event in events_due(today):
        names: list[str] = []
        for file, derived in Document.objects.filter(request__event=event).values_list(
            "file", "derived"
        ):
            names.append(file)
            names.extend((derived or {}).values())
        names.extend(
            n for n in PrintBatch.objects.filter(event=event).values_list("file", flat=True) if n
        )
        rows = (
            Scan.objects.filter(checkpoint__event=event),
            PrintBatch.objects.filter(event=event),
            Badge.objects.filter(event=event),
            AccreditationRequest.objects.filter(event=event),
            LateAdmission.objects.filter(event=event),  # names and addresses too
        )
        if not names and not any(queryset.exists() for queryset in rows):
            continue  # purged already
        with transaction.atomic():
            count = AccreditationRequest.objects.filter(event=event).count()
            for queryset in rows:
                queryset.delete()
            audit(
                action="retention.purged",
                actor_label="presspass-retention",
                data={"event": event.pk, "requests": count, "files": len(names)},
            )
        for name in names:
            private_storage().delete(name)
        totals["requests"] += count
        totals["files"] += len(names)
    for pending in PendingUpload.objects.filter(
        created_at__lt=timezone.now() - dt.timedelta(days=1)
    ):
        private_storage().delete(pending.file.name)
        pending.delete()
    return totals
