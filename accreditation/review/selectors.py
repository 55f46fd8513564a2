"""Reads that span relations, for the admin and the exports."""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo
from dataclasses import dataclass

import phonenumbers
from django.db.models import Case, Count, Exists, F, OuterRef, Q, Subquery, When
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from accreditation.models import (
    AccreditationRequest,
    AuditEntry,
    CheckOutcome,
    CheckResult,
    Document,
    Employment,
    Message,
    OutletType,
    Role,
    Scan,
    Status,
    Vetting,
)
from events.models import Checkpoint, Session


def status_counts(queryset) -> list[tuple[str, str, int]]:
    """(status, label, count) for every status, in workflow order, in one query."""
    counts = dict(queryset.order_by().values_list("status").annotate(n=Count("id")))
    return [(value, label, counts.get(value, 0)) for value, label in Status.choices]


# --- Answers to staff questions -----------------------------------------------------------------

# Where a request is once the journalist has answered (apply.answers): back in review, or in
# the checks when the answer brought documents.
ANSWER_WAITS_IN = (Status.IN_REVIEW, Status.CHECKING)


def with_answered(queryset):
    """The requests with ``answered``: the journalist answered staff's last question (in words,
    with documents, or both: every answer is a ``request.answered`` entry) and the request
    waits for staff again. Asking again, or any decision, ends it. No field of its own: the
    last staff message, the answers and the status say it."""
    last_question = (  # inside the answers' subquery: its outer query's outer query
        Message.objects.filter(request=OuterRef(OuterRef("pk")), author=Message.Author.STAFF)
        .order_by("-created_at", "-pk")
        .values("created_at")[:1]
    )
    answer_since = AuditEntry.objects.filter(
        request=OuterRef("pk"), action="request.answered", at__gt=Subquery(last_question)
    )
    return queryset.annotate(
        answered=Case(
            When(Q(status__in=ANSWER_WAITS_IN) & Exists(answer_since), then=True), default=False
        )
    )


def answered_count(queryset) -> int:
    return with_answered(queryset.order_by()).filter(answered=True).count()


# --- The request page ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineItem:
    at: dt.datetime
    kind: str  # "audit" | "message" | "document"
    title: str
    who: str
    text: str


def _variant_label(variant: str) -> str:
    return {
        "original": _("the file as sent"),
        "preview": _("its page"),
        "badge": _("the badge photo"),
        "normalised": _("the corrected photo"),
    }.get(variant, variant)


def _document_text(entry: AuditEntry) -> str:
    kind = entry.data.get("kind", "")
    label = Document.Kind(kind).label if kind in Document.Kind.values else kind
    return _("%(document)s, %(variant)s") % {
        "document": label,
        "variant": _variant_label(entry.data.get("variant", "original")),
    }


def request_timeline(req: AccreditationRequest) -> list[TimelineItem]:
    """Everything that happened to a request, in order: the audit trail (decisions, checks,
    the documents staff opened), and the messages exchanged with the journalist."""
    items = [
        TimelineItem(
            e.at,
            "document" if e.action.startswith("document.") else "audit",
            e.action,
            e.actor_label,
            _document_text(e) if e.action.startswith("document.") else e.reason,
        )
        for e in AuditEntry.objects.filter(request=req)
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


# The checks that name another request of the event (its reference is the result's value).
DUPLICATE_CHECKS = frozenset({"file.duplicate", "identity.duplicate", "photo.duplicate"})
_SEVERITY = {CheckOutcome.FAIL: 0, CheckOutcome.WARNING: 1}


@dataclass(frozen=True)
class CheckRow:
    result: CheckResult
    other_pk: int | None = None  # the other request, for a duplicate


@dataclass(frozen=True)
class ReviewChecks:
    problems: list[CheckRow]  # failures first, then warnings
    passes: list[CheckRow]


def review_checks(req: AccreditationRequest) -> ReviewChecks:
    """The request's check results as a reviewer reads them: what needs a look first (failures,
    then warnings), the passes apart; a duplicate knows the other request's id (two queries)."""
    results = list(CheckResult.objects.filter(request=req).order_by("document_kind", "pk"))
    references = {r.value for r in results if r.code in DUPLICATE_CHECKS and r.value}
    others = dict(
        AccreditationRequest.objects.filter(
            event_id=req.event_id, reference__in=references
        ).values_list("reference", "pk")
        if references
        else ()
    )

    def row(result: CheckResult) -> CheckRow:
        other = others.get(result.value) if result.code in DUPLICATE_CHECKS else None
        return CheckRow(result, other)

    problems = [r for r in results if r.outcome != CheckOutcome.PASS]
    problems.sort(key=lambda r: _SEVERITY.get(r.outcome, 2))
    return ReviewChecks(
        problems=[row(r) for r in problems],
        passes=[row(r) for r in results if r.outcome == CheckOutcome.PASS],
    )


# --- Exports ------------------------------------------------------------------------------------

EXPORT_COLUMNS = [
    "reference",
    "status",
    "family_names",
    "given_names",
    "name_native",
    "nationality",
    "email",
    "phone",
    "outlet_name",
    "outlet_type",
    "outlet_country",
    "role",
    "employment",
    "sessions_requested",
    "sessions_granted",
    "interview_requests",
    "checks",
    "vetting",
    "submitted_at",
]


def phone_international(value: str) -> str:
    """A stored number (E.164) as people write it: ``+212 6 12-345678``."""
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _label(choices, value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


# The request's own columns the export reads (the sessions come from their join tables, the
# check outcome under its column's name): derived from EXPORT_COLUMNS, so the two stay one list.
_FIELD_OF = {"checks": "check_outcome"}
_EXPORT_FIELDS = [
    _FIELD_OF.get(column, column)
    for column in EXPORT_COLUMNS
    if column not in ("sessions_requested", "sessions_granted")
]
_CHUNK = 2000


def _session_ids(through, ids: list[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    pairs = (
        through.objects.filter(accreditationrequest_id__in=ids)
        .order_by(F("session__starts_at").asc(nulls_last=True), "session_id")
        .values_list("accreditationrequest_id", "session_id")
    )
    for request_id, session_id in pairs:
        found.setdefault(request_id, []).append(session_id)
    return found


def export_rows(queryset):
    """The header, then one row per request: statuses and choices in the reader's language
    (the active one), phones in international format, times in the event's time zone. Read
    as values, 2,000 rows at a time, with the sessions of those rows in two more queries;
    cells are made safe by the writer."""
    yield list(EXPORT_COLUMNS)
    rows = (
        queryset.order_by("submitted_at", "pk")
        .values_list("pk", "event__time_zone", *_EXPORT_FIELDS)
        .iterator(chunk_size=_CHUNK)
    )
    titles: dict[int, str] = {}
    zones: dict[str, dt.tzinfo] = {}
    requested_through = AccreditationRequest.sessions_requested.through
    granted_through = AccreditationRequest.sessions_granted.through
    while chunk := list(itertools.islice(rows, _CHUNK)):
        ids = [row[0] for row in chunk]
        requested = _session_ids(requested_through, ids)
        granted = _session_ids(granted_through, ids)
        unknown = {s for found in (requested, granted) for v in found.values() for s in v}
        unknown -= titles.keys()
        if unknown:
            titles.update({s.pk: s.display_title() for s in Session.objects.filter(pk__in=unknown)})
        for pk, zone, *values in chunk:
            row = dict(zip(_EXPORT_FIELDS, values, strict=True))
            tz = zones.get(zone) or zones.setdefault(zone, zoneinfo.ZoneInfo(zone))
            yield [
                row["reference"],
                _label(Status, row["status"]),
                row["family_names"],
                row["given_names"],
                row["name_native"],
                str(row["nationality"] or ""),
                row["email"],
                phone_international(row["phone"]),
                row["outlet_name"],
                _label(OutletType, row["outlet_type"]),
                str(row["outlet_country"] or ""),
                _label(Role, row["role"]),
                _label(Employment, row["employment"]),
                "; ".join(titles[s] for s in requested.get(pk, [])),
                "; ".join(titles[s] for s in granted.get(pk, [])),
                row["interview_requests"],
                _label(CheckOutcome, row["check_outcome"]) if row["check_outcome"] else "",
                _label(Vetting, row["vetting"]),
                timezone.localtime(row["submitted_at"], tz).strftime("%Y-%m-%d %H:%M"),
            ]


# --- Statistics ---------------------------------------------------------------------------------

# The life of a request, in order (DOMAIN.md), and the ways it ends early.
PIPELINE = [
    Status.SUBMITTED,
    Status.CHECKING,
    Status.IN_REVIEW,
    Status.INFO_REQUESTED,
    Status.APPROVED,
    Status.BADGE_ISSUED,
    Status.PRINTED,
    Status.COLLECTED,
]
ENDED = [Status.REJECTED, Status.WITHDRAWN, Status.REVOKED]
TOP_COUNTRIES = 15


def statistics(queryset, *, tz) -> dict:
    """The supervisor's numbers, in five queries: per status, per country of the outlet (the
    first fifteen, then the rest together), per outlet type, per day of submission (in
    ``tz``), and the answers waiting for staff."""
    base = queryset.order_by()
    counts = dict(base.values_list("status").annotate(n=Count("id")))
    by_country = list(base.values_list("outlet_country").annotate(n=Count("id")).order_by("-n"))
    by_type = dict(base.values_list("outlet_type").annotate(n=Count("id")))
    per_day = dict(
        base.annotate(day=TruncDate("submitted_at", tzinfo=tz))
        .values_list("day")
        .annotate(n=Count("id"))
        .order_by("day")
    )
    return {
        "total": sum(counts.values()),
        "by_status": [(value, label, counts.get(value, 0)) for value, label in Status.choices],
        "pipeline": [(s, Status(s).label, counts.get(s, 0)) for s in PIPELINE],
        "ended": [(s, Status(s).label, counts.get(s, 0)) for s in ENDED],
        "by_country": by_country[:TOP_COUNTRIES],
        "other_countries": sum(n for _code, n in by_country[TOP_COUNTRIES:]),
        "other_country_count": max(0, len(by_country) - TOP_COUNTRIES),
        "by_type": [
            (value, label, by_type[value])
            for value, label in OutletType.choices
            if value in by_type
        ],
        "per_day": per_day,
        "answered": answered_count(queryset),
    }


@dataclass(frozen=True)
class Admissions:
    """What the gates did, per session and per checkpoint: entries admitted and denied."""

    per_session: list[tuple[str, int, int, int]]  # title, admitted, denied, people admitted
    per_checkpoint: list[tuple[str, int, int, int]]  # name, admitted, denied, last 15 minutes
    last_scan: dt.datetime | None
    total: int


def admissions(event_ids, *, now: dt.datetime | None = None) -> Admissions:
    """Entries scanned at the gates of these events (None: every event), in five queries."""
    now = now or timezone.now()
    scans = Scan.objects.filter(direction=Scan.Direction.ENTRY)
    sessions = Session.objects.all()
    checkpoints = Checkpoint.objects.all()
    if event_ids is not None:
        scans = scans.filter(checkpoint__event_id__in=event_ids)
        sessions = sessions.filter(event_id__in=event_ids)
        checkpoints = checkpoints.filter(event_id__in=event_ids)
    admit, deny = Q(decision=Scan.Decision.ADMIT), Q(decision=Scan.Decision.DENY)
    by_session = {
        row["session"]: row
        for row in scans.order_by()
        .values("session")
        .annotate(
            admitted=Count("id", filter=admit),
            denied=Count("id", filter=deny),
            people=Count("badge", filter=admit, distinct=True),
        )
    }
    recent = Q(scanned_at__gte=now - dt.timedelta(minutes=15)) & admit
    by_checkpoint = {
        row["checkpoint"]: row
        for row in scans.order_by()
        .values("checkpoint")
        .annotate(
            admitted=Count("id", filter=admit),
            denied=Count("id", filter=deny),
            recent=Count("id", filter=recent),
        )
    }
    per_session = [
        (s.display_title(), r["admitted"], r["denied"], r["people"])
        for s in sessions
        if (r := by_session.get(s.pk))
    ]
    if None in by_session:  # denied with no session to decide against (nothing open then)
        r = by_session[None]
        per_session.append((_("No session open"), r["admitted"], r["denied"], r["people"]))
    per_checkpoint = [
        (c.name, r["admitted"], r["denied"], r["recent"])
        for c in checkpoints.order_by("name")
        if (r := by_checkpoint.get(c.pk))
    ]
    last = scans.order_by("-scanned_at").values_list("scanned_at", flat=True).first()
    return Admissions(
        per_session=per_session,
        per_checkpoint=per_checkpoint,
        last_scan=last,
        total=sum(r["admitted"] + r["denied"] for r in by_checkpoint.values()),
    )
