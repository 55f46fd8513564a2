from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import F

from events.models import Event, Session


def event_save(*, event: Event, changed: list[str], actor=None) -> Event:
    """Save an event; a changed consent text becomes a new version (requests keep theirs)."""
    with transaction.atomic():
        event.save()
        if event.pk and {"consent_text", "consent_texts"} & set(changed):
            Event.objects.filter(pk=event.pk).update(consent_version=F("consent_version") + 1)
            event.refresh_from_db(fields=["consent_version"])
    return event


def sessions_of_another_event(*, event: Event, sessions: Iterable[Session]) -> list[Session]:
    """The sessions a checkpoint of ``event`` cannot serve: those of another event (a gate
    decides against its own event's keys, badges and sessions only)."""
    return [s for s in sessions if s.event_id != event.pk]
