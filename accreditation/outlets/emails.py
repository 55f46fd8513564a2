"""The outlets' e-mails, plain text, each in its recipient's language and the event's time
zone: to the focal point (registered, approved with the link to its page, more information
asked, rejected, a journalist to confirm) and to a crew member (their personal link).

Rendered by the "text" engine (nothing escaped) from this app's templates (email/outlets/),
through accreditation.notify.emails (render, message) like every e-mail."""

from __future__ import annotations

from pathlib import Path

from accreditation.notify import emails
from accreditation.outlets import links
from accreditation.outlets.models import Confirmation, CrewMember, Outlet

TEMPLATES = Path(__file__).resolve().parent / "templates" / "email" / "outlets"
KINDS = ("registered", "approved", "info_requested", "rejected", "crew", "confirm")


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
    emails.message(
        emails.render(kind, context, language=language, tz=event.tz, folder=TEMPLATES),
        to=to,
        reply_to=event.contact_email,
        message_id=message_id,
    ).send()
