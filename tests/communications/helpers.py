"""Builders for the announcements' tests: accredited journalists made in bulk (no documents:
an announcement never reads them), a press office persona, and a mail server that refuses
some addresses the way a real one does (smtplib's own exception)."""

from __future__ import annotations

import itertools
import smtplib

from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import transaction
from django.utils import timezone

from accreditation import tokens
from accreditation.apply import new_reference
from accreditation.communications import services
from accreditation.communications.models import Announcement
from accreditation.models import AccreditationRequest
from tests.factories import make_user

_numbers = itertools.count(1)


def journalists(event, count: int = 1, *, sessions=(), **fields) -> list[AccreditationRequest]:
    """``count`` requests (approved unless told), created in one statement."""
    rows = []
    for _ in range(count):
        n = next(_numbers)
        values = dict(
            event=event,
            reference=new_reference(),
            status="approved",
            language="fr",
            given_names="Amina",
            family_names=f"El Idrissi {n}",
            date_of_birth="1988-04-12",
            nationality="MA",
            id_document_type="passport",
            id_document_number=f"CD{n:07d}",
            id_document_country="MA",
            id_document_expiry="2040-01-01",
            email=f"reporter{n}@example.com",
            phone="+212612345678",
            outlet_name="Le Matin",
            outlet_type="print",
            outlet_country="MA",
            role="reporter",
            employment="staff",
            consent_version=1,
            consent_given_at=timezone.now(),
            status_nonce=tokens.new_nonce(),
            submitted_at=timezone.now(),
        )
        values.update(fields)
        rows.append(AccreditationRequest(**values))
    made = AccreditationRequest.objects.bulk_create(rows)
    if sessions:
        through = AccreditationRequest.sessions_granted.through
        through.objects.bulk_create(
            [through(accreditationrequest_id=r.pk, session_id=s.pk) for r in made for s in sessions]
        )
    return made


def journalist(event, **fields) -> AccreditationRequest:
    return journalists(event, 1, **fields)[0]


def press_office(username: str = "press"):
    return make_user(username, "Press office")


def draft(event, *, actor, **fields) -> Announcement:
    values = dict(
        event=event,
        titles={"fr": "Conférence de presse", "en": "Press conference"},
        bodies={"fr": "Elle aura lieu au Centre de presse.", "en": "At the Press centre."},
    )
    values.update(fields)
    announcement = Announcement(**values)
    return services.announcement_save(announcement=announcement, actor=actor)


def send(announcement, actor, capture) -> Announcement:
    """Send for real: the outbox's on-commit dispatch runs the tasks (eager Celery)."""
    with capture(execute=True), transaction.atomic():
        services.announcement_send(announcement=announcement, actor=actor)
    announcement.refresh_from_db()
    return announcement


class RefusingBackend(EmailBackend):
    """Django's locmem backend, except for the addresses in ``refused``: refused the way
    smtplib refuses them (SMTPRecipientsRefused with the server's 550)."""

    refused: set[str] = set()

    def send_messages(self, messages):
        for message in messages:
            for address in message.to:
                if address in RefusingBackend.refused:
                    raise smtplib.SMTPRecipientsRefused(
                        {address: (550, b"5.1.1 <" + address.encode() + b">: user unknown")}
                    )
        return super().send_messages(messages)


class FlakyBackend(EmailBackend):
    """A mail server that drops the connection once, at the ``drop_at``-th message."""

    drop_at = 2
    seen = 0

    def send_messages(self, messages):
        FlakyBackend.seen += 1
        if FlakyBackend.seen == FlakyBackend.drop_at:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


class DownBackend(EmailBackend):
    """A mail server that drops the connection (a transient failure)."""

    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def outbox_to(address: str):
    return [m for m in mail.outbox if address in m.to]
