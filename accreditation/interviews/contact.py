"""The target's contact, who has no account: their private link (an HMAC of a nonce stored on
the interview request, for this purpose only, expiring) and what they do through it — propose
one or more slots and a place, decline, or ask the press office a question.

The link is theirs to answer once: after they propose or decline, the same link says it was
answered (and a new forwarding makes a new nonce: older links are wrong links)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accreditation import tokens
from accreditation.errors import ServiceError
from accreditation.interviews import selectors
from accreditation.interviews.models import (
    InterviewMessage,
    InterviewRequest,
    InterviewSlot,
    InterviewStatus,
)
from accreditation.interviews.workflow import ACCREDITED, CONTACT, notify, transition
from accreditation.workflow import audit

PURPOSE = "interview_contact"
LINK_DAYS = 10  # a forwarded request's link, at most (and never past the event's end)
MAX_SLOTS = 5


def new_link_fields(interview: InterviewRequest, *, now: dt.datetime | None = None) -> dict:
    """The fields of a new link (a new nonce: every older link stops working)."""
    now = now or timezone.now()
    expires = min(now + dt.timedelta(days=LINK_DAYS), interview.event.ends_at())
    return {"contact_nonce": tokens.new_nonce(), "contact_link_expires_at": expires}


def contact_path(interview: InterviewRequest) -> str:
    token = tokens.make_token(PURPOSE, interview.pk, interview.contact_nonce)
    return reverse("interviews:contact", kwargs={"pk": interview.pk, "token": token})


def contact_url(interview: InterviewRequest) -> str:
    return settings.SITE_URL + contact_path(interview)


def contact_link_open(interview: InterviewRequest, *, now: dt.datetime | None = None) -> bool:
    """Whether the contact's link may be answered now: forwarded to them, not expired."""
    now = now or timezone.now()
    return (
        interview.status == InterviewStatus.FORWARDED
        and bool(interview.contact_nonce)
        and interview.contact_link_expires_at is not None
        and now < interview.contact_link_expires_at
    )


def interview_from_contact_link(*, pk: int, token: str) -> InterviewRequest:
    """The interview request a contact's link names, or ServiceError: ``link_invalid`` (no
    such link), ``link_expired``, ``link_used`` (answered already, or no longer theirs)."""
    interview = (
        InterviewRequest.objects.select_related("event", "target", "request").filter(pk=pk).first()
    )
    if (
        interview is None
        or not interview.contact_nonce
        or not tokens.check_token(PURPOSE, interview.pk, interview.contact_nonce, token)
    ):
        raise ServiceError(
            "link_invalid",
            _("This link is not valid. Use the latest link the press office sent you."),
        )
    if interview.status != InterviewStatus.FORWARDED:
        raise ServiceError(
            "link_used",
            _(
                "This request has been answered already, or it is no longer open. For any "
                "change, write to the press office."
            ),
        )
    if not contact_link_open(interview):
        raise ServiceError(
            "link_expired",
            _("This link has expired. Ask the press office for a new one."),
        )
    return interview


def _locked(interview: InterviewRequest) -> InterviewRequest:
    """The interview request, locked, while its link is still the contact's to answer."""
    locked = (
        InterviewRequest.objects.select_for_update(of=("self",))
        .select_related("event", "target", "request")
        .get(pk=interview.pk)
    )
    if locked.contact_nonce != interview.contact_nonce or not contact_link_open(locked):
        raise ServiceError(
            "link_used",
            _(
                "This request has been answered already, or it is no longer open. For any "
                "change, write to the press office."
            ),
        )
    return locked


def _check_slots(interview: InterviewRequest, slots: list[tuple[dt.datetime, dt.datetime]]) -> None:
    event = interview.event
    if not slots:
        raise ServiceError("no_slot", _("Propose at least one time."), field="slots")
    if len(slots) > MAX_SLOTS:
        raise ServiceError(
            "too_many_slots",
            _("Propose at most %(count)d times.") % {"count": MAX_SLOTS},
            field="slots",
        )
    now = timezone.now()
    ordered = sorted(slots)
    for starts, ends in ordered:
        if ends <= starts:
            raise ServiceError("slot_order", _("A time must end after it starts."), field="slots")
        first, last = starts.astimezone(event.tz).date(), ends.astimezone(event.tz).date()
        if starts < now or first < event.starts_on or last > event.ends_on:
            raise ServiceError(
                "slot_outside_event",
                _("Every time must be in the future, on one of the event's days."),
                field="slots",
            )
    for (_s1, end1), (start2, _e2) in zip(ordered, ordered[1:], strict=False):
        if start2 < end1:
            raise ServiceError("slots_overlap", _("Two proposed times overlap."), field="slots")
    for starts, ends in ordered:
        if selectors.target_busy(interview.target_id, starts, ends, exclude=interview.pk):
            raise ServiceError(
                "target_busy",
                _("An interview is already confirmed at %(time)s: propose another time.")
                % {"time": date_format(starts.astimezone(event.tz), "DATETIME_FORMAT")},
                field="slots",
            )


def interview_propose(
    *,
    interview: InterviewRequest,
    slots: list[tuple[dt.datetime, dt.datetime]],
    place: str,
    note: str = "",
    ip_address: str | None = None,
) -> None:
    """The contact accepts with one or more slots and a place; the journalist is told."""
    place = " ".join((place or "").split())
    if not place:
        raise ServiceError("place_required", _("Say where the interview is held."), field="place")
    with transaction.atomic():
        locked = _locked(interview)
        if locked.request.status not in ACCREDITED:
            raise ServiceError(
                "not_accredited",
                _("The journalist is no longer accredited: this request is closed."),
            )
        _check_slots(locked, slots)
        locked.slots.filter(withdrawn=False).update(withdrawn=True)
        InterviewSlot.objects.bulk_create(
            InterviewSlot(interview=locked, starts_at=s, ends_at=e, place=place)
            for s, e in sorted(slots)
        )
        if note.strip():
            InterviewMessage.objects.create(
                interview=locked, author=InterviewMessage.Author.CONTACT, body=note.strip()
            )
        transition(
            locked,
            action="propose",
            actor_label=CONTACT,
            ip_address=ip_address,
            data={"slots": len(slots)},
        )
        notify(locked, "journalist", "proposed")
    interview.status = locked.status


def interview_contact_decline(
    *, interview: InterviewRequest, reason: str = "", ip_address: str | None = None
) -> None:
    """The contact declines; the journalist is told (with the reason, if they gave one)."""
    reason = (reason or "").strip()
    with transaction.atomic():
        locked = _locked(interview)
        transition(
            locked,
            action="contact_decline",
            actor_label=CONTACT,
            reason=reason,
            ip_address=ip_address,
            fields={"reason": reason},
        )
        notify(locked, "journalist", "declined")
    interview.status = locked.status


def interview_contact_ask(
    *, interview: InterviewRequest, question: str, ip_address: str | None = None
) -> InterviewMessage:
    """The contact asks the press office a question; the link stays theirs to answer."""
    question = (question or "").strip()
    if not question:
        raise ServiceError("question_required", _("Write your question."), field="question")
    with transaction.atomic():
        locked = _locked(interview)
        message = InterviewMessage.objects.create(
            interview=locked, author=InterviewMessage.Author.CONTACT, body=question
        )
        audit(
            action="interview.question",
            request=locked.request,
            actor_label=CONTACT,
            ip_address=ip_address,
            data={"interview": locked.pk, "target": locked.target_id},
        )
        notify(locked, "press_office", "question", question=question)
    return message
