"""The outlet quota: per event and outlet type, how many people one outlet may have
accredited (OutletQuota), raised per outlet by staff (Outlet.quota_raised_to).

The approval of a request grouped under an outlet calls ``outlet_quota_reserve``: it takes a
place while one is left, otherwise the request waits in the outlet's list, ranked by the focal
point's priority. The outlet's row is locked (SELECT … FOR UPDATE; SQLite's IMMEDIATE
transactions serialise the same way) while places are counted, so two reviewers approving at
once can never exceed the quota. A request that leaves (rejected, withdrawn, revoked) calls
``outlet_quota_release``, which frees its place for the first in the waiting list."""

from __future__ import annotations

from django.db import transaction

from accreditation.models import AccreditationRequest
from accreditation.outlets.grouping import request_outlet
from accreditation.outlets.models import Outlet, OutletLink, OutletQuota, QuotaPlace
from accreditation.workflow import audit

HELD = QuotaPlace.State.HELD
WAITING = QuotaPlace.State.WAITING


def quota_limit(outlet: Outlet) -> int | None:
    """People this outlet may have accredited, or None when no quota applies."""
    base = (
        OutletQuota.objects.filter(event_id=outlet.event_id, outlet_type=outlet.outlet_type)
        .values_list("people", flat=True)
        .first()
    )
    if base is None:
        return outlet.quota_raised_to
    return max(base, outlet.quota_raised_to or 0)


def outlet_quota_allows(request: AccreditationRequest) -> bool:
    """Whether approving the request would fit its outlet's quota (a read, for the screens:
    the approval itself reserves with outlet_quota_reserve)."""
    outlet = request_outlet(request)
    if outlet is None:
        return True
    limit = quota_limit(outlet)
    if limit is None or QuotaPlace.objects.filter(request=request, state=HELD).exists():
        return True
    return QuotaPlace.objects.filter(outlet=outlet, state=HELD).count() < limit


def outlet_quota_reserve(*, request: AccreditationRequest, actor=None) -> bool:
    """Take a place in the quota of the request's outlet for it, inside the caller's
    transaction (the approval's): True if it holds one (or no quota applies), False if it now
    waits in the outlet's list (the caller then refuses the approval)."""
    outlet = request_outlet(request)
    if outlet is None:
        return True
    with transaction.atomic():
        outlet = Outlet.objects.select_for_update().get(pk=outlet.pk)
        limit = quota_limit(outlet)
        if limit is None:
            return True
        place = QuotaPlace.objects.filter(request=request).first()
        if place is not None and place.state == HELD:
            return True
        head = next(iter(waiting_list(outlet)), None)
        ahead = head is not None and head.pk != request.pk  # the line is kept, in its order
        if not ahead and QuotaPlace.objects.filter(outlet=outlet, state=HELD).count() < limit:
            QuotaPlace.objects.update_or_create(
                request=request, defaults={"outlet": outlet, "state": HELD}
            )
            return True
        if place is None:
            QuotaPlace.objects.create(request=request, outlet=outlet, state=WAITING)
            audit(
                action="outlet.quota_waiting",
                request=request,
                actor=actor,
                data={"outlet": outlet.pk, "limit": limit},
            )
        return False


def outlet_quota_release(*, request: AccreditationRequest, actor=None) -> int | None:
    """The request leaves its outlet's quota (rejected, withdrawn, revoked, split off): its
    place, or its place in the waiting list, is given up. Returns the request first in the
    waiting list, now that a place is free (the reviewers' next), or None."""
    with transaction.atomic():
        place = QuotaPlace.objects.select_for_update().filter(request=request).first()
        if place is None:
            return None
        outlet_id, held = place.outlet_id, place.state == HELD
        place.delete()
        if held:
            audit(action="outlet.quota_released", request=request, actor=actor)
    return quota_offer_places(outlet_id=outlet_id) if held else None


def waiting_list(outlet: Outlet) -> list[AccreditationRequest]:
    """The outlet's waiting requests, in the focal point's order (then first come)."""
    ids = list(
        QuotaPlace.objects.filter(outlet=outlet, state=WAITING)
        .order_by("request__outlet_link__priority", "created_at", "pk")
        .values_list("request_id", flat=True)
    )
    by_id = AccreditationRequest.objects.in_bulk(ids)
    return [by_id[pk] for pk in ids if pk in by_id]


def quota_offer_places(*, outlet_id: int) -> int | None:
    """The first waiting request, when a place is free for it (audited, for the reviewers)."""
    outlet = Outlet.objects.get(pk=outlet_id)
    limit = quota_limit(outlet)
    free = limit is None or QuotaPlace.objects.filter(outlet=outlet, state=HELD).count() < limit
    first = next(iter(waiting_list(outlet)), None)
    if not free or first is None:
        return None
    audit(action="outlet.quota_place_free", request=first, data={"outlet": outlet_id})
    return first.pk


def priority_set(*, outlet: Outlet, request_id: int, priority: int) -> None:
    """The focal point's rank for one of the outlet's requests (1 first)."""
    OutletLink.objects.filter(outlet=outlet, request_id=request_id).update(priority=priority)
