"""Who an announcement reaches (reads only): accredited media of its event, narrowed by the
criteria the press office chose. Revoked, withdrawn and rejected requests never receive one,
whatever the criteria say."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet

from accreditation.communications.models import Announcement, OptOut
from accreditation.models import AccreditationRequest, Status
from accreditation.workflow import ACCREDITED as REQUEST_ACCREDITED

S = Status
# Approved, and every later step of an approved request.
ACCREDITED = tuple(sorted(REQUEST_ACCREDITED))
# Never an audience: the request ended.
NEVER = (S.REVOKED, S.WITHDRAWN, S.REJECTED)
# The statuses the press office may choose (e.g. approved but not yet collected).
CHOOSABLE = tuple(status for status in S if status not in NEVER)


def recipients(announcement: Announcement) -> QuerySet:
    """The requests the announcement is for, each annotated with ``opted_out``."""
    statuses = [s for s in (announcement.audience_statuses or ACCREDITED) if s in CHOOSABLE]
    queryset = AccreditationRequest.objects.filter(
        event_id=announcement.event_id, status__in=statuses
    ).exclude(status__in=NEVER)
    if announcement.audience_session_id:
        queryset = queryset.filter(sessions_granted=announcement.audience_session_id)
    if announcement.audience_country:
        queryset = queryset.filter(outlet_country=announcement.audience_country)
    if announcement.audience_outlet_type:
        queryset = queryset.filter(outlet_type=announcement.audience_outlet_type)
    return queryset.annotate(
        opted_out=Exists(OptOut.objects.filter(request_id=OuterRef("pk")))
    ).order_by("pk")


def e_mailed(announcement: Announcement, opted_out: bool) -> bool:
    """Whether a recipient gets the e-mail: always for an operational announcement, and for an
    optional one unless they asked for no optional announcements."""
    return announcement.operational or not opted_out


@dataclass(frozen=True)
class AudienceSummary:
    total: int
    e_mailed: int
    unsubscribed: int
    by_language: dict[str, int]  # the language of the text they get
    fallbacks: int  # of them, how many get it in the event's first language instead of theirs


def summary(announcement: Announcement) -> AudienceSummary:
    """The counts the press office previews before sending (one query)."""
    rows = recipients(announcement).values_list("language", "opted_out")
    by_language: Counter[str] = Counter()
    total = mailed = fallbacks = 0
    for language, opted_out in rows:
        total += 1
        text_language, fallback = announcement.text_language(language)
        by_language[text_language] += 1
        fallbacks += fallback
        mailed += e_mailed(announcement, opted_out)
    return AudienceSummary(
        total=total,
        e_mailed=mailed,
        unsubscribed=total - mailed,
        by_language=dict(by_language),
        fallbacks=fallbacks,
    )
