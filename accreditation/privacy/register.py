"""The processing register of an event (the record of processing, law 09-08 art. 12 and 15 on the
declaration to the CNDP; GDPR art. 30): what is collected, why, who sees it, how long it is
kept, where it is stored and where it goes. Generated from the event's settings, the form's
fields, the roles' permissions and the deployment's storage and mail settings, so that it says
what the system does, not what someone remembered to write.

Shown as a page to print (or save as PDF from the browser) and downloaded as Markdown: the
CNDP's declaration is made on the authority's own forms, so the register is the source staff
copy from and keep with the declaration; plain UTF-8 text holds French and Arabic alike, opens
anywhere, and two versions can be compared line by line when the event's settings change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accreditation import roles
from accreditation.apply.submission import REQUEST_FIELDS
from accreditation.models import AccreditationRequest, Document
from accreditation.privacy.access import ROLE_LABELS
from events.models import Event

# What each permission lets a role see, in the register's words.
SEES = {
    "accreditation.view_accreditationrequest": lambda: _(
        "the requests (identity, outlet, contact)"
    ),
    "accreditation.open_documents": lambda: _("identity documents, press cards, mission letters"),
    "accreditation.see_photo": lambda: _("portrait photos"),
    "accreditation.supervise_request": lambda: _("exports of the lists, statistics, vetting"),
    "accreditation.view_auditentry": lambda: _("the audit trail"),
    "accreditation.print_badge": lambda: _("badges (name, outlet, photo) to print and hand over"),
    "accreditation.scan_badge": lambda: _("at the gates: the holder's name, photo and admission"),
    "communications.send_announcement": lambda: _("names and addresses of accredited media"),
    "interviews.manage_interviews": lambda: _("interview requests (name, outlet, topic)"),
}


@dataclass
class Section:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)


@dataclass
class Register:
    title: str
    generated_at: str
    sections: list[Section]


def _day(value) -> str:
    return date_format(value, "DATE_FORMAT")


def _storage() -> tuple[str, str | None]:
    """Where the files are, and the bucket's endpoint when it is one (a possible transfer)."""
    private = settings.STORAGES["private"]
    options = private.get("OPTIONS", {})
    if "bucket_name" in options:
        endpoint = options.get("endpoint_url") or "Amazon S3"
        host = urlsplit(endpoint).hostname or endpoint
        region = options.get("region_name")
        where = _("an S3-compatible bucket “%(bucket)s” at %(host)s") % {
            "bucket": options["bucket_name"],
            "host": host + (f" ({region})" if region else ""),
        }
        return where, host
    return _("a private folder on the application server, outside any served directory"), None


def _database() -> str:
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    host = settings.DATABASES["default"].get("HOST") or _("the application server")
    return _("a %(engine)s database on %(host)s") % {"engine": engine, "host": host}


def _mail() -> str:
    backend = settings.EMAIL_BACKEND.rsplit(".", 2)[-2]
    if backend != "smtp":
        return _("E-mail delivery is not configured in this deployment (%(backend)s).") % {
            "backend": backend
        }
    return _("E-mails to the journalists go through the mail server %(host)s.") % {
        "host": settings.EMAIL_HOST
    }


def _recipients(event: Event) -> list[str]:
    lines = []
    for role, permissions in roles.ROLE_PERMISSIONS.items():
        seen = [SEES[p]() for p in permissions if p in SEES]
        if not seen:
            continue
        lines.append(
            _("%(role)s: %(what)s.")
            % {"role": ROLE_LABELS.get(role, role), "what": "; ".join(seen)}
        )
    assigned = event.staff.count()
    lines.append(
        ngettext(
            "Staff assigned to this event: %(count)s (staff assigned to no event work on all).",
            "Staff assigned to this event: %(count)s (staff assigned to no event work on all).",
            assigned,
        )
        % {"count": assigned}
    )
    if event.security_vetting_required:
        lines.append(
            _(
                "The organiser's security service: the applicants' identity (names, date of "
                "birth, nationality, document number, outlet), to vet them before approval."
            )
        )
    return lines


def register_build(*, event: Event) -> Register:
    """The register of ``event``, in the active language (the staff member's)."""
    now = timezone.localtime(timezone.now(), event.tz)
    request_fields = [
        capfirst(str(AccreditationRequest._meta.get_field(name).verbose_name))
        for name in REQUEST_FIELDS
    ]
    documents = [str(label) for _value, label in Document.Kind.choices]
    storage, bucket_host = _storage()
    count = event.requests.count()
    sections = [
        Section(
            _("Controller"),
            [
                _("%(organiser)s, for the event “%(event)s” (%(city)s, %(starts)s – %(ends)s).")
                % {
                    "organiser": event.organiser or event.display_name(),
                    "event": event.display_name(),
                    "city": event.city,
                    "starts": _day(event.starts_on),
                    "ends": _day(event.ends_on),
                },
                _("Contact for the people concerned: %(contact)s.")
                % {"contact": event.contact_email},
            ],
        ),
        Section(
            _("Purposes"),
            items=[
                _("Deciding on the accreditation of journalists and media technicians."),
                _("Producing and handing over badges; admitting badge holders at the gates."),
                _("Informing accredited media (announcements) and arranging interviews."),
            ]
            + (
                [_("Security vetting of the applicants by the organiser's security service.")]
                if event.security_vetting_required
                else []
            ),
        ),
        Section(
            _("Legal basis and notice"),
            [
                _(
                    "Consent given on the form to the data-protection notice, version "
                    "%(version)s; each text shown is kept with its SHA-256 in each language."
                )
                % {"version": event.consent_version},
            ],
        ),
        Section(
            _("People concerned"),
            [
                ngettext(
                    "Journalists applying for accreditation (%(count)s request so far).",
                    "Journalists applying for accreditation (%(count)s requests so far).",
                    count,
                )
                % {"count": count}
            ],
        ),
        Section(
            _("Data collected"),
            [
                _(
                    "The identity document's number is collected: its processing needs the "
                    "CNDP's authorisation (law 09-08)."
                )
            ],
            items=[
                _("Form: %(fields)s.") % {"fields": ", ".join(request_fields)},
                _("Files: %(kinds)s.") % {"kinds": ", ".join(documents)},
                _("Exchanges with staff, decisions and their reasons, sessions granted."),
                _("Badge and scans at the gates (time, gate, session, decision)."),
                _("Audit trail of every access and decision (staff member, time, IP address)."),
            ],
        ),
        Section(
            _("Who sees the data"),
            items=_recipients(event),
        ),
        Section(
            _("Retention"),
            items=[
                ngettext(
                    "Documents, photos and badges: until %(date)s (%(days)s day after the event).",
                    "Documents, photos and badges: until %(date)s (%(days)s days after the event).",
                    event.document_days,
                )
                % {"date": _day(event.documents_until), "days": event.document_days},
                ngettext(
                    "Other personal data: until %(date)s (%(days)s day after the event); then "
                    "only statistics without personal data and a record that each request "
                    "existed remain.",
                    "Other personal data: until %(date)s (%(days)s days after the event); then "
                    "only statistics without personal data and a record that each request "
                    "existed remain.",
                    event.retention_days,
                )
                % {"date": _day(event.personal_data_until), "days": event.retention_days},
            ],
        ),
        Section(
            _("Where the data are stored"),
            items=[
                _("Files: %(where)s, each file encrypted with its own key.") % {"where": storage},
                _("Records: %(where)s.") % {"where": _database()},
            ],
        ),
        Section(
            _("Transfers and processors"),
            items=[
                _mail(),
                _(
                    "Interview requests: the contact of the person asked for receives the "
                    "journalist's name, outlet and topic."
                ),
            ]
            + (
                [
                    _(
                        "The file storage at %(host)s: if it is outside Morocco, this is a "
                        "transfer abroad that needs the CNDP's authorisation."
                    )
                    % {"host": bucket_host}
                ]
                if bucket_host
                else []
            ),
        ),
        Section(
            _("Security and rights"),
            items=[
                (
                    _("Staff sign in with a second factor; every opening of a document is logged.")
                    if settings.PRESSPASS_REQUIRE_2FA
                    else _("Every opening of a document is logged.")
                ),
                _("Documents have no public address; they are served only to the roles above."),
                _(
                    "Each person downloads their data and asks for its erasure from their "
                    "private status link; supervisors can list who accessed their data."
                ),
            ],
        ),
    ]
    return Register(
        title=_("Processing register: %(event)s") % {"event": event.display_name()},
        generated_at=date_format(now, "DATETIME_FORMAT"),
        sections=sections,
    )


def register_markdown(register: Register) -> str:
    lines = [f"# {register.title}", "", _("Generated %(when)s.") % {"when": register.generated_at}]
    for section in register.sections:
        lines += ["", f"## {section.heading}"]
        for text in section.paragraphs:
            lines += ["", text]
        if section.items:
            lines.append("")
            lines += [f"- {item}" for item in section.items]
    return "\n".join(lines) + "\n"
