"""Reminders: a question from staff that stays unanswered is recalled to the journalist once.

"Pending with no news for weeks" is what goes wrong elsewhere; here the journalist who was
asked for more information (by a reviewer, or by the checks for an unusable document) gets
one reminder e-mail a few days later (PRESSPASS_REMINDER_DAYS), with the question and the
link to answer. A new question earns a new reminder; nothing is sent once the event is over.
Celery beat runs `reminders_send` every hour; running it twice sends nothing twice.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from accreditation.models import AccreditationRequest, Message, Status
from accreditation.notify import outbox
from accreditation.workflow import audit


def _last_question():
    return Subquery(
        Message.objects.filter(request=OuterRef("pk"), author=Message.Author.STAFF)
        .order_by("-created_at")
        .values("created_at")[:1]
    )


def reminders_due(*, now: dt.datetime | None = None):
    """Requests waiting for the journalist's answer for long enough, not reminded of it yet."""
    now = now or timezone.now()
    wait = dt.timedelta(days=settings.PRESSPASS_REMINDER_DAYS)
    return (
        AccreditationRequest.objects.filter(
            status=Status.INFO_REQUESTED,
            # a first cut (time zones reach UTC-12); the event's own zone decides below
            event__ends_on__gte=(now - dt.timedelta(hours=12)).date(),
        )
        .annotate(asked_at=_last_question())
        .filter(asked_at__lte=now - wait)
        .filter(Q(reminded_at__isnull=True) | Q(reminded_at__lt=F("asked_at")))
    )


def reminders_send(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Send the reminders that are due; returns how many were queued."""
    now = now or timezone.now()
    sent = 0
    for pk in reminders_due(now=now).values_list("pk", flat=True)[:limit]:
        with transaction.atomic():
            req = (
                reminders_due(now=now)
                .select_for_update(of=("self",))
                .select_related("event")
                .filter(pk=pk)
                .first()
            )
            if req is None:  # answered, or reminded by another run, in the meantime
                continue
            if timezone.localdate(now, req.event.tz) > req.event.ends_on:
                continue  # the event is over where it takes place
            question = req.messages.filter(author=Message.Author.STAFF).last()
            req.reminded_at = now
            req.save(update_fields=["reminded_at"])
            audit(action="request.reminded", request=req, actor_label="Presspass")
            outbox.enqueue(
                "accreditation.send_request_email",
                request_id=req.pk,
                kind="reminder",
                extra={"question": question.body},
            )
            sent += 1
    return sent
