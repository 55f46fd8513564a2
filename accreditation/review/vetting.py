"""Security vetting: the list sent to the vetting authority and its answers read back;
exports of rows as CSV or XLSX, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from accreditation.errors import ServiceError
from accreditation.models import AccreditationRequest, Status, Vetting
from accreditation.roles import require_event, require_permission
from accreditation.workflow import audit

VETTING_COLUMNS = [
    "reference",
    "family_names",
    "given_names",
    "date_of_birth",
    "nationality",
    "id_document_type",
    "id_document_number",
    "id_document_country",
    "id_document_expiry",
    "outlet_name",
    "outlet_country",
    "decision",
    "note",
]


def vetting_rows(*, event, actor) -> list[list[str]]:
    """The requests awaiting vetting, as rows for the security service (decision left blank)."""
    require_permission(actor, "accreditation.supervise_request")
    require_event(actor, event.pk)
    rows = [VETTING_COLUMNS]
    queryset = (
        AccreditationRequest.objects.filter(event=event, vetting=Vetting.PENDING)
        .exclude(status__in=[Status.WITHDRAWN, Status.REJECTED])
        .order_by("reference")
    )
    for req in queryset:
        rows.append(
            [
                req.reference,
                req.family_names,
                req.given_names,
                req.date_of_birth.isoformat(),
                str(req.nationality),
                req.id_document_type,
                req.id_document_number,
                str(req.id_document_country),
                req.id_document_expiry.isoformat(),
                req.outlet_name,
                str(req.outlet_country),
                "",
                "",
            ]
        )
    audit(action="vetting.exported", actor=actor, data={"event": event.pk, "count": len(rows) - 1})
    return rows


def rows_to_csv(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue()


def rows_to_xlsx(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("vetting")
    for row in rows:
        sheet.append([safe_cell(cell) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def safe_cell(value) -> str:
    """Neutralise spreadsheet formulas in data that came from the public (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


_CLEARED = {"cleared", "yes", "ok", "autorisé", "autorise", "favorable", "y"}
_NOT_CLEARED = {
    "not cleared",
    "not_cleared",
    "no",
    "refused",
    "refusé",
    "refuse",
    "défavorable",
    "defavorable",
    "n",
}


@dataclass
class VettingImport:
    cleared: int = 0
    not_cleared: int = 0
    problems: list[str] | None = None


def read_vetting_file(data: bytes, filename: str) -> list[dict[str, str]]:
    if filename.lower().endswith(".xlsx") or data[:2] == b"PK":
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
        except Exception:
            raise ServiceError("unreadable", _("This spreadsheet cannot be read.")) from None
        rows = [
            [("" if c is None else str(c)) for c in row]
            for row in sheet.iter_rows(values_only=True)
        ]
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
        rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise ServiceError("empty", _("The file is empty."))
    header = [h.strip().lower() for h in rows[0]]
    if "reference" not in header or "decision" not in header:
        raise ServiceError("columns", _("The file needs the columns “reference” and “decision”."))
    return [
        dict(zip(header, (c.strip() for c in row), strict=False)) for row in rows[1:] if any(row)
    ]


def vetting_import(*, event, actor, rows: list[dict[str, str]]) -> VettingImport:
    """Record the security service's answers, matched by reference. Unknown or unclear rows are
    reported, not guessed; nothing is recorded if the file has none that can be used."""
    require_permission(actor, "accreditation.supervise_request")
    require_event(actor, event.pk)
    result = VettingImport(problems=[])
    with transaction.atomic():
        for number, row in enumerate(rows, start=2):
            reference = row.get("reference", "").upper()
            decision = row.get("decision", "").strip().lower()
            if decision in _CLEARED:
                value = Vetting.CLEARED
            elif decision in _NOT_CLEARED:
                value = Vetting.NOT_CLEARED
            else:
                result.problems.append(
                    _("Line %(line)s: decision “%(value)s” is neither cleared nor not cleared.")
                    % {"line": number, "value": decision}
                )
                continue
            req = (
                AccreditationRequest.objects.select_for_update()
                .filter(event=event, reference=reference)
                .first()
            )
            if req is None:
                result.problems.append(
                    _("Line %(line)s: no request %(reference)s in this event.")
                    % {"line": number, "reference": reference}
                )
                continue
            if req.vetting == value:
                continue
            AccreditationRequest.objects.filter(pk=req.pk).update(
                vetting=value, vetting_note=row.get("note", "")[:500]
            )
            audit(action=f"vetting.{value}", request=req, actor=actor, reason=row.get("note", ""))
            if value == Vetting.CLEARED:
                result.cleared += 1
            else:
                result.not_cleared += 1
    return result
