"""Issuing a badge after approval, a new version when one is lost, the handover at the desk.
One valid badge per person: a same-code copy only before handover (printing.batch_create)."""

from __future__ import annotations

import logging
from functools import lru_cache

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accreditation.badges.signing import BadgeClaims, load_private_key, sign_claims
from accreditation.errors import ServiceError
from accreditation.models import AccreditationRequest, Badge, Status
from accreditation.workflow import audit, transition

log = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def _private_key(text: str):
    return load_private_key(text)


def _sign(badge: Badge) -> str:
    claims = BadgeClaims(
        badge_id=badge.pk,
        version=badge.version,
        event_id=badge.event_id,
        session_ids=tuple(sorted(badge.sessions.values_list("pk", flat=True))),
        key_id=settings.BADGE_SIGNING_KEY_ID,
    )
    return sign_claims(claims, _private_key(settings.BADGE_SIGNING_KEY))


def badge_issue(*, request_id: int) -> Badge | None:
    """Issue the badge of an approved request. Idempotent: a retry or a second run finds the
    badge the first one made (the request has at most one, by a unique constraint)."""
    req = AccreditationRequest.objects.select_related("event").get(pk=request_id)
    existing = Badge.objects.filter(request=req).first()
    if existing is not None or req.status != Status.APPROVED:
        return existing
    try:
        with transaction.atomic():
            badge = Badge.objects.create(
                request=req, event=req.event, key_id=settings.BADGE_SIGNING_KEY_ID, qr_text=""
            )
            badge.sessions.set(req.sessions_granted.all())
            badge.qr_text = _sign(badge)
            badge.save(update_fields=["qr_text"])
            locked = AccreditationRequest.objects.select_for_update().get(pk=req.pk)
            transition(
                locked,
                to=Status.BADGE_ISSUED,
                actor_label="presspass-badges",
                data={"badge": badge.pk},
            )
    except IntegrityError:  # another worker issued it at the same moment
        return Badge.objects.get(request=req)
    return badge


def badge_sessions_update(*, request_id: int) -> Badge | None:
    """The request was granted another session after its badge was made (a place became free):
    a badge not printed yet is signed again with it; a printed one gets a new version for the
    desk to print (the old copy stops at every gate), and the request shows "badge issued"
    again. Nothing before the badge exists: badge_issue takes the grants as they are."""
    with transaction.atomic():
        badge = (
            Badge.objects.select_for_update()
            .select_related("request")
            .filter(request_id=request_id)
        ).first()
        if badge is None:
            return None
        req = badge.request
        if req.status not in (
            Status.APPROVED,
            Status.BADGE_ISSUED,
            Status.PRINTED,
            Status.COLLECTED,
        ):
            return badge  # revoked or withdrawn since the place came: nothing to sign
        wanted = set(req.sessions_granted.values_list("pk", flat=True))
        if wanted == set(badge.sessions.values_list("pk", flat=True)):
            return badge
        printed = badge.printed_at is not None or badge.collected_at is not None
        badge.sessions.set(wanted)
        if printed:
            badge.version += 1
            badge.printed_at = None
            badge.collected_at = None
            badge.collected_by = None
        badge.qr_text = _sign(badge)
        badge.save(
            update_fields=["version", "printed_at", "collected_at", "collected_by", "qr_text"]
        )
        data = {"badge": badge.pk, "version": badge.version, "sessions": sorted(wanted)}
        if printed and req.status != Status.BADGE_ISSUED:
            locked = AccreditationRequest.objects.select_for_update().get(pk=req.pk)
            transition(
                locked,
                to=Status.BADGE_ISSUED,
                actor_label="presspass-badges",
                action="badge.sessions_changed",
                data=data,
            )
        else:
            audit(
                action="badge.sessions_changed",
                request=req,
                actor_label="presspass-badges",
                data=data,
            )
    return badge


def badge_reissue(*, badge: Badge, actor, reason: str, confirmed: bool) -> Badge:
    """A lost or damaged badge: a new version; every earlier copy is refused at every gate at
    once. The desk confirms it knows that, and says why (both logged)."""
    if not actor.has_perm("accreditation.print_badge"):
        raise ServiceError("forbidden", _("Your role does not allow this action."))
    if not confirmed:
        raise ServiceError(
            "confirmation_required",
            _("Confirm that every earlier copy of this badge must stop working."),
            field="confirmed",
        )
    if not reason.strip():
        raise ServiceError("reason_required", _("Say why the badge is reissued."), field="reason")
    with transaction.atomic():
        badge = Badge.objects.select_for_update().select_related("request").get(pk=badge.pk)
        if badge.request.status not in (Status.PRINTED, Status.COLLECTED, Status.BADGE_ISSUED):
            raise ServiceError("not_active", _("This badge's accreditation is not active."))
        badge.version += 1
        badge.printed_at = None
        badge.collected_at = None
        badge.collected_by = None
        badge.qr_text = _sign(badge)
        badge.save(
            update_fields=["version", "printed_at", "collected_at", "collected_by", "qr_text"]
        )
        if badge.request.status != Status.BADGE_ISSUED:
            transition(
                badge.request,
                to=Status.BADGE_ISSUED,
                actor=actor,
                reason=reason,
                action="badge.reissued",
                data={"badge": badge.pk, "version": badge.version},
            )
        else:
            audit(
                action="badge.reissued",
                request=badge.request,
                actor=actor,
                reason=reason,
                data={"badge": badge.pk, "version": badge.version},
            )
    return badge


def badge_handover(*, badge: Badge, actor, identity_checked: bool) -> None:
    """The desk hands the printed badge to its holder, after checking their identity document."""
    if not actor.has_perm("accreditation.print_badge"):
        raise ServiceError("forbidden", _("Your role does not allow this action."))
    if not identity_checked:
        raise ServiceError(
            "identity_not_checked",
            _("Check the holder's identity document first."),
            field="identity_checked",
        )
    with transaction.atomic():
        badge = Badge.objects.select_for_update().select_related("request").get(pk=badge.pk)
        if badge.request.status == Status.COLLECTED:
            raise ServiceError("already_collected", _("This badge was already handed over."))
        if badge.request.status != Status.PRINTED:
            raise ServiceError("not_printed", _("This badge is not printed yet."))
        badge.collected_at = timezone.now()
        badge.collected_by = actor
        badge.save(update_fields=["collected_at", "collected_by"])
        transition(
            badge.request,
            to=Status.COLLECTED,
            actor=actor,
            data={"badge": badge.pk, "version": badge.version},
        )
