"""The interviews' part of the demo (events.demo.seed_interviews calls it): two targets with
their contacts, an accredited journalist, and their interview request waiting for the press
office — so that staff forward it, the contact proposes times through the link printed in the
terminal, and the journalist confirms one (their status link: "resend the link" on the form)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from accreditation.interviews.models import Format, InterviewRequest, InterviewTarget
from accreditation.models import AccreditationRequest, Status, Vetting

JOURNALIST_EMAIL = "demo.journalist@example.org"


def seed_interview_demo(event) -> InterviewRequest:
    from accreditation import tokens
    from accreditation.apply import new_reference

    with transaction.atomic():
        delegation, _ = InterviewTarget.objects.update_or_create(
            event=event,
            kind=InterviewTarget.Kind.DELEGATION,
            country="MA",
            name="",
            defaults=dict(
                contact_name="Delegation press attaché",
                contact_email="delegation.ma@example.org",
                contact_language="fr",
            ),
        )
        InterviewTarget.objects.update_or_create(
            event=event,
            kind=InterviewTarget.Kind.OFFICIAL,
            country="",
            name="Secretary General",
            defaults=dict(
                names={
                    "fr": "Secrétaire général",
                    "es": "Secretario General",
                    "ar": "الأمين العام",
                },
                contact_name="Office of the Secretary General",
                contact_email="sg.office@example.org",
                contact_language="en",
            ),
        )
        journalist = AccreditationRequest.objects.with_email(event, JOURNALIST_EMAIL).first()
        if journalist is None:
            now = timezone.now()
            journalist = AccreditationRequest.objects.create(
                event=event,
                reference=new_reference(),
                status=Status.APPROVED,
                vetting=Vetting.CLEARED,
                language="fr",
                given_names="Salma",
                family_names="Bennani",
                date_of_birth=dt.date(1990, 3, 14),
                nationality="MA",
                id_document_type="passport",
                id_document_number="DEMO00001",
                id_document_country="MA",
                id_document_expiry=event.ends_on + dt.timedelta(days=900),
                email=JOURNALIST_EMAIL,
                phone="+212600000000",
                outlet_name="Demo News",
                outlet_type="online",
                outlet_country="MA",
                role="reporter",
                employment="staff",
                consent_version=event.consent_version,
                consent_given_at=now,
                status_nonce=tokens.new_nonce(),
                submitted_at=now,
                decided_at=now,
                check_outcome="pass",
            )
            journalist.sessions_granted.set(event.sessions.open_to_media())
        interview, _ = InterviewRequest.objects.get_or_create(
            request=journalist,
            target=delegation,
            defaults=dict(
                event=event,
                topic="International police cooperation against cybercrime in Africa",
                languages=["fr", "ar"],
                format=Format.CAMERA,
                preferred_times=[f"{event.starts_on + dt.timedelta(days=1)}/am"],
            ),
        )
    return interview
