"""The outlets' e-mails, plain text, each in its recipient's language and the event's time
zone: to the focal point (registered, approved with the link to its page, more information
asked, rejected, a journalist to confirm) and to a crew member (their personal link).

Rendered by the "text" engine (nothing escaped) from this app's templates (email/outlets/),
as accreditation.interviews.emails does: accreditation.notify.emails._send reads only the
project's template folder."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.template import engines
from django.utils import timezone, translation

from accreditation.outlets import links
from accreditation.outlets.models import Confirmation, CrewMember, Outlet

TEMPLATES = Path(__file__).resolve().parent / "templates" / "email" / "outlets"
KINDS = ("registered", "approved", "info_requested", "rejected", "crew", "confirm")


@lru_cache(maxsize=16)
def _template(name: str):
    return engines["text"].from_string((TEMPLATES / name).read_text(encoding="utf-8"))


def send(
    *,
    outlet_id: int,
    kind: str,
    member_id: int | None = None,
    confirmation_id: int | None = None,
    message_id: str | None = None,
) -> None:
    if kind not in KINDS:
        raise ValueError(kind)
    outlet = Outlet.objects.select_related("event").get(pk=outlet_id)
    event = outlet.event
    context = {"outlet": outlet, "event": event, "kind": kind}
    to, language = outlet.focal_email, outlet.language
    if kind == "approved":
        context["focal_url"] = links.focal_url(outlet)
    elif kind == "crew":
        member = CrewMember.objects.get(pk=member_id, outlet=outlet)
        context.update(member=member, crew_url=links.crew_url(member), days=links.CREW_LINK_DAYS)
        to, language = member.email, member.language
    elif kind == "confirm":
        confirmation = Confirmation.objects.select_related("request").get(
            pk=confirmation_id, outlet=outlet
        )
        context.update(req=confirmation.request, confirm_url=links.confirm_url(confirmation))
    with translation.override(language), timezone.override(event.tz):
        subject = " ".join(_template(f"{kind}_subject.txt").render(context).split())
        body = _template(f"{kind}_body.txt").render(context)
    EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        reply_to=[event.contact_email],
        headers={"Message-ID": message_id} if message_id else None,
    ).send()
