"""The erasure e-mails: to the event's contact address when a journalist asks (in the
event's notice language), and to the journalist with the outcome (in their language, at the
address copied onto the erasure request: after an erasure nothing else holds it). Plain text,
the "text" engine, this app's templates (email/privacy/), through accreditation.notify.emails."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.urls import reverse

from accreditation.notify import emails
from accreditation.privacy.models import ErasureRequest, ErasureStatus

TEMPLATES = Path(__file__).resolve().parent / "templates" / "email" / "privacy"


def send(*, erasure_id: int, recipient: str, message_id: str | None = None) -> bool:
    """Send the e-mail; False when there is nothing to send (the outcome was sent already,
    or the address is gone)."""
    erasure = ErasureRequest.objects.select_related("event", "request").get(pk=erasure_id)
    event = erasure.event
    context = {"erasure": erasure, "event": event}
    if recipient == "staff":
        path = reverse("admin:privacy_erasurerequest_change", args=[erasure.pk])
        context["admin_url"] = settings.SITE_URL + path
        template, to, language = "staff", event.contact_email, event.notice_language
    elif recipient == "journalist":
        if not erasure.notify_email:
            return False
        template = "done" if erasure.status == ErasureStatus.DONE else "refused"
        to, language = erasure.notify_email, erasure.notify_language or event.staff_language
        if erasure.request is not None:
            from accreditation.apply import status_url

            context["status_url"] = status_url(erasure.request)
    else:
        raise ValueError(f"unknown recipient {recipient!r}")
    emails.message(
        emails.render(template, context, language=language, tz=event.tz, folder=TEMPLATES),
        to=to,
        reply_to=event.contact_email,
        message_id=message_id,
    ).send()
    return True
