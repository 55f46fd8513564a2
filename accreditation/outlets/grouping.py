"""Requests grouped under an outlet: matched by the normalised name
(accreditation.models.names.search_key) or by the website's host; staff merge or split."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.db import transaction
from django.utils.translation import gettext as _

from accreditation.errors import ServiceError
from accreditation.models import AccreditationRequest
from accreditation.models.names import search_key
from accreditation.outlets.models import Outlet, OutletLink, OutletStatus
from accreditation.roles import require_event, require_permission
from accreditation.workflow import audit

REVIEW = "accreditation.review_request"
SUPERVISE = "accreditation.supervise_request"


def website_host(url: str | None) -> str:
    """ "https://WWW.LeMatin.ma/fr/" and "lematin.ma" give "lematin.ma"."""
    text = (url or "").strip().lower()
    if not text:
        return ""
    if "//" not in text:
        text = "//" + text
    host = (urlsplit(text).hostname or "").rstrip(".")
    return host[4:] if host.startswith("www.") else host


def outlet_matching(*, event_id: int, name: str, website: str = "") -> Outlet | None:
    """The event's registered (not rejected) outlet a name or website names, if any."""
    live = Outlet.objects.filter(event_id=event_id).exclude(status=OutletStatus.REJECTED)
    key = search_key(name)
    found = live.filter(name_key=key).first() if key else None
    host = website_host(website)
    if found is None and host:
        found = live.filter(host=host).first()
    return found


def outlet_group(*, outlet: Outlet) -> int:
    """Group under the outlet the event's requests naming it that are not grouped yet (nor
    split off by staff). Returns how many were grouped."""
    candidates = AccreditationRequest.objects.filter(
        event_id=outlet.event_id, outlet_link__isnull=True
    )
    matches = [
        req
        for req in candidates.only("pk", "outlet_name", "outlet_website")
        if search_key(req.outlet_name) == outlet.name_key
        or (outlet.host and website_host(req.outlet_website) == outlet.host)
    ]
    OutletLink.objects.bulk_create(
        [OutletLink(request=req, outlet=outlet, how=OutletLink.How.MATCH) for req in matches],
        ignore_conflicts=True,
    )
    return len(matches)


def outlet_requests(outlet: Outlet):
    """The requests grouped under the outlet (not split off)."""
    return AccreditationRequest.objects.filter(
        outlet_link__outlet=outlet, outlet_link__excluded=False
    )


def request_outlet(request: AccreditationRequest) -> Outlet | None:
    link = OutletLink.objects.select_related("outlet").filter(request=request).first()
    return link.outlet if link is not None and not link.excluded else None


def request_group(*, actor, outlet: Outlet, request: AccreditationRequest) -> OutletLink:
    """Staff's merge: the request belongs to this outlet (whatever name it gave)."""
    require_permission(actor, REVIEW)
    require_event(actor, outlet.event_id)
    if request.event_id != outlet.event_id:
        raise ServiceError("other_event", _("The request belongs to another event."))
    with transaction.atomic():
        link, _created = OutletLink.objects.update_or_create(
            request=request,
            defaults={"outlet": outlet, "how": OutletLink.How.STAFF, "excluded": False},
        )
        audit(
            action="outlet.request_grouped",
            request=request,
            actor=actor,
            data={"outlet": outlet.pk},
        )
    return link


def request_ungroup(*, actor, request: AccreditationRequest) -> None:
    """Staff's split: the request is not the outlet's, and matching will not group it again."""
    require_permission(actor, REVIEW)
    require_event(actor, request.event_id)
    with transaction.atomic():
        link = OutletLink.objects.select_for_update().filter(request=request).first()
        if link is None or link.excluded:
            return
        link.excluded = True
        link.save(update_fields=["excluded"])
        audit(
            action="outlet.request_split",
            request=request,
            actor=actor,
            data={"outlet": link.outlet_id},
        )


def outlet_merge(*, actor, into: Outlet, other: Outlet, reason: str = "") -> None:
    """Two registrations of the same outlet: the other's requests and crew move under
    ``into``, and the other is rejected with the reason."""
    from accreditation.outlets.states import outlet_transition

    require_permission(actor, REVIEW)
    require_event(actor, into.event_id)
    if into.pk == other.pk or into.event_id != other.event_id:
        raise ServiceError("not_mergeable", _("Choose two outlets of the same event."))
    with transaction.atomic():
        OutletLink.objects.filter(outlet=other).update(outlet=into)
        other.crew.update(outlet=into)
        other.confirmations.update(outlet=into)
        outlet_transition(other, to=OutletStatus.REJECTED, actor=actor, reason=reason)
        audit(action="outlet.merged", actor=actor, data={"into": into.pk, "other": other.pk})
