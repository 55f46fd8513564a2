"""The journalist's links of announcements: unsubscribing from optional ones, and the files an
announcement carries. Stateless tokens (accreditation.tokens) of the request and its status
nonce: renewing the status link revokes these too; they end with the event's retention."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accreditation import tokens
from accreditation.models import AccreditationRequest

UNSUBSCRIBE = "announcements.unsubscribe"
FILES = "announcements.files"


def _token(purpose: str, req: AccreditationRequest) -> str:
    return tokens.make_token(purpose, req.pk, req.status_nonce)


def unsubscribe_path(req: AccreditationRequest) -> str:
    return reverse(
        "communications:unsubscribe",
        kwargs={"reference": req.reference, "token": _token(UNSUBSCRIBE, req)},
    )


def unsubscribe_url(req: AccreditationRequest) -> str:
    return settings.SITE_URL + unsubscribe_path(req)


def file_path(req: AccreditationRequest, attachment_id: int) -> str:
    return reverse(
        "communications:file",
        kwargs={"reference": req.reference, "token": _token(FILES, req), "pk": attachment_id},
    )


def request_from_link(*, purpose: str, reference: str, token: str) -> AccreditationRequest | None:
    """The request a link of ``purpose`` belongs to, or None (wrong, revoked or expired)."""
    req = (
        AccreditationRequest.objects.select_related("event")
        .filter(reference=reference.upper())
        .first()
    )
    if req is None or not tokens.check_token(purpose, req.pk, req.status_nonce, token):
        return None
    if timezone.localdate(timezone.now(), req.event.tz) > req.event.personal_data_until:
        return None
    return req
