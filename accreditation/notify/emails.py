"""E-mails, rendered in the recipient's language and the event's time zone.

One way to make every e-mail of Presspass: ``render`` (a template's subject and body, in a
language and a time zone, from the project's templates/email/ or an app's own folder) and
``message`` (the EmailMessage around it, with its Message-ID); announcements
(communications.mailing) and interviews (interviews.emails) use them too."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.template import engines
from django.utils import timezone, translation

from accreditation.models import AccreditationRequest, AddressCheck, LateAdmission


def _domain() -> str:
    return settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >") or "presspass"


def message_id(outbox_id: int | None, kind: str = "outbox") -> str | None:
    """The Message-ID of the e-mail an outbox row (or another ``kind`` of record: an
    announcement's delivery) sends: the same at every delivery, so a second one (at-least-once
    delivery after a crash) can be recognised as the same e-mail."""
    if outbox_id is None:
        return None
    return f"<presspass-{kind}-{outbox_id}@{_domain()}>"


@dataclass(frozen=True)
class Rendered:
    subject: str  # one line, whatever the names hold
    body: str


@lru_cache(maxsize=64)
def _compiled(path: str):
    """A template of an app's own e-mail folder, compiled once by the "text" engine (whose own
    folder is the project's templates/ only)."""
    return engines["text"].from_string(Path(path).read_text(encoding="utf-8"))


def _template(name: str, folder: Path | None):
    if folder is None:
        return engines["text"].get_template(f"email/{name}")
    return _compiled(str(folder / name))


def render(
    template: str, context: dict, *, language: str, tz, folder: Path | None = None
) -> Rendered:
    """``{template}_subject.txt`` and ``{template}_body.txt`` rendered in ``language`` and the
    time zone ``tz``: plain text (the "text" template engine, which escapes nothing,
    config/settings.py), from templates/email/ or ``folder``."""
    with translation.override(language), timezone.override(tz):
        subject = _template(f"{template}_subject.txt", folder).render(context)
        body = _template(f"{template}_body.txt", folder).render(context)
    return Rendered(subject=" ".join(subject.split()), body=body)


def message(
    rendered: Rendered,
    *,
    to: str,
    reply_to: str,
    message_id: str | None = None,
    headers: dict | None = None,
    connection=None,
) -> EmailMessage:
    """The e-mail of ``rendered`` from Presspass to ``to``."""
    all_headers = {**({"Message-ID": message_id} if message_id else {}), **(headers or {})}
    return EmailMessage(
        subject=rendered.subject,
        body=rendered.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        reply_to=[reply_to],
        headers=all_headers or None,
        connection=connection,
    )


def _send(
    template: str,
    context: dict,
    *,
    to: str,
    reply_to: str,
    language: str,
    tz,
    message_id: str | None = None,
) -> None:
    rendered = render(template, context, language=language, tz=tz)
    message(rendered, to=to, reply_to=reply_to, message_id=message_id).send()


def send_to_applicant(
    req: AccreditationRequest,
    template: str,
    extra: dict | None = None,
    *,
    message_id: str | None = None,
) -> None:
    from accreditation.apply import status_url

    event = req.event
    context = {"req": req, "event": event, "status_url": status_url(req), **(extra or {})}
    _send(
        template,
        context,
        to=req.email,
        reply_to=event.contact_email,
        language=req.language,
        tz=event.tz,
        message_id=message_id,
    )


def _admin_url(req: AccreditationRequest) -> str:
    """The request's page in the staff's admin, for the notices staff receive."""
    return f"{settings.SITE_URL}/admin/accreditation/accreditationrequest/{req.pk}/change/"


def send_contact_notice(req: AccreditationRequest, *, message_id: str | None = None) -> None:
    event = req.event
    context = {"req": req, "event": event, "admin_url": _admin_url(req)}
    _send(
        "contact_notice",
        context,
        to=event.contact_email,
        reply_to=req.email,
        language=event.notice_language,
        tz=event.tz,
        message_id=message_id,
    )


def send_late_admission(
    admission: LateAdmission, language: str, *, message_id: str | None = None
) -> None:
    from accreditation.apply import late_admission_url

    event = admission.event
    context = {"admission": admission, "event": event, "url": late_admission_url(admission)}
    _send(
        "late_admission",
        context,
        to=admission.email,
        reply_to=event.contact_email,
        language=language,
        tz=event.tz,
        message_id=message_id,
    )


def send_address_check(check: AddressCheck, *, message_id: str | None = None) -> None:
    from accreditation.apply.address import address_check_url

    event = check.event
    context = {
        "event": event,
        "url": address_check_url(check),
        "minutes": settings.PRESSPASS_ADDRESS_LINK_MINUTES,
    }
    _send(
        "address_check",
        context,
        to=check.email,
        reply_to=event.contact_email,
        language=check.language,
        tz=event.tz,
        message_id=message_id,
    )


def send_answer_notice(req: AccreditationRequest, user, *, message_id: str | None = None) -> None:
    """To the member of staff who asked: the journalist has answered."""
    event = req.event
    context = {"req": req, "event": event, "admin_url": _admin_url(req)}
    _send(
        "answer_notice",
        context,
        to=user.email,
        reply_to=event.contact_email,
        language=event.staff_language,
        tz=event.tz,
        message_id=message_id,
    )
