"""The data-protection notice a journalist agrees to on the form: its full text in their
language, kept with its version and SHA-256 (events.models.ConsentNotice), so that what each
person agreed to can be shown word for word later, whatever staff changed since.

The text shown is the one staff wrote for the event in that language, or Presspass's own
translated notice. Whenever the text that would be shown differs from the one kept for the
event's current version (staff rewrote it, the retention period changed, a translation was
corrected), the event's notice gets a new version: a version and a language name one text.
"""

from __future__ import annotations

import hashlib

from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import ngettext

from events.models import ConsentNotice, Event


def notice_text(*, event: Event, language: str) -> str:
    """The notice as the form shows it in ``language`` (plain text, paragraphs by lines)."""
    written = event.display_consent_text(language).strip()
    if written:
        return written.replace("\r\n", "\n")
    with translation.override(language):
        return ngettext(
            "%(organiser)s processes the data and documents you give here only to decide on "
            "your accreditation, produce your badge and secure the event. They are seen only by "
            "the accreditation and security staff who need them, and are deleted %(days)s day "
            "after the event. You may ask to see, correct or delete your data by writing to "
            "%(contact)s.",
            "%(organiser)s processes the data and documents you give here only to decide on "
            "your accreditation, produce your badge and secure the event. They are seen only by "
            "the accreditation and security staff who need them, and are deleted %(days)s days "
            "after the event. You may ask to see, correct or delete your data by writing to "
            "%(contact)s.",
            event.retention_days,
        ) % {
            "organiser": event.organiser or event.display_name(language),
            "days": event.retention_days,
            "contact": event.contact_email,
        }


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def notice_current(*, event: Event, language: str) -> ConsentNotice:
    """The notice shown now in ``language``, kept (a new version of the event's notice when its
    text is not the one kept for the current version)."""
    language = language[:2]
    text = notice_text(event=event, language=language)
    digest = text_sha256(text)
    # Read once per loaded event (the form's check and the submission share it).
    seen: dict = event.__dict__.setdefault("_consent_notices", {})
    kept = seen.get((event.consent_version, language))
    if kept is None:
        kept = ConsentNotice.objects.filter(
            event_id=event.pk, version=event.consent_version, language=language
        ).first()
    if kept is not None and kept.sha256 == digest:
        seen[(kept.version, language)] = kept
        return kept
    with transaction.atomic():
        locked = Event.objects.select_for_update().get(pk=event.pk)
        kept = ConsentNotice.objects.filter(
            event_id=event.pk, version=locked.consent_version, language=language
        ).first()
        if kept is not None and kept.sha256 != digest:
            # The text changed under a version already shown: the new text is a new version.
            locked.consent_version += 1
            Event.objects.filter(pk=event.pk).update(consent_version=locked.consent_version)
            kept = None
        event.consent_version = locked.consent_version
        if kept is None:
            try:
                with transaction.atomic():
                    kept = ConsentNotice.objects.create(
                        event_id=event.pk,
                        version=locked.consent_version,
                        language=language,
                        text=text,
                        sha256=digest,
                    )
            except IntegrityError:  # pragma: no cover - the row lock above serialises writers
                kept = ConsentNotice.objects.get(
                    event_id=event.pk, version=locked.consent_version, language=language
                )
    seen[(kept.version, language)] = kept
    return kept


def notice_agreed(*, request) -> ConsentNotice | None:
    """The notice the request's person agreed to: the event's version they were shown, in the
    language they applied in. None for a request made before notices were kept."""
    return ConsentNotice.objects.filter(
        event_id=request.event_id, version=request.consent_version, language=request.language[:2]
    ).first()
