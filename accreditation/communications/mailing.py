"""An announcement's e-mails: each in its recipient's language and the event's time zone, plain
text, rendered and made by accreditation.notify.emails as every e-mail is (from this app's
templates), with a Message-ID of its own delivery, the session's calendar entry and the
announcement's files.

What every e-mail of one announcement shares (its texts, its calendar entry per language, its
files' bytes) is prepared once per batch (AnnouncementMail), so a batch of 200 renders 200
small bodies, not 200 announcements."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.core.mail import EmailMessage
from django.utils import timezone, translation

from accreditation.apply.links import status_url
from accreditation.communications import calendar
from accreditation.communications.links import unsubscribe_url
from accreditation.communications.models import Announcement, Delivery
from accreditation.notify import emails
from accreditation.privacy.storage import private_storage

TEMPLATES = Path(__file__).resolve().parent / "templates" / "communications" / "email"
ICS_TYPE = "text/calendar; method=PUBLISH; charset=UTF-8"


def delivery_message_id(delivery_id: int) -> str:
    """The Message-ID of one recipient's e-mail: the same at every attempt, so a second copy
    (a batch retried after a crash) is recognised as the same e-mail."""
    return emails.message_id(delivery_id, "announcement") or ""


@dataclass(frozen=True)
class Rendered(emails.Rendered):
    ics: bytes | None = None  # the session's calendar entry, when it concerns one


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
        title = announcement.titles.get(text_language, "")
        context = {
            "event": self.event,
            "title": title,
            "body": announcement.bodies.get(text_language, ""),
            "fallback": fallback,
            # lazy: named in the reader's language, when the template is rendered in it
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
        text = emails.render(
            "announcement", context, language=language, tz=self.event.tz, folder=TEMPLATES
        )
        ics = None
        if cal:
            with translation.override(language), timezone.override(self.event.tz):
                ics = self._calendar(language, context["session_title"], title)
        return Rendered(subject=text.subject, body=text.body, ics=ics)

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
        headers = {"Auto-Submitted": "auto-generated"}
        if unsubscribe:
            # RFC 8058: a mail client's own "unsubscribe" button posts to the link at once.
            headers["List-Unsubscribe"] = f"<{unsubscribe}>"
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message = emails.message(
            rendered,
            to=req.email,
            reply_to=self.event.contact_email,
            message_id=delivery_message_id(delivery.pk),
            headers=headers,
            connection=connection,
        )
        if rendered.ics is not None:
            message.attach("session.ics", rendered.ics, ICS_TYPE)
        for name, content, content_type in self.files():
            message.attach(name, content, content_type)
        return message
