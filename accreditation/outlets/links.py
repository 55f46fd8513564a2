"""The outlets' private links, as accreditation.tokens makes them: an HMAC of the row's id and
a stored nonce, one purpose each, never stored. The focal point's page lasts while the outlet
is approved and the event has not ended; a crew member's link is used once (it proves their
address and opens the form) and expires after CREW_LINK_DAYS; a confirmation link is answered
once."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accreditation import tokens
from accreditation.outlets.models import (
    Confirmation,
    CrewMember,
    CrewStatus,
    Outlet,
    OutletStatus,
)

SEND_EMAIL = "outlets.send_email"
CHECK_PROOF = "outlets.check_proof"
FOCAL_POINT = "outlet-focal-point"  # who acted, in the audit trail, through the focal link

FOCAL = "outlet.focal"
CREW = "outlet.crew"
CONFIRM = "outlet.confirm"
CREW_LINK_DAYS = 14


def _url(name: str, pk: int, token: str) -> str:
    return settings.SITE_URL + reverse(f"outlets:{name}", kwargs={"pk": pk, "token": token})


def focal_url(outlet: Outlet) -> str:
    return _url("focal", outlet.pk, tokens.make_token(FOCAL, outlet.pk, outlet.nonce))


def crew_url(member: CrewMember) -> str:
    return _url("crew", member.pk, tokens.make_token(CREW, member.pk, member.nonce))


def confirm_url(confirmation: Confirmation) -> str:
    token = tokens.make_token(CONFIRM, confirmation.pk, confirmation.nonce)
    return _url("confirm", confirmation.pk, token)


def outlet_from_focal_link(*, pk: int, token: str) -> Outlet | None:
    outlet = Outlet.objects.select_related("event").filter(pk=pk).first()
    if outlet is None or not tokens.check_token(FOCAL, outlet.pk, outlet.nonce, token):
        return None
    if outlet.status != OutletStatus.APPROVED or outlet.event.ends_at() < timezone.now():
        return None
    return outlet


def crew_link_state(*, pk: int, token: str) -> tuple[CrewMember | None, str]:
    """The member a crew link names and whether it can be used: "ok", "unknown" (no such link,
    or another member's), "used", "expired" or "closed" (removed, or the outlet no longer
    approved). Looking does not use it (mail scanners open links first)."""
    member = CrewMember.objects.select_related("outlet__event").filter(pk=pk).first()
    if member is None or not tokens.check_token(CREW, member.pk, member.nonce, token):
        return None, "unknown"
    if member.status != CrewStatus.INVITED or member.outlet.status != OutletStatus.APPROVED:
        return member, "closed"
    if member.started_at is not None or member.request_id is not None:
        return member, "used"
    if member.invited_at + dt.timedelta(days=CREW_LINK_DAYS) < timezone.now():
        return member, "expired"
    return member, "ok"


def crew_link_use(*, pk: int, token: str) -> CrewMember | None:
    """Use the link once (a conditional update: two clicks, one use)."""
    member, state = crew_link_state(pk=pk, token=token)
    if state != "ok":
        return None
    used = CrewMember.objects.filter(pk=member.pk, started_at__isnull=True).update(
        started_at=timezone.now()
    )
    return member if used else None


def confirmation_from_link(*, pk: int, token: str) -> Confirmation | None:
    confirmation = (
        Confirmation.objects.select_related("outlet__event", "request").filter(pk=pk).first()
    )
    if confirmation is None or not tokens.check_token(
        CONFIRM, confirmation.pk, confirmation.nonce, token
    ):
        return None
    return confirmation
