"""Media places per session (Session.media_capacity): the one place where they are counted.

An approval grants a limited session only while a place is left; otherwise the person waits in
line for it (WaitingPlace, in order). A revoked or withdrawn accreditation frees its places,
each offered at once to the next in line who is still accredited: the place is granted, their
badge follows (accreditation.badges.issuing.badge_sessions_update) and they are told. The
session's row is locked while its places are counted, so two reviewers approving at the same
moment can never grant more places than there are.
"""

from __future__ import annotations

from django.db.models import QuerySet

from accreditation.models import AccreditationRequest, WaitingPlace
from accreditation.notify import outbox
from accreditation.workflow import ACCREDITED, audit
from events.models import Session

# Requests that hold their granted places.
HOLDS_PLACES = ACCREDITED  # requests that hold their granted places
BADGE_TASK = "accreditation.update_badge_sessions"


def places_taken(session: Session, *, besides: AccreditationRequest | None = None) -> int:
    taken: QuerySet = session.granted_requests.filter(status__in=HOLDS_PLACES)
    if besides is not None:
        taken = taken.exclude(pk=besides.pk)
    return taken.count()


def places_reserve(req: AccreditationRequest, session_ids: list[int]) -> tuple[list, list]:
    """Inside the approval's transaction: the sessions of ``session_ids`` that ``req`` may be
    granted, and those it waits for (it is put in line for them)."""
    limited = Session.objects.select_for_update().filter(
        pk__in=session_ids, media_capacity__isnull=False
    )
    full = {
        session.pk
        for session in limited.order_by("pk")  # one lock order: no deadlock between two
        if places_taken(session, besides=req) >= session.media_capacity
        or _someone_ahead(session, req)  # places added later go to the line first
    }
    for session in limited:
        if session.pk in full and places_taken(session, besides=req) < session.media_capacity:
            _offer(session)  # places were added since the line formed: its head gets them
    for session_id in sorted(full):
        WaitingPlace.objects.get_or_create(session_id=session_id, request=req)
    granted = [pk for pk in session_ids if pk not in full]
    WaitingPlace.objects.filter(request=req, session_id__in=granted).delete()
    return granted, sorted(full)


def _someone_ahead(session: Session, req: AccreditationRequest) -> bool:
    head = (
        WaitingPlace.objects.filter(session=session, request__status__in=HOLDS_PLACES)
        .exclude(request=req)
        .first()
    )
    mine = WaitingPlace.objects.filter(session=session, request=req).first()
    return head is not None and (mine is None or head.created_at < mine.created_at)


def places_release(req: AccreditationRequest) -> list[AccreditationRequest]:
    """Inside the transaction that ended ``req``'s accreditation (revoked, withdrawn): its line
    places go, and each limited session it held is offered to the next in line."""
    WaitingPlace.objects.filter(request=req).delete()
    promoted = []
    for session in req.sessions_granted.filter(media_capacity__isnull=False).order_by("pk"):
        promoted.extend(_offer(session))
    return promoted


def _offer(session: Session) -> list[AccreditationRequest]:
    session = Session.objects.select_for_update().get(pk=session.pk)
    promoted = []
    while places_taken(session) < (session.media_capacity or 0):
        place = (
            WaitingPlace.objects.select_related("request")
            .filter(session=session, request__status__in=HOLDS_PLACES)
            .first()
        )
        if place is None:
            break
        req = place.request
        place.delete()
        req.sessions_granted.add(session)
        audit(
            action="session.place_granted",
            request=req,
            actor_label="presspass",
            data={"session": session.pk},
        )
        outbox.enqueue(BADGE_TASK, request_id=req.pk)
        outbox.enqueue(
            "accreditation.send_request_email",
            request_id=req.pk,
            kind="place_granted",
            extra={"session_id": session.pk},
        )
        promoted.append(req)
    return promoted


def waiting_positions(req: AccreditationRequest) -> list[tuple[Session, int]]:
    """The sessions ``req`` waits for and its place in each line (1 = next)."""
    out = []
    for place in req.waiting_places.select_related("session"):
        ahead = WaitingPlace.objects.filter(
            session=place.session, request__status__in=HOLDS_PLACES
        ).filter(created_at__lt=place.created_at)
        out.append((place.session, ahead.count() + 1))
    return out
