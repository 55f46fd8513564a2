"""An announcement's e-mails: each in its recipient's language and the event's time zone, plain
text (the "text" template engine, which escapes nothing, as accreditation.notify.emails), with
a Message-ID of its own delivery, the session's calendar entry and the announcement's files.

What every e-mail of one announcement shares (its texts, its calendar entry per language, its
files' bytes) is prepared once per batch (AnnouncementMail), so a batch of 200 renders 200
small bodies, not 200 announcements."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.template import engines
from django.utils import timezone, translation

from accreditation.apply.links import status_url
from accreditation.communications import calendar
from accreditation.communications.links import unsubscribe_url
from accreditation.communications.models import Announcement, Delivery
from accreditation.privacy.storage import private_storage

TEMPLATES = Path(__file__).resolve().parent / "templates" / "communications" / "email"
ICS_TYPE = "text/calendar; method=PUBLISH; charset=UTF-8"


@lru_cache
def _template(name: str):
    """A template of this app's e-mail folder, compiled once by the "text" engine (whose own
    folders are the project's templates/ only)."""
    return engines["text"].from_string((TEMPLATES / name).read_text(encoding="utf-8"))


def delivery_message_id(delivery_id: int) -> str:
    """The Message-ID of one recipient's e-mail: the same at every attempt, so a second copy
    (a batch retried after a crash) is recognised as the same e-mail."""
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >") or "presspass"
    return f"<presspass-announcement-{delivery_id}@{domain}>"


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    ics: bytes | None


class AnnouncementMail:
    """The e-mails of one announcement."""

    def __init__(self, announcement: Announcement):
        self.announcement = announcement
        self.event = announcement.event
        self.session = announcement.session
        self._ics: dict[str, bytes] = {}
        self._files: list[tuple[str, bytes, str]] | None = None

    def files(self) -> list[tuple[str, bytes, str]]:
        if self._files is None:
            storage = private_storage()
            self._files = []
            for attachment in self.announcement.attachments.all():
                with storage.open(attachment.file.name, "rb") as handle:
                    content = handle.read()
                self._files.append((attachment.original_name, content, attachment.content_type))
        return self._files

    def render(
        self,
        *,
        language: str,
        text_language: str | None = None,
        fallback: bool | None = None,
        status_link: str,
        unsubscribe_link: str | None,
    ) -> Rendered:
        """The e-mail a reader of ``language`` gets: the text in their language or, marked as
        such, in the event's first; everything around it in theirs."""
        announcement = self.announcement
        if text_language is None or fallback is None:
            text_language, fallback = announcement.text_language(language)
        cal = announcement.calendar
        with translation.override(language), timezone.override(self.event.tz):
            title = announcement.titles.get(text_language, "")
            context = {
                "event": self.event,
                "title": title,
                "body": announcement.bodies.get(text_language, ""),
                "fallback": fallback,
                "text_language": translation.get_language_info(text_language)["name_translated"],
                "session_title": self.session.display_title(language) if self.session else "",
                "starts": calendar.starts(cal),
                "ends": calendar.ends(cal),
                "place": calendar.location(cal, self.event, language) if cal else "",
                "time_zone": self.event.time_zone,
                "files": [name for name, _content, _type in self.files()],
                "status_url": status_link,
                "unsubscribe_url": unsubscribe_link,
            }
            subject = _template("announcement_subject.txt").render(context)
            body = _template("announcement_body.txt").render(context)
            ics = self._calendar(language, context["session_title"], title) if cal else None
        return Rendered(subject=" ".join(subject.split()), body=body, ics=ics)

    def _calendar(self, language: str, session_title: str, title: str) -> bytes:
        if language not in self._ics:
            self._ics[language] = calendar.ics(
                self.announcement.calendar,
                event=self.event,
                title=session_title,
                description=title,
                language=language,
            )
        return self._ics[language]

    def message(self, delivery: Delivery, *, connection=None) -> EmailMessage:
        """The e-mail of one delivery (its request loaded with it)."""
        req = delivery.request
        optional = not self.announcement.operational
        unsubscribe = unsubscribe_url(req) if optional else None
        rendered = self.render(
            language=req.language,
            text_language=delivery.language,
            fallback=delivery.fallback,
            status_link=status_url(req),
            unsubscribe_link=unsubscribe,
        )
        headers = {
            "Message-ID": delivery_message_id(delivery.pk),
            "Auto-Submitted": "auto-generated",
        }
        if unsubscribe:
            # RFC 8058: a mail client's own "unsubscribe" button posts to the link at once.
            headers["List-Unsubscribe"] = f"<{unsubscribe}>"
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message = EmailMessage(
            subject=rendered.subject,
            body=rendered.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[req.email],
            reply_to=[self.event.contact_email],
            headers=headers,
            connection=connection,
        )
        if rendered.ics is not None:
            message.attach("session.ics", rendered.ics, ICS_TYPE)
        for name, content, content_type in self.files():
            message.attach(name, content, content_type)
        return message
