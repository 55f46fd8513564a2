"""Every write about interview requests but the contact's (contact.py) and the journalist's
booking (booking.py): the journalist asks or cancels; the press office forwards, declines,
merges, writes to the contact, cancels; a revocation (or withdrawal) cancels them all.

Keyword-only; each checks, then writes inside one transaction through the state machine
(workflow.py), which audits; e-mails go through the outbox after commit."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accreditation.errors import ServiceError
from accreditation.interviews import selectors
from accreditation.interviews.booking import lock_interview, lock_journalists
from accreditation.interviews.contact import new_link_fields
from accreditation.interviews.models import (
    Format,
    InterviewMessage,
    InterviewRequest,
    InterviewStatus,
    InterviewTarget,
)
from accreditation.interviews.workflow import (
    ACCREDITED,
    CONTACT_KNOWS,
    MAY_ASK,
    OPEN,
    notify,
    transition,
)
from accreditation.models import AccreditationRequest
from accreditation.models.names import refused_characters, refused_characters_message
from accreditation.roles import require_event, require_permission
from accreditation.workflow import APPLICANT, audit
from events.models import Session

S = InterviewStatus
MANAGE = "interviews.manage_interviews"
MAX_OPEN_PER_JOURNALIST = 10
HALVES = ("am", "pm")
# Also the form's messages for a choice not in its lists (forms.InterviewAskForm).
UNKNOWN_TARGET = gettext_lazy("Choose someone from the list.")
OUTSIDE_EVENT = gettext_lazy("Preferred times must be within the event.")


def preferred_time_choices(event) -> list[str]:
    """The halves of the event's days a journalist may prefer: "2025-11-25/am"…"""
    days = (event.ends_on - event.starts_on).days + 1
    return [
        f"{(event.starts_on + dt.timedelta(days=n)).isoformat()}/{half}"
        for n in range(days)
        for half in HALVES
    ]


def interview_ask(
    *,
    request: AccreditationRequest,
    target: InterviewTarget,
    topic: str,
    languages: list[str],
    format: str,
    preferred_times: list[str],
    ip_address: str | None = None,
) -> InterviewRequest:
    """The journalist asks for an interview (from their status page, or with their application:
    accreditation.apply.submission). It waits for the press office, which forwards it once the
    journalist is accredited."""
    topic = (topic or "").strip()
    if request.status not in MAY_ASK:
        raise ServiceError(
            "not_accredited",
            _("Your accreditation request is closed: you cannot ask for an interview."),
        )
    if target.event_id != request.event_id or not target.active:
        raise ServiceError("unknown_target", str(UNKNOWN_TARGET), field="target")
    if not topic:
        raise ServiceError("topic_required", _("Say what the interview is about."), field="topic")
    refused = refused_characters(topic)
    if refused:  # the press office and the target's contact read it, in e-mails too
        raise ServiceError("invalid_characters", refused_characters_message(refused), field="topic")
    known = {code for code, _name in settings.LANGUAGES}
    if not languages or not set(languages) <= known:
        raise ServiceError(
            "languages_required", _("Choose the languages you can work in."), field="languages"
        )
    if format not in Format.values:
        raise ServiceError("format_required", _("Choose a format."), field="format")
    allowed = set(preferred_time_choices(request.event))
    if not set(preferred_times) <= allowed:
        raise ServiceError("outside_event", str(OUTSIDE_EVENT), field="preferred_times")
    with transaction.atomic():
        journalist = lock_journalists([request.pk])[request.pk]
        mine = InterviewRequest.objects.filter(request=journalist, status__in=OPEN)
        if mine.filter(target=target).exists():
            raise ServiceError(
                "already_asked",
                _("You have already asked for an interview with them."),
                field="target",
            )
        if mine.count() >= MAX_OPEN_PER_JOURNALIST:
            raise ServiceError(
                "too_many",
                _("You have %(count)d interview requests waiting: wait for their answers.")
                % {"count": MAX_OPEN_PER_JOURNALIST},
            )
        interview = InterviewRequest.objects.create(
            event_id=request.event_id,
            request=journalist,
            target=target,
            topic=topic[:1000],
            languages=[code for code, _n in settings.LANGUAGES if code in languages],
            format=format,
            preferred_times=[
                slot for slot in preferred_time_choices(request.event) if slot in preferred_times
            ],
        )
        audit(
            action="interview.requested",
            request=journalist,
            actor_label=APPLICANT,
            ip_address=ip_address,
            to_status=str(S.REQUESTED),
            data={"interview": interview.pk, "target": target.pk},
        )
    return interview


def _staff_locked(interview: InterviewRequest, actor) -> InterviewRequest:
    """The interview request, locked, once ``actor`` may work on it (their role, their event)."""
    require_permission(actor, MANAGE)
    require_event(actor, interview.event_id)
    return lock_interview(interview)


def _note(interview, actor, text: str) -> None:
    if text:
        InterviewMessage.objects.create(
            interview=interview,
            author=InterviewMessage.Author.PRESS_OFFICE,
            staff_user=actor,
            body=text,
        )


def interview_forward(*, interview: InterviewRequest, actor, note: str = "") -> None:
    """Forward to the target's contact: an e-mail in their language with a private link."""
    with transaction.atomic():
        locked = _staff_locked(interview, actor)
        if locked.request.status not in ACCREDITED:
            raise ServiceError(
                "not_accredited",
                _("Only accredited journalists' interview requests go forward."),
            )
        note = (note or "").strip()
        transition(locked, action="forward", actor=actor, fields=new_link_fields(locked))
        _note(locked, actor, note)
        notify(locked, "contact", "forwarded", note=note)
    interview.status = locked.status


def interview_decline(*, interview: InterviewRequest, actor, reason: str) -> None:
    """The press office declines, with a reason the journalist is told."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("reason_required", _("Say why it is declined."), field="reason")
    with transaction.atomic():
        locked = _staff_locked(interview, actor)
        was = locked.status
        transition(locked, action="decline", actor=actor, reason=reason, fields={"reason": reason})
        notify(locked, "journalist", "declined")
        if was in CONTACT_KNOWS:
            notify(locked, "contact", "cancelled")
    interview.status = locked.status


def interview_merge(
    *,
    interview: InterviewRequest,
    actor,
    into: InterviewRequest | None = None,
    session: Session | None = None,
    note: str = "",
) -> None:
    """Merge into a group interview (another request for the same target, which goes on and
    whose slot the journalist shares) or into a press point (a session of the event)."""
    if (into is None) == (session is None):
        raise ServiceError(
            "merge_target", _("Choose either a group interview or a press point."), field="into"
        )
    with transaction.atomic():
        locked = _staff_locked(interview, actor)
        if locked.request.status not in ACCREDITED:  # joining is going forward too
            raise ServiceError(
                "not_accredited",
                _("Only accredited journalists' interview requests go forward."),
            )
        fields: dict = {"reason": (note or "").strip()}
        if into is not None:
            lead = InterviewRequest.objects.select_for_update().get(pk=into.pk)
            if (
                lead.pk == locked.pk
                or lead.target_id != locked.target_id
                or lead.status not in OPEN | {S.CONFIRMED}
                or lead.merged_into_id is not None
            ):
                raise ServiceError(
                    "merge_target",
                    _("A group interview is an open request for the same person or office."),
                    field="into",
                )
            if lead.status == S.CONFIRMED and selectors.journalist_busy(
                locked.request_id, lead.starts_at, lead.ends_at
            ):
                raise ServiceError(
                    "journalist_busy",
                    _("The journalist already has an interview at the time of that one."),
                    field="into",
                )
            fields["merged_into"] = lead
        else:
            assert session is not None  # one of the two, checked above
            if session.event_id != locked.event_id:
                raise ServiceError(
                    "merge_target", _("Choose a session of this event."), field="session"
                )
            fields["merged_session"] = session
        was = locked.status
        transition(
            locked,
            action="merge",
            actor=actor,
            reason=fields["reason"],
            fields=fields,
            data={"into": into.pk if into else None, "session": session.pk if session else None},
        )
        # Requests merged into this one follow it into its group (and are told so).
        followers = list(locked.merged.filter(status=S.MERGED))
        locked.merged.filter(status=S.MERGED).update(
            merged_into=fields.get("merged_into"), merged_session=fields.get("merged_session")
        )
        lead = fields.get("merged_into")
        for merged in [locked, *followers]:
            notify(merged, "journalist", "merged")
            if lead is not None and lead.status == S.CONFIRMED:
                notify(lead, "journalist", "confirmed", request_id=merged.request_id)
        if was in CONTACT_KNOWS:
            notify(locked, "contact", "cancelled")
    interview.status = locked.status


# What is the journalist's own in a request (what they asked), as opposed to the group's (its
# status, slots, slot, place, the contact's link): handed over with the group (_hand_over).
OWN_FIELDS = ("request_id", "topic", "languages", "format", "preferred_times")


def _hand_over(lead: InterviewRequest) -> InterviewRequest | None:
    """The journalist whose request holds a group interview leaves it (they cancel, or their
    accreditation ends): the first who joined takes their place. The group's request keeps
    its status, slot, place, the contact's link and calendar entry (its UID is the request's);
    only what each journalist asked changes rows. Returns the leaving journalist's row (a
    member of the group now, to cancel), or None when nobody joined."""
    successor = (
        InterviewRequest.objects.select_for_update()
        .filter(merged_into=lead, status=S.MERGED)
        .order_by("pk")
        .first()
    )
    if successor is None:
        return None
    mine = {name: getattr(lead, name) for name in OWN_FIELDS}
    theirs = {name: getattr(successor, name) for name in OWN_FIELDS}
    InterviewRequest.objects.filter(pk=lead.pk).update(**theirs)
    InterviewRequest.objects.filter(pk=successor.pk).update(**mine)
    for name, value in theirs.items():
        setattr(lead, name, value)
    lead.request = AccreditationRequest.objects.get(pk=theirs["request_id"])
    leaving = InterviewRequest.objects.select_related("event", "target", "request").get(
        pk=successor.pk
    )
    audit(
        action="interview.group_handed_over",
        request=lead.request,
        data={"interview": lead.pk, "target": lead.target_id, "from": mine["request_id"]},
    )
    return leaving


def _cancel(locked: InterviewRequest, *, by: str, actor=None, reason: str = "", ip=None):
    """Cancel one (locked) interview request and tell the other side: the contact if it was
    theirs to know of, the journalist unless they cancelled it, and those who joined it.

    A group interview goes on when its journalist leaves (by themselves or with their
    accreditation): the others keep it (_hand_over), and only the leaving journalist's part is
    cancelled, as when any member leaves. The press office cancelling it cancels it for all."""
    if by != "staff" and locked.status != S.MERGED:
        leaving = _hand_over(locked)
        if leaving is not None:
            _cancel(leaving, by=by, actor=actor, reason=reason, ip=ip)
            return
    was = locked.status
    transition(
        locked,
        action="cancel",
        actor=actor,
        actor_label=APPLICANT if by == "journalist" else "",
        reason=reason,
        ip_address=ip,
        fields={"reason": reason},
        data={"by": by},
    )
    if was in CONTACT_KNOWS:
        notify(locked, "contact", "cancelled")
    if by == "staff":
        notify(locked, "journalist", "cancelled")
    for joined in locked.merged.filter(status=S.MERGED).select_related("request"):
        transition(
            joined,
            action="cancel",
            actor=actor,
            reason=reason,
            fields={"reason": reason},
            data={"by": by, "group": locked.pk},
        )
        # Told about the group's interview (its calendar entry, if it had a slot, cancelled).
        notify(locked, "journalist", "cancelled", request_id=joined.request_id)


def interview_cancel_by_journalist(
    *, interview: InterviewRequest, reason: str = "", ip_address: str | None = None
) -> None:
    """The journalist cancels (their slot, if confirmed, is free again)."""
    with transaction.atomic():
        locked = lock_interview(interview)
        _cancel(locked, by="journalist", reason=(reason or "").strip(), ip=ip_address)
    interview.status = S.CANCELLED  # theirs (a group they held goes on for the others)


def interview_cancel(*, interview: InterviewRequest, actor, reason: str) -> None:
    """The press office cancels (the target is no longer available, the journalist asked…)."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("reason_required", _("Say why it is cancelled."), field="reason")
    with transaction.atomic():
        _cancel(_staff_locked(interview, actor), by="staff", actor=actor, reason=reason)
    interview.status = S.CANCELLED


def interviews_cancel_for_request(*, request: AccreditationRequest, actor=None) -> int:
    """The journalist's accreditation ended (revoked, or withdrawn): every interview request of
    theirs that is not over is cancelled, its slot freed, and the other side told. Call it in
    the transaction that ends the accreditation. Returns how many were cancelled."""
    with transaction.atomic():
        lock_journalists([request.pk])
        pending = list(
            InterviewRequest.objects.select_for_update(of=("self",))
            .filter(request_id=request.pk)
            .exclude(status__in=(S.DECLINED, S.CANCELLED))
            .select_related("event", "target", "request")
            .order_by("pk")
        )
        reason = _("The journalist's accreditation has ended.")
        for interview in pending:
            _cancel(interview, by="accreditation", actor=actor, reason=reason)
    return len(pending)


def interview_write_to_contact(*, interview: InterviewRequest, actor, text: str) -> None:
    """The press office writes to the target's contact (an answer to their question): by
    e-mail, with their link while it is theirs to answer."""
    text = (text or "").strip()
    if not text:
        raise ServiceError("text_required", _("Write your message."), field="text")
    with transaction.atomic():
        locked = _staff_locked(interview, actor)
        if locked.status not in CONTACT_KNOWS:
            raise ServiceError(
                "not_forwarded", _("This request has not been forwarded to the contact.")
            )
        _note(locked, actor, text)
        audit(
            action="interview.contact_written",
            request=locked.request,
            actor=actor,
            data={"interview": locked.pk, "target": locked.target_id},
        )
        notify(locked, "contact", "message", message=text)


def interview_link_renew(*, interview: InterviewRequest, actor) -> None:
    """A new link for the contact (the old one expired or leaked), sent to them again."""
    with transaction.atomic():
        locked = _staff_locked(interview, actor)
        if locked.status != S.FORWARDED:
            raise ServiceError(
                "not_forwarded", _("Only a request waiting for the contact gets a new link.")
            )
        fields = new_link_fields(locked)
        InterviewRequest.objects.filter(pk=locked.pk).update(**fields)
        audit(
            action="interview.link_renewed",
            request=locked.request,
            actor=actor,
            data={"interview": locked.pk, "target": locked.target_id},
        )
        notify(locked, "contact", "forwarded", note="")


def target_save(*, target: InterviewTarget, actor) -> None:
    """Add or change a target journalists may ask (the admin's form has checked its fields)."""
    require_permission(actor, MANAGE)
    require_event(actor, target.event_id)
    created = target.pk is None
    with transaction.atomic():
        target.save()
        audit(
            action="interview_target.added" if created else "interview_target.changed",
            actor=actor,
            data={"target": target.pk, "event": target.event_id},
        )
