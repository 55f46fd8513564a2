"""Media places per session (Session.media_capacity): the one place where they are counted.

An approval grants a limited session only while a place is left; otherwise the person waits in
line for it (WaitingPlace, in order). Places are handed on to the line by ``places_offer``, run
by a task after the commit of what freed them: a revoked or withdrawn accreditation
(``places_release``), or staff raising or clearing a session's capacity (``capacity_changed``).
Each place goes to the next in line who is still accredited: the place is granted, their badge
follows (accreditation.badges.issuing.badge_sessions_update) and they are told.

Locks: the session's row while its places are counted (two reviewers approving at the same
moment can never grant more places than there are), then the row of the person at the head of
the line while the place is handed to them. The hand-on runs in its own transaction, after the
revocation's: inside it, two revocations whose lines cross (each revoked person held the place
the other waited for) deadlocked on each other's line places (tests/review/
test_capacity_races.py), and a place could go to someone being revoked at that moment.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet

from accreditation.models import AccreditationRequest, WaitingPlace
from accreditation.notify import outbox
from accreditation.workflow import ACCREDITED, audit
from events.models import Session

# Requests that hold their granted places.
HOLDS_PLACES = ACCREDITED  # requests that hold their granted places
BADGE_TASK = "accreditation.update_badge_sessions"
# accreditation.outlets.tasks.session_places_offer: places_offer after the commit.
OFFER_TASK = "accreditation.session_places_offer"


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


def places_release(req: AccreditationRequest) -> list[int]:
    """Inside the transaction that ended ``req``'s accreditation (revoked, withdrawn): its line
    places go, and each limited session it held is offered to the next in line once that
    transaction commits (places_offer, through the outbox). Returns those sessions' ids."""
    WaitingPlace.objects.filter(request=req).delete()
    held = list(
        req.sessions_granted.filter(media_capacity__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for session_id in held:
        outbox.enqueue(OFFER_TASK, session_id=session_id)
    return held


def capacity_changed(*, session: Session) -> None:
    """Staff changed the session's media capacity (raised it, or cleared it: no limit): the
    line moves at once, after the commit of the change (places_offer, through the outbox).
    Lowering it takes no place back; new approvals wait until the count is below it."""
    outbox.enqueue(OFFER_TASK, session_id=session.pk)


def places_offer(*, session_id: int) -> list[AccreditationRequest]:
    """Hand the session's free places to the head of its line, in its own transaction.
    Idempotent: run twice, or for a session with no free place or no line, it does nothing
    more (each grant removes its line place in the same transaction)."""
    with transaction.atomic():
        session = Session.objects.select_for_update().filter(pk=session_id).first()
        if session is None:
            return []
        return _offer(session)


def _room(session: Session) -> bool:
    if not session.open_to_media:
        return False  # closed to media since: no one is granted it
    return session.media_capacity is None or places_taken(session) < session.media_capacity


def _offer(session: Session) -> list[AccreditationRequest]:
    """Inside a transaction: while the session has room, its line's head gets the place."""
    session = Session.objects.select_for_update().get(pk=session.pk)
    promoted = []
    while _room(session):
        place = WaitingPlace.objects.filter(
            session=session, request__status__in=HOLDS_PLACES
        ).first()
        if place is None:
            break
        # Their row locked: a revocation of the same person waits for this (or this for it,
        # and finds them no longer accredited).
        req = (
            AccreditationRequest.objects.select_for_update(of=("self",))
            .filter(pk=place.request_id, status__in=HOLDS_PLACES)
            .first()
        )
        WaitingPlace.objects.filter(pk=place.pk).delete()
        if req is None:
            continue
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
