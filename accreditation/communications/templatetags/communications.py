"""The announcements a journalist received, for their status page."""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.utils.translation import get_language

from accreditation.communications import calendar, links
from accreditation.communications.models import Announcement, Delivery, OptOut

register = template.Library()


@dataclass(frozen=True)
class Received:
    title: str
    body: str
    language: str
    fallback: bool  # not written in the reader's language: in the event's first
    sent_at: object
    session_title: str
    starts: object
    place: str
    files: list[tuple[str, str]]  # (name, link)


@register.simple_tag
def announcements_for(req) -> list[Received]:
    """What was announced to ``req`` (e-mailed or not), newest first, each in the page's
    language or, marked, in the event's first."""
    reading = (get_language() or req.language)[:2]
    deliveries = (
        Delivery.objects.filter(request=req)
        .exclude(announcement__state=Announcement.State.DRAFT)
        .select_related("announcement__event", "announcement__session")
        .prefetch_related("announcement__attachments")
        .order_by("-announcement__send_started_at", "-pk")
    )
    out = []
    for delivery in deliveries:
        announcement = delivery.announcement
        language, fallback = announcement.text_language(reading)
        cal = announcement.calendar
        session = announcement.session
        out.append(
            Received(
                title=announcement.titles.get(language, ""),
                body=announcement.bodies.get(language, ""),
                language=language,
                fallback=fallback,
                sent_at=delivery.sent_at or announcement.send_started_at,
                session_title=session.display_title(reading) if session else "",
                starts=calendar.starts(cal),
                place=calendar.location(cal, announcement.event, reading) if cal else "",
                files=[
                    (a.original_name, links.file_path(req, a.pk))
                    for a in announcement.attachments.all()
                ],
            )
        )
    return out


@register.simple_tag
def announcements_unsubscribe_path(req) -> str:
    return links.unsubscribe_path(req)


@register.simple_tag
def announcements_opted_out(req) -> bool:
    return OptOut.objects.filter(request=req).exists()
