"""E-mails, rendered in the recipient's language and the event's time zone."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accreditation.models import AccreditationRequest, LateAdmission


def _send(template: str, context: dict, *, to: str, reply_to: str, language: str, tz) -> None:
    with translation.override(language), timezone.override(tz):
        subject = render_to_string(f"email/{template}_subject.txt", context).strip()
        body = render_to_string(f"email/{template}_body.txt", context)
    EmailMessage(
        subject=" ".join(subject.split()),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        reply_to=[reply_to],
    ).send()


def send_to_applicant(req: AccreditationRequest, template: str, extra: dict | None = None) -> None:
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
    )


def send_contact_notice(req: AccreditationRequest) -> None:
    event = req.event
    admin_path = f"/admin/accreditation/accreditationrequest/{req.pk}/change/"
    context = {"req": req, "event": event, "admin_url": settings.SITE_URL + admin_path}
    _send(
        "contact_notice",
        context,
        to=event.contact_email,
        reply_to=req.email,
        language=event.staff_language,
        tz=event.tz,
    )


def send_late_admission(admission: LateAdmission, language: str) -> None:
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
    )
