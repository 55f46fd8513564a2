"""What Presspass holds about one journalist, for them to download from their status link (the
right of access, law 09-08 art. 7, GDPR art. 15): a ZIP with ``data.json`` (every field with
its label and readable value, in the person's language) and their files under readable names.

The ZIP is written to a temporary file, one stored file at a time read through the private
storage (which decrypts), so that several 10 MB documents never sit in memory together.
Who at the organiser opened the documents is given by role, not by name: the staff are the
organiser's agents, and their names are their own personal data (accreditation.privacy.access
gives supervisors the names).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from typing import IO, Any

from django.db import models
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from accreditation.apply.submission import REQUEST_FIELDS
from accreditation.models import AccreditationRequest, AuditEntry, Badge, Document, Scan, Status
from accreditation.privacy.access import DESK_PAGE_OPENED, DOCUMENT_ACCESSES, role_label
from accreditation.privacy.crypto import DecryptionError
from accreditation.privacy.notice import notice_agreed
from accreditation.privacy.storage import private_storage
from accreditation.workflow import APPLICANT, audit
from config.logs import security_event

FORMAT_VERSION = 1
CHUNK = 1024 * 1024
# Transitions the security service's vetting writes: its notes stay out of the export (a
# security exemption, law 09-08 art. 7 and GDPR art. 23); the status they led to is given.
VETTING_ACTIONS = ("vetting.cleared", "vetting.not_cleared", "vetting.pending")


@dataclass(frozen=True)
class Export:
    """The ZIP, ready to send: an open temporary file (deleted when closed) and its name."""

    file: IO[bytes]
    filename: str
    size: int


def _when(value: dt.datetime | dt.date | None, zone) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value, zone).isoformat(timespec="seconds")
    return value.isoformat()


def _value(req: AccreditationRequest, field: models.Field) -> Any:
    raw = getattr(req, field.name)
    if raw in (None, ""):
        return ""
    if field.choices:
        return str(getattr(req, f"get_{field.name}_display")())
    if hasattr(raw, "name") and hasattr(raw, "code"):  # a country
        return str(raw.name)
    if isinstance(raw, (dt.date, dt.datetime)):
        return _when(raw, req.event.tz)
    return raw


def _field(req: AccreditationRequest, name: str) -> dict[str, Any]:
    field = AccreditationRequest._meta.get_field(name)
    return {"field": name, "label": capfirst(str(field.verbose_name)), "value": _value(req, field)}


def _status_label(code: str) -> str:
    return str(Status(code).label) if code in Status.values else code


def _sessions(sessions) -> list[str]:
    return [s.display_title() for s in sessions]


def document_name(index: int, document: Document) -> str:
    """A file's readable name in the ZIP: its kind in the person's language, numbered."""
    extension = document.file.name.rsplit(".", 1)[-1].lower() if "." in document.file.name else ""
    label = str(document.get_kind_display())
    if document.superseded_at is not None:
        label = _("%(kind)s (replaced)") % {"kind": label}
    label = label.replace("/", "-").replace("\\", "-")
    return f"files/{index:02d} {label}.{extension}" if extension else f"files/{index:02d} {label}"


def person_data(
    req: AccreditationRequest, *, documents: list[Document], files: list[tuple[str, Document]]
) -> dict:
    """Everything held about the request's person, labelled in the active language;
    ``files`` are the ``documents`` whose files are still kept, with their names in the ZIP."""
    zone = req.event.tz
    entries = list(
        req.audit_entries.select_related("actor")
        .prefetch_related("actor__groups")
        .order_by("at", "pk")
    )
    data: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "generated_at": _when(timezone.now(), zone),
        "event": {
            "name": req.event.display_name(),
            "organiser": req.event.organiser,
            "contact": req.event.contact_email,
            "personal_data_kept_until": _when(req.event.personal_data_until, zone),
            "documents_kept_until": _when(req.event.documents_until, zone),
        },
        "reference": req.reference,
        "status": {"value": req.status, "label": _status_label(req.status)},
        "request": [_field(req, name) for name in REQUEST_FIELDS]
        + [
            _field(req, name)
            for name in ("language", "submitted_at", "email_confirmed_at", "vetting", "decided_at")
        ],
        "sessions_requested": _sessions(req.sessions_requested.all()),
        "sessions_granted": _sessions(req.sessions_granted.all()),
        "messages": [
            {
                "at": _when(m.created_at, zone),
                "from": str(m.get_author_display()),
                "text": m.body,
            }
            for m in req.messages.all()
        ],
        "decisions": [
            {
                "at": _when(e.at, zone),
                "from": _status_label(e.from_status) if e.from_status else "",
                "to": _status_label(e.to_status),
                "by": _("You") if e.actor_label == APPLICANT else role_label(e.actor),
                "reason": "" if e.action in VETTING_ACTIONS else e.reason,
            }
            for e in entries
            if e.to_status
        ],
        "checks": [
            {
                "document": str(c.get_document_kind_display()) if c.document_kind else "",
                "check": c.code,
                "result": str(c.get_outcome_display()),
                "message": c.text,
            }
            for c in req.check_results.all()
        ],
        "badge": _badge(req, entries),
        "scans": _scans(req),
        "interview_requests": _interviews(req),
        "announcements": _announcements(req),
        "consent": _consent(req),
        "document_views": [
            {
                "at": _when(e.at, zone),
                "document": str(Document.Kind(e.data["kind"]).label)
                if e.data.get("kind") in Document.Kind.values
                else "",
                "by": role_label(e.actor),
                "opened": e.action == "document.viewed",
            }
            for e in entries
            if e.action in DOCUMENT_ACCESSES
        ],
        # The badge desk's page of the person (their document number, date of birth, photo).
        "desk_views": [
            {"at": _when(e.at, zone), "by": role_label(e.actor)}
            for e in entries
            if e.action == DESK_PAGE_OPENED
        ],
        "files": [
            {
                "file": name,
                "kind": str(d.get_kind_display()),
                "name_given": d.original_name,
                "type": d.content_type,
                "size": d.size,
                "uploaded_at": _when(d.uploaded_at, zone),
                "in_force": d.superseded_at is None,
            }
            for name, d in files
        ],
        # Documents whose files are gone already (the retention of documents, the antivirus).
        "files_no_longer_kept": [
            str(d.get_kind_display())
            for d in documents
            if d.pk not in {kept.pk for _name, kept in files}
        ],
    }
    if req.late_admission_id:
        late = req.late_admission
        data["late_admission"] = {
            "name": late.name,
            "email": late.email,
            "granted_at": _when(late.created_at, zone),
            "valid_until": _when(late.valid_until, zone),
        }
    return data


def _badge(req: AccreditationRequest, entries: list[AuditEntry]) -> dict | None:
    badge = Badge.objects.filter(request=req).prefetch_related("sessions").first()
    if badge is None:
        return None
    zone = req.event.tz
    revoked = req.status in (Status.REVOKED, Status.WITHDRAWN)
    reissues = {e.data.get("version"): e for e in entries if e.action == "badge.reissued"}
    versions = []
    for version in range(1, badge.version + 1):
        if version < badge.version:
            state = _("Replaced by a newer badge: refused at the gates")
        elif revoked:
            state = _("No longer valid: the accreditation was revoked or withdrawn")
        else:
            state = _("In force")
        made = reissues.get(version)
        versions.append(
            {
                "version": version,
                "state": state,
                "made_at": _when(made.at if made else badge.issued_at, zone),
                "reason": made.reason if made else "",
            }
        )
    return {
        "number": badge.number,
        "issued_at": _when(badge.issued_at, zone),
        "printed_at": _when(badge.printed_at, zone),
        "times_printed": badge.print_count,
        "collected_at": _when(badge.collected_at, zone),
        "sessions": _sessions(badge.sessions.all()),
        "versions": versions,
    }


def _scans(req: AccreditationRequest) -> list[dict]:
    from accreditation.gate.rules import REASONS

    zone = req.event.tz
    scans = (
        Scan.objects.filter(badge__request=req)
        .select_related("checkpoint", "session")
        .order_by("scanned_at", "pk")
    )
    return [
        {
            "at": _when(s.scanned_at, zone),
            "gate": s.checkpoint.name,
            "session": s.session.display_title() if s.session else "",
            "direction": str(s.get_direction_display()),
            "decision": str(s.get_decision_display()),
            "reason": str(REASONS.get(s.reason, s.reason)),
            "badge_version": s.badge_version,
        }
        for s in scans
    ]


def _interviews(req: AccreditationRequest) -> list[dict]:
    zone = req.event.tz
    return [
        {
            "asked_at": _when(i.created_at, zone),
            "with": i.target.display_name(),
            "topic": i.topic,
            "format": str(i.get_format_display()),
            "status": str(i.get_status_display()),
            "starts_at": _when(i.starts_at, zone),
            "place": i.place,
        }
        for i in req.interviews.select_related("target").order_by("created_at", "pk")
    ]


def _announcements(req: AccreditationRequest) -> list[dict]:
    zone = req.event.tz
    deliveries = req.announcement_deliveries.select_related("announcement__event").order_by("pk")
    result = []
    for d in deliveries:
        announcement = d.announcement
        result.append(
            {
                "title": announcement.titles.get(d.language, "") or announcement.display_title(),
                "text": announcement.bodies.get(d.language, ""),
                "language": d.language,
                "state": str(d.get_state_display()),
                "sent_at": _when(d.sent_at, zone),
            }
        )
    return result


def _consent(req: AccreditationRequest) -> dict:
    notice = notice_agreed(request=req)
    return {
        "version": req.consent_version,
        "language": req.language,
        "agreed_at": _when(req.consent_given_at, req.event.tz),
        "text": notice.text if notice else "",
        "sha256": notice.sha256 if notice else "",
    }


def _opens(name: str) -> bool:
    """Whether a stored file opens (an altered one, or one under a key no longer configured,
    is left out of the download and listed with those no longer kept; staff are told)."""
    try:
        with private_storage().open(name, "rb") as opened:
            while opened.read(CHUNK):  # every chunk checked: a damage anywhere shows now
                pass
    except DecryptionError:
        security_event("document.unreadable", outcome="failed", where="export")
        return False
    return True


def export_build(*, request: AccreditationRequest, ip_address: str | None = None) -> Export:
    """The person's ZIP, in their language; the export is written to the audit trail (it is an
    access to their data, by them). The caller sends and closes ``Export.file``."""
    req = AccreditationRequest.objects.select_related("event", "late_admission").get(pk=request.pk)
    storage = private_storage()
    with translation.override(req.language), timezone.override(req.event.tz):
        documents = list(req.documents.order_by("uploaded_at", "pk"))
        files = [
            (document_name(n, d), d)
            for n, d in enumerate(documents, start=1)
            if d.file.name and storage.exists(d.file.name) and _opens(d.file.name)
        ]
        data = person_data(req, documents=documents, files=files)
    out = tempfile.TemporaryFile()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(
            "data.json",
            json.dumps(data, ensure_ascii=False, indent=2),
            compress_type=zipfile.ZIP_DEFLATED,
        )
        for name, document in files:
            # Images and PDFs are compressed already: stored as they are, copied in chunks.
            with (
                storage.open(document.file.name, "rb") as source,
                archive.open(name, "w", force_zip64=True) as target,
            ):
                shutil.copyfileobj(source, target, CHUNK)
    size = out.tell()
    out.seek(0)
    audit(
        action="privacy.exported",
        request=req,
        actor_label=APPLICANT,
        ip_address=ip_address,
        data={"files": len(files), "bytes": size},
    )
    return Export(file=out, filename=f"presspass-{req.reference}.zip", size=size)
