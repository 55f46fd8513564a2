"""Reminders: the e-mails Presspass sends by itself when a journalist has something to do.

- **An unanswered question.** The journalist asked for more information (by a reviewer, or by
  the checks for an unusable document) gets one reminder a few days later
  (PRESSPASS_REMINDER_DAYS), with the question and the link to answer. A new question earns
  a new reminder; nothing is sent once the event is over.
- **Before the deadline.** PRESSPASS_DEADLINE_REMINDER_HOURS (72) before the accreditation
  deadline, a request that still misses something the journalist must do (an answer to a
  question from staff, documents the checks sent back for replacement, an address never
  confirmed) is told what, and until when, once. Nobody is told twice in a day: a request
  asked, reminded or submitted in the last PRESSPASS_REMINDER_QUIET_HOURS (24) waits.
- **Before the event.** From 09:00 where the event takes place, PRESSPASS_COLLECTION_REMINDER_
  DAYS (2) before its first day and until its last, approved people who have not collected
  their badge are told once where and when the desk is open and what to bring. Those
  approved after that moment are not: their approval e-mail, just sent, says it already.

All of them are operational (the person's own request, like decisions and badge e-mails): a
journalist who unsubscribed from optional announcements still receives them. Withdrawn,
rejected and revoked requests receive none. Each goes through the outbox in the recipient's
language, is audited, and is recorded (reminded_at, communications.Reminder) in the same
transaction: Celery beat runs `accreditation.send_reminders` every hour, and a second run
sends nothing twice.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accreditation.communications.models import Reminder
from accreditation.models import AccreditationRequest, Message, Status
from accreditation.notify import outbox
from accreditation.workflow import audit
from events.models import Event

S = Status
# Not decided yet: what the journalist does now still counts for the decision.
UNDECIDED = (S.SUBMITTED, S.CHECKING, S.IN_REVIEW, S.INFO_REQUESTED)
# Approved, and the badge not in their hands yet.
NOT_COLLECTED = (S.APPROVED, S.BADGE_ISSUED, S.PRINTED)
# The hour of the event's day from which the collection reminder goes out.
COLLECTION_HOUR = dt.time(9, 0)


def deadline_hours() -> int:
    return settings.PRESSPASS_DEADLINE_REMINDER_HOURS


def quiet_hours() -> int:
    return settings.PRESSPASS_REMINDER_QUIET_HOURS


def collection_days() -> int:
    return settings.PRESSPASS_COLLECTION_REMINDER_DAYS


def _last_question():
    return Subquery(
        Message.objects.filter(request=OuterRef("pk"), author=Message.Author.STAFF)
        .order_by("-created_at")
        .values("created_at")[:1]
    )


def _reminded(kind: str):
    return Exists(Reminder.objects.filter(request=OuterRef("pk"), kind=kind))


# --- An unanswered question --------------------------------------------------------------------


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
    """Send the reminders of unanswered questions that are due; returns how many were queued."""
    now = now or timezone.now()
    sent = 0
    for pk in reminders_due(now=now).values_list("pk", flat=True)[:limit]:
        with transaction.atomic():
            req = _locked(reminders_due(now=now), pk)
            if req is None:  # answered, or reminded by another run, in the meantime
                continue
            if timezone.localdate(now, req.event.tz) > req.event.ends_on:
                continue  # the event is over where it takes place
            req.reminded_at = now
            req.save(update_fields=["reminded_at"])
            audit(action="request.reminded", request=req, actor_label="Presspass")
            outbox.enqueue(
                "accreditation.send_request_email",
                request_id=req.pk,
                kind="reminder",
                extra={"question": _question(req)},
            )
            sent += 1
    return sent


def _locked(queryset: QuerySet, pk: int) -> AccreditationRequest | None:
    """The request, locked, if it is still due (read again under the lock: another run, or the
    journalist, may have acted in the meantime)."""
    return queryset.select_for_update(of=("self",)).select_related("event").filter(pk=pk).first()


def _question(req: AccreditationRequest) -> str:
    question = req.messages.filter(author=Message.Author.STAFF).order_by("created_at").last()
    return question.body if question else ""


# --- Before the deadline -----------------------------------------------------------------------


def deadline_reminders_due(*, now: dt.datetime | None = None) -> QuerySet:
    """Requests that still miss something the journalist must do, whose event's deadline is
    within PRESSPASS_DEADLINE_REMINDER_HOURS, not told so yet, and not written to in the last
    PRESSPASS_REMINDER_QUIET_HOURS."""
    now = now or timezone.now()
    quiet = now - dt.timedelta(hours=quiet_hours())
    missing = Q(status=S.INFO_REQUESTED) | Q(status__in=UNDECIDED, email_confirmed_at__isnull=True)
    return (
        AccreditationRequest.objects.filter(
            missing,
            event__accreditation_deadline__gte=now,
            event__accreditation_deadline__lte=now + dt.timedelta(hours=deadline_hours()),
            submitted_at__lte=quiet,
        )
        .exclude(reminded_at__gt=quiet)
        .annotate(asked_at=_last_question(), told=_reminded(str(Reminder.Kind.DEADLINE)))
        .filter(told=False)
        .filter(Q(asked_at__isnull=True) | Q(asked_at__lte=quiet))
    )


def deadline_reminders_send(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Tell the requests due a deadline reminder what they still miss; returns how many."""
    now = now or timezone.now()
    sent = 0
    for pk in deadline_reminders_due(now=now).values_list("pk", flat=True)[:limit]:
        with transaction.atomic():
            req = _locked(deadline_reminders_due(now=now), pk)
            if req is None:
                continue
            answer = req.status == S.INFO_REQUESTED
            unconfirmed = req.email_confirmed_at is None and req.status in UNDECIDED
            Reminder.objects.create(request=req, kind=Reminder.Kind.DEADLINE, sent_at=now)
            if answer:  # the question is recalled here: its own reminder would repeat it
                req.reminded_at = now
                req.save(update_fields=["reminded_at"])
            audit(
                action="request.reminded_deadline",
                request=req,
                actor_label="Presspass",
                data={"answer": answer, "address": unconfirmed},
            )
            outbox.enqueue(
                "accreditation.send_request_email",
                request_id=req.pk,
                kind="deadline_reminder",
                extra={
                    "answer": answer,
                    "question": _question(req) if answer else "",
                    "unconfirmed": unconfirmed,
                },
            )
            sent += 1
    return sent


# --- Before the event --------------------------------------------------------------------------


def collection_reminder_at(event: Event) -> dt.datetime:
    """When the collection reminder of ``event`` goes out: COLLECTION_HOUR where the event takes
    place, PRESSPASS_COLLECTION_REMINDER_DAYS before its first day."""
    day = event.starts_on - dt.timedelta(days=collection_days())
    return dt.datetime.combine(day, COLLECTION_HOUR, tzinfo=event.tz)


def collection_reminders_due(*, now: dt.datetime | None = None) -> QuerySet:
    """Approved people who have not collected their badge, of the events whose collection
    reminder is due (and that are not over), approved before it was, not told yet."""
    now = now or timezone.now()
    today = now.date()
    due = Q(pk__in=[])
    # A first cut in dates (time zones are at most a day apart); each event's own zone decides.
    for event in Event.objects.filter(
        starts_on__lte=today + dt.timedelta(days=collection_days() + 1),
        ends_on__gte=today - dt.timedelta(days=1),
    ):
        at = collection_reminder_at(event)
        if at <= now <= event.ends_at():
            due |= Q(event=event) & (Q(decided_at__isnull=True) | Q(decided_at__lt=at))
    return (
        AccreditationRequest.objects.filter(due, status__in=NOT_COLLECTED)
        .annotate(told=_reminded(str(Reminder.Kind.COLLECTION)))
        .filter(told=False)
    )


def collection_reminders_send(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Tell approved people who have not collected their badge where and when; returns how
    many."""
    now = now or timezone.now()
    sent = 0
    due = collection_reminders_due(now=now)
    for pk in due.values_list("pk", flat=True)[:limit]:
        with transaction.atomic():
            req = _locked(due, pk)
            if req is None:
                continue
            Reminder.objects.create(request=req, kind=Reminder.Kind.COLLECTION, sent_at=now)
            audit(action="request.reminded_collection", request=req, actor_label="Presspass")
            outbox.enqueue(
                "accreditation.send_request_email",
                request_id=req.pk,
                kind="collection_reminder",
            )
            sent += 1
    return sent


def all_reminders_send(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Every reminder that is due (the hourly job). The question reminders go first: a request
    reminded of its question now waits a day for its deadline reminder."""
    now = now or timezone.now()
    return {
        "question": reminders_send(now=now),
        "deadline": deadline_reminders_send(now=now),
        "collection": collection_reminders_send(now=now),
    }
