"""Reads that span relations: who is busy when, the journalist's interviews for their status
page, the press office's board by target, and the schedule's export rows."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Count, Prefetch, Q
from django.utils.formats import date_format

from accreditation.interviews.models import (
    InterviewRequest,
    InterviewSlot,
    InterviewStatus,
    InterviewTarget,
)

S = InterviewStatus


def _overlapping(starts: dt.datetime, ends: dt.datetime, prefix: str = "") -> Q:
    return Q(**{f"{prefix}starts_at__lt": ends, f"{prefix}ends_at__gt": starts})


def target_busy(target_id: int, starts: dt.datetime, ends: dt.datetime, *, exclude=None) -> bool:
    """Whether the target has a confirmed interview overlapping [starts, ends)."""
    return (
        InterviewRequest.objects.filter(target_id=target_id, status=S.CONFIRMED)
        .filter(_overlapping(starts, ends))
        .exclude(pk=exclude)
        .exists()
    )


def journalist_busy(
    request_id: int, starts: dt.datetime, ends: dt.datetime, *, exclude=None
) -> bool:
    """Whether the journalist has a confirmed interview overlapping [starts, ends): their own,
    or a group interview they joined."""
    own = Q(request_id=request_id)
    joined = Q(merged__request_id=request_id, merged__status=S.MERGED)
    return (
        InterviewRequest.objects.filter(own | joined, status=S.CONFIRMED)
        .filter(_overlapping(starts, ends))
        .exclude(pk=exclude)
        .exists()
    )


def participants(lead: InterviewRequest) -> list[int]:
    """The journalists' requests of a group interview: its own and those merged into it."""
    joined = lead.merged.filter(status=S.MERGED).values_list("request_id", flat=True)
    return sorted({lead.request_id, *joined})


def status_interviews(req) -> list[InterviewRequest]:
    """The journalist's interview requests, newest first, with what their status page shows."""
    return list(
        req.interviews.select_related(
            "target", "merged_into__target", "merged_session"
        ).prefetch_related(
            Prefetch("slots", queryset=InterviewSlot.objects.filter(withdrawn=False))
        )
    )


def busy_slot_ids(req, interviews: list[InterviewRequest]) -> set[int]:
    """The proposed slots the journalist can no longer confirm (they are busy then): their
    confirmed times read once, compared here."""
    offered = [
        (interview.pk, slot)
        for interview in interviews
        if interview.status == S.PROPOSED
        for slot in interview.slots.all()
    ]
    if not offered:
        return set()
    own = Q(request_id=req.pk)
    joined = Q(merged__request_id=req.pk, merged__status=S.MERGED)
    busy = list(
        InterviewRequest.objects.filter(own | joined, status=S.CONFIRMED)
        .values_list("pk", "starts_at", "ends_at")
        .distinct()
    )
    return {
        slot.pk
        for interview_pk, slot in offered
        if any(
            pk != interview_pk and starts < slot.ends_at and ends > slot.starts_at
            for pk, starts, ends in busy
        )
    }


def board(queryset) -> list[dict]:
    """Per target, how many requests are at each status (``queryset``: the interview requests
    the user may see), the targets with the most open requests first."""
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for target_id, status, n in (
        queryset.values_list("target_id", "status").annotate(n=Count("pk")).order_by()
    ):
        counts[target_id][status] = n
    targets = InterviewTarget.objects.filter(pk__in=counts).select_related("event")
    rows = []
    for target in targets:
        by_status = counts[target.pk]
        rows.append(
            {
                "target": target,
                "total": sum(by_status.values()),
                "open": sum(by_status.get(s, 0) for s in (S.REQUESTED, S.FORWARDED, S.PROPOSED)),
                "statuses": [(value, label, by_status.get(value, 0)) for value, label in S.choices],
            }
        )
    rows.sort(key=lambda row: (-row["open"], -row["total"], str(row["target"])))
    return rows


def schedule(queryset, *, by: str) -> list[InterviewRequest]:
    """The confirmed interviews, by day (then time) or by target (then time)."""
    confirmed = queryset.filter(status=S.CONFIRMED).select_related("event", "target", "request")
    rows = list(confirmed.prefetch_related("merged__request"))
    if by == "target":
        rows.sort(key=lambda i: (str(i.target), i.starts_at, i.pk))
    else:
        rows.sort(key=lambda i: (i.starts_at, str(i.target), i.pk))
    return rows


def schedule_rows(queryset, *, by: str) -> list[list[str]]:
    """The export: a header, then one row per confirmed interview, in the event's local time
    (labels in the active language)."""
    from django.utils.translation import gettext as _

    rows = [
        [
            _("Day"),
            _("Starts"),
            _("Ends"),
            _("Time zone"),
            _("Interview with"),
            _("Contact"),
            _("Place"),
            _("Format"),
            _("Journalist"),
            _("Outlet"),
            _("Reference"),
            _("Joined by"),
            _("Topic"),
        ]
    ]
    for interview in schedule(queryset, by=by):
        tz = interview.event.tz
        starts, ends = interview.starts_at.astimezone(tz), interview.ends_at.astimezone(tz)
        joined = [
            f"{m.request.full_name} ({m.request.outlet_name}, {m.request.reference})"
            for m in interview.merged.all()
            if m.status == S.MERGED
        ]
        rows.append(
            [
                date_format(starts.date(), "Y-m-d"),
                starts.strftime("%H:%M"),
                ends.strftime("%H:%M"),
                interview.event.time_zone,
                interview.target.display_name(),
                f"{interview.target.contact_name} <{interview.target.contact_email}>",
                interview.place,
                interview.get_format_display(),
                interview.request.full_name,
                interview.request.outlet_name,
                interview.request.reference,
                "; ".join(joined),
                interview.topic,
            ]
        )
    return rows
