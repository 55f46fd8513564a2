"""Crews: the focal point of an approved outlet adds members, each gets a personal link to
the normal form (their address proved, the outlet named); the focal point follows their
progress and removes a member before approval. A journalist who applied alone naming an
approved outlet gets it asked to confirm them (confirm / not ours), for the reviewer.

The focal point never sees identity data: only the name, e-mail and role it gave, and where
each member is (invited, started, submitted, decided)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accreditation import tokens
from accreditation.apply import address
from accreditation.errors import ServiceError
from accreditation.models import AccreditationRequest, Status
from accreditation.models.names import clean_name
from accreditation.models.requests import normalise_email
from accreditation.notify import outbox
from accreditation.outlets.grouping import outlet_matching, outlet_requests
from accreditation.outlets.links import FOCAL_POINT, SEND_EMAIL
from accreditation.outlets.models import (
    Confirmation,
    CrewMember,
    CrewStatus,
    Outlet,
    OutletLink,
    OutletStatus,
)
from accreditation.outlets.states import crew_transition
from accreditation.workflow import ACCREDITED as REQUEST_ACCREDITED
from accreditation.workflow import audit
from events.models import Event

MAX_CREW = 50
DECIDED = frozenset(
    {
        Status.APPROVED,
        Status.BADGE_ISSUED,
        Status.PRINTED,
        Status.COLLECTED,
        Status.REJECTED,
        Status.REVOKED,
    }
)
APPROVED = REQUEST_ACCREDITED

PROGRESS = {
    "invited": gettext_lazy("Invited"),
    "started": gettext_lazy("Link opened"),
    "submitted": gettext_lazy("Request submitted"),
    "decided": gettext_lazy("Decided"),
    "withdrawn": gettext_lazy("Withdrawn"),
    "removed": gettext_lazy("Removed"),
}


@dataclass(frozen=True)
class Progress:
    member: CrewMember
    code: str

    @property
    def label(self) -> str:
        return str(PROGRESS[self.code])

    @property
    def removable(self) -> bool:
        return self.code in ("invited", "started", "submitted")


def _require_approved(outlet: Outlet) -> None:
    if outlet.status != OutletStatus.APPROVED:
        raise ServiceError("outlet_not_approved", _("This outlet is not approved (any more)."))


def crew_add(
    *, outlet: Outlet, name: str, email: str, role: str, language: str, priority: int | None = None
) -> CrewMember:
    """The focal point adds a member: the member gets their personal link by e-mail, whether
    or not the address has applied (the focal point learns nothing of who applied)."""
    _require_approved(outlet)
    email = normalise_email(email)
    if (
        outlet.crew.filter(status__in=[CrewStatus.INVITED, CrewStatus.COMPLETED]).count()
        >= MAX_CREW
    ):
        raise ServiceError("crew_full", _("A crew has at most %(n)s members.") % {"n": MAX_CREW})
    if priority is None:
        priority = outlet.crew.count() + 1
    try:
        with transaction.atomic():
            member = CrewMember.objects.create(
                outlet=outlet,
                name=clean_name(name),
                email=email,
                role=role,
                language=language,
                priority=priority,
                nonce=tokens.new_nonce(),
            )
            audit(
                action="crew.invited",
                actor_label=FOCAL_POINT,
                data={"outlet": outlet.pk, "crew_member": member.pk},
            )
            # Always an invitation, whether or not the address has applied: the focal point
            # must learn nothing of who applied, and a request joins the crew only once its
            # owner proved the address through this link (request_submitted).
            outbox.enqueue(SEND_EMAIL, outlet_id=outlet.pk, kind="crew", member_id=member.pk)
    except IntegrityError:
        raise ServiceError(
            "already_in_crew", _("This address is already in your crew."), field="email"
        ) from None
    return member


# A new link for the same member at most this often (the focal page sends no mail bomb).
RESEND_AFTER = dt.timedelta(minutes=5)


def _has_member(req: AccreditationRequest) -> bool:
    return CrewMember.objects.filter(request=req).exists()


def crew_resend(*, outlet: Outlet, member_id: int) -> None:
    """A new personal link (the old one stops working), for a member who has not applied."""
    _require_approved(outlet)
    member = outlet.crew.filter(pk=member_id, status=CrewStatus.INVITED).first()
    if member is None or member.request_id:
        raise ServiceError("not_invited", _("This member has already applied."))
    if member.invited_at and timezone.now() - member.invited_at < RESEND_AFTER:
        raise ServiceError(
            "resent_recently",
            _(
                "A link went to this member a moment ago: wait a few minutes before sending another."
            ),
        )
    with transaction.atomic():
        CrewMember.objects.filter(pk=member.pk).update(
            nonce=tokens.new_nonce(), started_at=None, invited_at=timezone.now()
        )
        audit(action="crew.link_resent", actor_label=FOCAL_POINT, data={"crew_member": member.pk})
        outbox.enqueue(SEND_EMAIL, outlet_id=outlet.pk, kind="crew", member_id=member.pk)


def crew_remove(*, outlet: Outlet, member_id: int) -> None:
    """The focal point removes a member before their request is approved: the outlet no
    longer vouches for them (their own request, if any, stays theirs, unconfirmed)."""
    from accreditation.outlets.quota import outlet_quota_release

    member = outlet.crew.select_related("request").filter(pk=member_id).first()
    if member is None:
        raise ServiceError("unknown_member", _("This member is not in your crew."))
    if member.request is not None and member.request.status in APPROVED:
        raise ServiceError(
            "already_approved",
            _("This member's request is approved: write to the accreditation team."),
        )
    with transaction.atomic():
        crew_transition(member, to=CrewStatus.REMOVED, actor_label=FOCAL_POINT)
        if member.request is not None:
            Confirmation.objects.filter(request=member.request).delete()
            OutletLink.objects.filter(request=member.request, how=OutletLink.How.CREW).delete()
            outlet_quota_release(request=member.request)


def crew_progress(outlet: Outlet) -> list[Progress]:
    """Each member and where they are, in the focal point's order (one query)."""
    rows = []
    for member in outlet.crew.select_related("request").order_by("priority", "pk"):
        rows.append(Progress(member, _progress_code(member)))
    return rows


def _progress_code(member: CrewMember) -> str:
    if member.status in (CrewStatus.REMOVED, CrewStatus.WITHDRAWN):
        return member.status
    if member.request is not None:
        if member.request.status == Status.WITHDRAWN:
            return "withdrawn"
        return "decided" if member.request.status in DECIDED else "submitted"
    return "started" if member.started_at else "invited"


# --- The member's link opens the normal form -----------------------------------------------


def _session_key(event: Event) -> str:
    return f"crew:{event.pk}"


def crew_open(session, member: CrewMember) -> None:
    """The member used their link: their address is proved (apply.address) and the form
    knows which crew they belong to."""
    event = member.outlet.event
    address.session_confirm(session, event, member.email)
    session[_session_key(event)] = member.pk


def crew_from_session(session, event: Event) -> CrewMember | None:
    """The crew member whose link opened this session's form, while it is still theirs."""
    pk = session.get(_session_key(event))
    email, _fresh = address.session_address(session, event)
    if not pk or not email:
        return None
    return (
        CrewMember.objects.select_related("outlet")
        .filter(
            pk=pk,
            email=email,
            status=CrewStatus.INVITED,
            request__isnull=True,
            outlet__status=OutletStatus.APPROVED,
        )
        .first()
    )


def crew_initial(member: CrewMember) -> dict:
    """What the form starts with for a crew member: the outlet as registered, their role."""
    outlet = member.outlet
    return {
        "outlet_name": outlet.name,
        "outlet_type": outlet.outlet_type,
        "outlet_country": outlet.country.code,
        "outlet_website": outlet.website,
        "role": member.role,
        "employment": "staff",
    }


def request_submitted(*, request: AccreditationRequest, address_confirmed: bool) -> str:
    """Called by the submission, in its transaction. A crew member's request (their address
    proved, invited by an approved outlet of the event) is grouped under the outlet and
    marked confirmed by it; otherwise a request naming an outlet is grouped under it, and if
    the outlet is approved its focal point is asked to confirm. Returns "crew", "asked",
    "grouped" or "" (no outlet)."""
    member = None
    if address_confirmed:
        member = (
            CrewMember.objects.filter(
                outlet__event_id=request.event_id,
                outlet__status=OutletStatus.APPROVED,
                email=normalise_email(request.email),
                status=CrewStatus.INVITED,
                request__isnull=True,
            )
            .order_by("-started_at", "pk")
            .first()
        )
    if member is not None:
        _link_member(member, request)
        return "crew"
    outlet = outlet_matching(
        event_id=request.event_id, name=request.outlet_name, website=request.outlet_website
    )
    if outlet is None:
        return ""
    OutletLink.objects.get_or_create(
        request=request, defaults={"outlet": outlet, "how": OutletLink.How.MATCH}
    )
    if outlet.status != OutletStatus.APPROVED:
        return "grouped"
    _ask(outlet, request)
    return "asked"


def _link_member(member: CrewMember, request: AccreditationRequest) -> None:
    CrewMember.objects.filter(pk=member.pk).update(request=request)
    member.request = request
    crew_transition(member, to=CrewStatus.COMPLETED, actor_label=FOCAL_POINT)
    link, created = OutletLink.objects.get_or_create(
        request=request,
        defaults={
            "outlet_id": member.outlet_id,
            "how": OutletLink.How.CREW,
            "priority": member.priority,
        },
    )
    if not created and not link.excluded:  # a split made by staff stays split
        OutletLink.objects.filter(pk=link.pk).update(
            outlet_id=member.outlet_id, how=OutletLink.How.CREW, priority=member.priority
        )
    Confirmation.objects.update_or_create(
        request=request,
        defaults={
            "outlet_id": member.outlet_id,
            "answer": Confirmation.Answer.CONFIRMED,
            "answered_at": timezone.now(),
            "nonce": tokens.new_nonce(),
        },
    )
    audit(
        action="outlet.crew_confirmed",
        request=request,
        actor_label=FOCAL_POINT,
        data={"outlet": member.outlet_id, "crew_member": member.pk},
    )


def _ask(outlet: Outlet, request: AccreditationRequest) -> None:
    confirmation, created = Confirmation.objects.get_or_create(
        request=request, defaults={"outlet": outlet, "nonce": tokens.new_nonce()}
    )
    if created:
        audit(action="outlet.confirmation_asked", request=request, data={"outlet": outlet.pk})
        outbox.enqueue(
            SEND_EMAIL, outlet_id=outlet.pk, kind="confirm", confirmation_id=confirmation.pk
        )


def confirmations_request(*, outlet: Outlet) -> int:
    """On approval: ask the focal point about the requests already grouped under the outlet."""
    asked = 0
    for req in outlet_requests(outlet).filter(outlet_confirmation__isnull=True):
        _ask(outlet, req)
        asked += 1
    return asked


def confirmation_answer(*, confirmation: Confirmation, confirmed: bool, ip_address=None) -> None:
    """The focal point's answer, once: recorded for the reviewer, in the audit trail."""
    answer = Confirmation.Answer.CONFIRMED if confirmed else Confirmation.Answer.NOT_OURS
    with transaction.atomic():
        done = Confirmation.objects.filter(pk=confirmation.pk, answer="").update(
            answer=answer, answered_at=timezone.now()
        )
        if not done:
            raise ServiceError("already_answered", _("This question was already answered."))
        confirmation.answer = answer
        audit(
            action=f"outlet.{answer}",
            request=confirmation.request,
            actor_label=FOCAL_POINT,
            data={"outlet": confirmation.outlet_id},
            ip_address=ip_address,
        )


def request_confirmation(request: AccreditationRequest) -> Confirmation | None:
    """What the outlet said about the request, for the review page."""
    return Confirmation.objects.select_related("outlet").filter(request=request).first()


def crew_priority(*, outlet: Outlet, member_id: int, priority: int) -> None:
    """The focal point's order of its people, for the quota's waiting list (1 first)."""
    priority = max(1, min(priority, 999))
    member = outlet.crew.filter(pk=member_id).first()
    if member is None:
        raise ServiceError("unknown_member", _("This member is not in your crew."))
    with transaction.atomic():
        CrewMember.objects.filter(pk=member.pk).update(priority=priority)
        if member.request_id:
            OutletLink.objects.filter(request_id=member.request_id, outlet=outlet).update(
                priority=priority
            )
