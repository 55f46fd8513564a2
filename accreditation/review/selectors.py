"""Reads that span relations, for the admin and the exports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count
from django.db.models.functions import TruncDate

from accreditation.models import AccreditationRequest, AuditEntry, Document, Message, Status


def status_counts(queryset) -> list[tuple[str, str, int]]:
    """(status, label, count) for every status, in workflow order, in one query."""
    counts = dict(queryset.order_by().values_list("status").annotate(n=Count("id")))
    return [(value, label, counts.get(value, 0)) for value, label in Status.choices]


@dataclass(frozen=True)
class TimelineItem:
    at: dt.datetime
    kind: str  # "audit" | "message"
    title: str
    who: str
    text: str


def request_timeline(req: AccreditationRequest) -> list[TimelineItem]:
    items = [
        TimelineItem(e.at, "audit", e.action, e.actor_label, e.reason)
        for e in AuditEntry.objects.filter(request=req).exclude(action="document.viewed")
    ]
    items += [
        TimelineItem(
            m.created_at,
            "message",
            m.get_author_display(),
            m.staff_user.get_username() if m.staff_user else req.email,
            m.body,
        )
        for m in Message.objects.filter(request=req).select_related("staff_user")
    ]
    return sorted(items, key=lambda item: item.at)


def current_documents(req: AccreditationRequest):
    return Document.objects.current().filter(request=req).order_by("kind")


EXPORT_COLUMNS = [
    ("reference", "reference"),
    ("status", "status"),
    ("family_names", "family_names"),
    ("given_names", "given_names"),
    ("name_native", "name_native"),
    ("nationality", "nationality"),
    ("email", "email"),
    ("phone", "phone"),
    ("outlet_name", "outlet_name"),
    ("outlet_type", "outlet_type"),
    ("outlet_country", "outlet_country"),
    ("role", "role"),
    ("employment", "employment"),
    ("check_outcome", "checks"),
    ("vetting", "vetting"),
    ("submitted_at", "submitted_at"),
]


def export_rows(queryset):
    yield [title for _field, title in EXPORT_COLUMNS]
    for row in (
        queryset.order_by("submitted_at")
        .values_list(*[f for f, _t in EXPORT_COLUMNS])
        .iterator(chunk_size=2000)
    ):
        yield [
            v.isoformat() if hasattr(v, "isoformat") else ("" if v is None else str(v)) for v in row
        ]


def statistics(queryset) -> dict:
    base = queryset.order_by()
    by_country = list(
        base.values_list("outlet_country").annotate(n=Count("id")).order_by("-n")[:30]
    )
    by_type = list(base.values_list("outlet_type").annotate(n=Count("id")).order_by("-n"))
    per_day = list(
        base.annotate(day=TruncDate("submitted_at"))
        .values_list("day")
        .annotate(n=Count("id"))
        .order_by("day")
    )
    peak = max((n for _d, n in per_day), default=0) or 1
    bars = [
        {
            "day": day,
            "n": n,
            "x": i * 12,
            "h": round(200 * n / peak),
            "y": 210 - round(200 * n / peak),
        }
        for i, (day, n) in enumerate(per_day)
    ]
    return {
        "bars": bars,
        "chart_width": max(12 * len(bars), 120),
        "total": base.count(),
        "by_status": status_counts(queryset),
        "by_country": by_country,
        "by_type": by_type,
        "per_day": per_day,
    }
