"""E-mails, rendered in the recipient's language and the event's time zone."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accreditation.models import AccreditationRequest, AddressCheck, LateAdmission


def message_id(outbox_id: int | None) -> str | None:
    """The Message-ID of the e-mail an outbox row sends: the same at every delivery, so a
    second one (at-least-once delivery after a crash) can be recognised as the same e-mail."""
    if outbox_id is None:
        return None
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >") or "presspass"
    return f"<presspass-outbox-{outbox_id}@{domain}>"


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
    with translation.override(language), timezone.override(tz):
        # Plain text: the "text" template engine, which escapes nothing (config/settings.py).
        subject = render_to_string(f"email/{template}_subject.txt", context, using="text")
        body = render_to_string(f"email/{template}_body.txt", context, using="text")
    EmailMessage(
        subject=" ".join(subject.split()),  # one line, whatever the names hold
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        reply_to=[reply_to],
        headers={"Message-ID": message_id} if message_id else None,
    ).send()


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
