"""Proving an address before the form is shown (SECURITY.md row 23).

Whoever types an address gets the same answer on the page; the address gets, by e-mail, a
single-use link valid for minutes that opens the form in a browser session, or, when a request
was already made with it, that request's status link. So the form never tells a stranger who
applied, and no one uploads documents under an address that is not theirs.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from accreditation import tokens
from accreditation.models import AccreditationRequest, AddressCheck
from accreditation.models.requests import normalise_email
from accreditation.notify import outbox
from accreditation.workflow import APPLICANT, audit
from config.logs import security_event
from events.models import Event


def address_check_start(*, event: Event, email: str, language: str, client=None) -> None:
    """Send the address a link to the form, or its request's status link if it has one.
    Quietly sends nothing past PRESSPASS_ADDRESS_LINKS_PER_HOUR links an hour (no mail bomb)."""
    email = normalise_email(email)
    now = timezone.now()
    with transaction.atomic():
        # Counted and written under one lock per address: concurrent asks for the same
        # address cannot all read "4 sent" and send 5 more.
        _lock_address(event, email)
        recent = AddressCheck.objects.filter(
            event=event, email=email, created_at__gte=now - dt.timedelta(hours=1)
        ).count()
        if recent >= settings.PRESSPASS_ADDRESS_LINKS_PER_HOUR:
            security_event("address.too_many_links", client=client)
            return
        check = AddressCheck.objects.create(
            event=event, email=email, language=language, nonce=tokens.new_nonce(), created_at=now
        )
        existing = AccreditationRequest.objects.with_email(event, email).first()
        if existing is not None:
            audit(action="request.link_resent", request=existing, actor_label=APPLICANT)
            outbox.enqueue(
                "accreditation.send_request_email", request_id=existing.pk, kind="status_link"
            )
        else:
            outbox.enqueue("accreditation.send_address_check", check_id=check.pk)


def _lock_address(event: Event, email: str) -> None:
    """Serialise the transactions about one address of one event until they end. PostgreSQL:
    a transaction-level advisory lock on a hash of both (no row to lock: the count is of rows
    not written yet). SQLite needs none: its IMMEDIATE transactions run one writer at a time."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                [f"presspass.address:{event.pk}:{email}"],
            )


def resend_permitted(session, event: Event, email: str) -> bool:
    """Whether the form's "send my status link again" may mail ``email``. With the address
    step on, only the address this browser proved (by its link, after the proof of work) and
    still holds: anything else goes through the address step, which answers a known address
    with its status link under its own limits."""
    if not settings.PRESSPASS_CONFIRM_ADDRESS_FIRST:
        return True
    proven, fresh = session_address(session, event)
    return fresh and proven == normalise_email(email)


def address_check_url(check: AddressCheck) -> str:
    token = tokens.make_token("address", check.pk, check.nonce)
    path = reverse("accreditation:address_confirm", kwargs={"slug": check.event.slug})
    return f"{settings.SITE_URL}{path}?token={check.pk}.{token}"


def _check(event: Event, value: str) -> AddressCheck | None:
    """The unused, unexpired check this link value names."""
    try:
        pk_text, token = value.split(".", 1)
        check = AddressCheck.objects.get(pk=int(pk_text), event=event)
    except (ValueError, AddressCheck.DoesNotExist):
        return None
    if not tokens.check_token("address", check.pk, check.nonce, token):
        return None
    valid = dt.timedelta(minutes=settings.PRESSPASS_ADDRESS_LINK_MINUTES)
    if check.used_at is not None or check.created_at + valid < timezone.now():
        return None
    return check


def address_link_valid(*, event: Event, value: str) -> bool:
    """Whether the link can still be used (looking at it does not use it: mail scanners open
    links before people do)."""
    return _check(event, value) is not None


def address_check_use(*, event: Event, value: str) -> str | None:
    """Use the link once: the address it proves, or None (unknown, expired or used)."""
    check = _check(event, value)
    if check is None:
        return None
    used = AddressCheck.objects.filter(pk=check.pk, used_at__isnull=True).update(
        used_at=timezone.now()
    )
    return check.email if used else None


def address_purge(*, older_than: dt.timedelta = dt.timedelta(hours=24)) -> int:
    """Forget the addresses typed into the first step (Celery beat, with abandoned uploads)."""
    deleted, _ = AddressCheck.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted


# The proved address lives in the applicant's session, per event.


def _key(event: Event) -> str:
    return f"address:{event.pk}"


def session_confirm(session, event: Event, email: str) -> None:
    session.cycle_key()  # a new session id once the address is proved (no fixation)
    session[_key(event)] = {"email": email, "at": timezone.now().timestamp()}


def session_address(session, event: Event) -> tuple[str | None, bool]:
    """The address proved in this session for the event, and whether the proof is still fresh
    (PRESSPASS_ADDRESS_SESSION_HOURS)."""
    stored = session.get(_key(event))
    if not stored:
        return None, False
    age = timezone.now().timestamp() - stored.get("at", 0)
    return stored.get("email"), age <= settings.PRESSPASS_ADDRESS_SESSION_HOURS * 3600


def session_forget(session, event: Event) -> None:
    session.pop(_key(event), None)
