"""Who accessed one person's data, from the audit trail: each opening of their documents (and
each refused attempt), each opening of their badge page at the desk (identity document number,
date of birth, photo), their own exports, the print batches holding their badge that were
downloaded, and the exports of the event's lists made while their request was in it; and from
the gate's scans, each scan of their badge (an online scan shows the agent their name and
photo: the scan row is the record of it, see accreditation.gate.tickets.photo_ticket; a second
audit row per scan would double the gate's hottest write for nothing the scan does not say).

Supervisors read it with staff names (accreditation.privacy.views); the person's own export
says only the role (accreditation.privacy.export).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accreditation import roles
from accreditation.models import (
    AccreditationRequest,
    AuditEntry,
    Badge,
    Document,
    PrintBatch,
    Scan,
)
from accreditation.review.vetting import safe_cell
from accreditation.workflow import APPLICANT, audit

DOCUMENT_ACCESSES = ("document.viewed", "document.view_refused")
# The badge desk's page of one person (accreditation.badges.desk.badge_detail).
DESK_PAGE_OPENED = "desk.badge_viewed"
# Not audit actions: the report's rows read from the gate's scans.
GATE_SCANNED = "gate.scanned"
GATE_SCANNED_OFFLINE = "gate.scanned_offline"
# Lists of a whole event, written to the trail without naming the requests in them.
EVENT_EXPORTS = ("requests.exported", "vetting.exported", "interviews.exported")

ROLE_LABELS = {
    roles.REVIEWER: gettext_lazy("Accreditation reviewer"),
    roles.SUPERVISOR: gettext_lazy("Accreditation supervisor"),
    roles.BADGE_DESK: gettext_lazy("Badge desk"),
    roles.GATE_AGENT: gettext_lazy("Gate agent"),
    roles.PRESS_OFFICE: gettext_lazy("Press office"),
}

ACCESS_LABELS = {
    "document.viewed": gettext_lazy("Document opened"),
    "document.view_refused": gettext_lazy("Document refused (not allowed)"),
    "privacy.exported": gettext_lazy("Data downloaded by the person"),
    DESK_PAGE_OPENED: gettext_lazy("Badge desk page opened"),
    GATE_SCANNED: gettext_lazy("Badge scanned at a gate"),
    GATE_SCANNED_OFFLINE: gettext_lazy("Badge scanned at a gate offline"),
    "privacy.access_reported": gettext_lazy("This access report produced"),
    "badge.batch_downloaded": gettext_lazy("Print batch with the badge downloaded"),
    "requests.exported": gettext_lazy("Event's request list exported (may include the person)"),
    "vetting.exported": gettext_lazy("Event's vetting list exported (may include the person)"),
    "interviews.exported": gettext_lazy("Event's interview list exported (may include them)"),
}


def role_label(user) -> str:
    """What the person is told about who acted: the staff member's role, not their name."""
    if user is None:
        return _("Presspass (automatic)")
    if user.is_superuser:
        return _("Administrator")
    names = sorted(group.name for group in user.groups.all())  # prefetched by the callers
    labels = [str(ROLE_LABELS.get(name, name)) for name in names]
    return ", ".join(labels) or _("Organiser's staff")


@dataclass(frozen=True)
class Access:
    at: dt.datetime
    action: str
    what: str
    detail: str
    staff: str
    username: str
    role: str
    ip_address: str

    @property
    def label(self) -> str:
        return str(ACCESS_LABELS.get(self.action, self.action))


def _staff_name(entry: AuditEntry) -> tuple[str, str]:
    if entry.actor_label == APPLICANT:
        return _("The person themselves"), ""
    if entry.actor is None:
        return entry.actor_label or _("Presspass (automatic)"), ""
    full = entry.actor.get_full_name() or entry.actor.get_username()
    return full, entry.actor.get_username()


def _entry_row(entry: AuditEntry) -> Access:
    staff, username = _staff_name(entry)
    kind = entry.data.get("kind")
    if entry.action == DESK_PAGE_OPENED:
        what = _("Identity document number, date of birth, photo")
    else:
        what = str(Document.Kind(kind).label) if kind in Document.Kind.values else ""
    return Access(
        at=entry.at,
        action=entry.action,
        what=what,
        detail=str(entry.data.get("variant", "")),
        staff=staff,
        username=username,
        role=role_label(entry.actor) if entry.actor_label != APPLICANT else "",
        ip_address=entry.ip_address or "",
    )


def _scan_row(scan: Scan) -> Access:
    agent = scan.agent
    return Access(
        at=scan.scanned_at,
        action=GATE_SCANNED_OFFLINE if scan.offline else GATE_SCANNED,
        # What the agent's phone showed (static/gate/gate.js): online, the name and the photo
        # (gate.api.photo); offline, the badge's number only.
        what=_("Badge number") if scan.offline else _("Name and photo"),
        detail=scan.checkpoint.name,
        staff=agent.get_full_name() or agent.get_username(),
        username=agent.get_username(),
        role=role_label(agent),
        ip_address="",
    )


def accesses(*, request: AccreditationRequest) -> list[Access]:
    """Every access to the person's data the trail and the gate's scans record, oldest first."""
    own = list(
        AuditEntry.objects.filter(
            request=request,
            action__in=(*DOCUMENT_ACCESSES, DESK_PAGE_OPENED, "privacy.exported"),
        )
        .select_related("actor")
        .prefetch_related("actor__groups")
    )
    badge_id = Badge.objects.filter(request=request).values_list("pk", flat=True).first()
    batches = (
        set(PrintBatch.objects.filter(badges=badge_id).values_list("pk", flat=True))
        if badge_id
        else set()
    )
    event_wide = (
        AuditEntry.objects.filter(request__isnull=True, at__gte=request.submitted_at)
        .select_related("actor")
        .prefetch_related("actor__groups")
    )
    shared = []
    for entry in event_wide.filter(action="badge.batch_downloaded"):
        if entry.data.get("batch") in batches:
            shared.append(entry)
    for entry in event_wide.filter(action__in=EVENT_EXPORTS):
        if entry.data.get("event") in (None, request.event_id):
            shared.append(entry)
    rows = [_entry_row(entry) for entry in sorted(own + shared, key=lambda e: (e.at, e.pk))]
    if badge_id:
        scans = (
            Scan.objects.filter(badge=badge_id)
            .select_related("agent", "checkpoint")
            .prefetch_related("agent__groups")
            .order_by("scanned_at", "pk")
        )
        rows += [_scan_row(scan) for scan in scans]
        rows.sort(key=lambda row: row.at)  # stable: the trail's own order holds within a time
    return rows


def desk_page_opened(*, badge: Badge, actor, ip_address: str | None = None) -> AuditEntry:
    """One opening of a person's badge page at the desk (their identity document's number,
    date of birth and photo), for their access report: ids only in the entry."""
    return audit(
        action=DESK_PAGE_OPENED,
        request=badge.request,
        actor=actor,
        data={"badge": badge.pk},
        ip_address=ip_address,
    )


def access_report(*, request: AccreditationRequest, actor, ip_address: str | None = None):
    """The report for a supervisor (the permission and the event are checked here), recorded
    in the trail: reading who accessed someone's data is itself an access."""
    roles.require_permission(actor, "accreditation.supervise_request")
    roles.require_event(actor, request.event_id)
    rows = accesses(request=request)
    audit(
        action="privacy.access_reported",
        request=request,
        actor=actor,
        ip_address=ip_address,
        data={"rows": len(rows)},
    )
    return rows


def access_csv(rows: list[Access], *, zone) -> str:
    """The report as CSV (UTF-8 with a byte-order mark, which spreadsheets need for Arabic)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            _("When"),
            _("Access"),
            _("Document"),
            _("Variant"),
            _("Staff member"),
            _("Username"),
            _("Role"),
            _("IP address"),
        ]
    )
    for row in rows:
        writer.writerow(
            [
                timezone.localtime(row.at, zone).isoformat(timespec="seconds"),
                row.label,
                row.what,
                row.detail,
                safe_cell(row.staff),
                safe_cell(row.username),
                row.role,
                row.ip_address,
            ]
        )
    return "\ufeff" + buffer.getvalue()
