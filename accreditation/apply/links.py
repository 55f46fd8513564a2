"""The journalist's private links: the status page, the e-mail confirmation, a new link on request, and the late-admission links staff grant after the deadline."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accreditation import tokens
from accreditation.models import (
    AccreditationRequest,
    LateAdmission,
)
from accreditation.notify import outbox
from accreditation.roles import require_event, require_not_own, require_permission
from accreditation.workflow import APPLICANT, audit
from events.models import Event


def status_path(req: AccreditationRequest) -> str:
    token = tokens.make_token("status", req.pk, req.status_nonce)
    return reverse("accreditation:status", kwargs={"reference": req.reference, "token": token})


def status_url(req: AccreditationRequest) -> str:
    return settings.SITE_URL + status_path(req)


def late_admission_url(admission: LateAdmission) -> str:
    token = tokens.make_token("late", admission.pk, admission.nonce)
    path = reverse("accreditation:apply", kwargs={"slug": admission.event.slug})
    return f"{settings.SITE_URL}{path}?late={admission.pk}.{token}"


def late_admission_from_token(*, event: Event, value: str) -> LateAdmission | None:
    try:
        pk_text, token = value.split(".", 1)
        admission = LateAdmission.objects.get(pk=int(pk_text), event=event)
    except (ValueError, LateAdmission.DoesNotExist):
        return None
    if not tokens.check_token("late", admission.pk, admission.nonce, token):
        return None
    return admission


def request_from_status_link(*, reference: str, token: str) -> AccreditationRequest | None:
    req = (
        AccreditationRequest.objects.select_related("event")
        .filter(reference=reference.upper())
        .first()
    )
    if req is None or not tokens.check_token("status", req.pk, req.status_nonce, token):
        return None
    if timezone.localdate(timezone.now(), req.event.tz) > req.event.personal_data_until:
        return None  # expired with the event's retention period
    return req


def request_link_renew(*, request: AccreditationRequest, actor, ip_address=None) -> None:
    """Staff revoke a journalist's status link (it leaked, or the journalist asks) and send a
    new one to the request's address: every older link stops working at once."""
    require_permission(actor, "accreditation.review_request")
    require_event(actor, request.event_id)
    with transaction.atomic():
        req = AccreditationRequest.objects.select_for_update().get(pk=request.pk)
        req.status_nonce = tokens.new_nonce()
        req.save(update_fields=["status_nonce"])
        audit(action="request.link_renewed", request=req, actor=actor, ip_address=ip_address)
        outbox.enqueue("accreditation.send_request_email", request_id=req.pk, kind="status_link")
    request.status_nonce = req.status_nonce


def request_confirm_email(*, request: AccreditationRequest) -> bool:
    """Opening the private status link proves the address works. True the first time."""
    now = timezone.now()
    updated = AccreditationRequest.objects.filter(
        pk=request.pk, email_confirmed_at__isnull=True
    ).update(email_confirmed_at=now)
    if updated:
        request.email_confirmed_at = now
        audit(action="request.email_confirmed", request=request, actor_label=APPLICANT)
    return bool(updated)


def request_resend_link(*, event: Event, email: str) -> None:
    """Send the status link again to the address of an existing request (quietly does nothing
    if there is none, so the form reveals nothing about who applied)."""
    req = AccreditationRequest.objects.with_email(event, email).first()
    if req is None:
        return
    with transaction.atomic():
        audit(action="request.link_resent", request=req, actor_label=APPLICANT)
        outbox.enqueue("accreditation.send_request_email", request_id=req.pk, kind="status_link")


def late_admission_create(
    *, event: Event, name: str, email: str, valid_until: dt.datetime, actor
) -> LateAdmission:
    require_event(actor, event.pk)
    require_not_own(actor, email)  # no one lets themselves in late
    with transaction.atomic():
        admission = LateAdmission.objects.create(
            event=event,
            name=name,
            email=email,
            valid_until=valid_until,
            nonce=tokens.new_nonce(),
            created_by=actor,
        )
        audit(
            action="late_admission.granted",
            actor=actor,
            data={"admission": admission.pk},  # the address stays on the admission only
        )
        outbox.enqueue("accreditation.send_late_admission", admission_id=admission.pk)
    return admission
