"""The data-protection part of the demo (``manage.py seed_demo``, docs/privacy.md): one journalist
who applied through the real submission service, with an identity document that names her, so
that the walk has someone to export, erase and then look for. Idempotent: a second run finds her
(and seeds her again once she was erased)."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accreditation import tokens
from accreditation.apply.links import status_url
from accreditation.apply.pending import uploads_check
from accreditation.apply.submission import request_submit
from accreditation.models import AccreditationRequest
from accreditation.models.requests import normalise_email
from events.models import Event

# Accents in her name, so that the search shows it finds "Leila Benjelloun" too.
DEMO_JOURNALIST = {
    "given_names": "Leïla",
    "family_names": "Benjelloun",
    "name_native": "ليلى بنجلون",
    "nationality": "MA",
    "id_document_type": "passport",
    "id_document_number": "LB4412093",
    "id_document_country": "MA",
    "email": "leila.benjelloun@demo.example",
    "phone": "+212 6 61 23 45 67",
    "outlet_name": "Le Matin",
    "outlet_type": "print",
    "outlet_country": "MA",
    "outlet_website": "https://lematin.example",
    "role": "reporter",
    "employment": "staff",
    "press_card_number": "PC-2025-1187",
    "filming_authorisation_number": "",
    "interview_requests": "The Secretary General, on cybercrime in Africa",
    "equipment": "Laptop, recorder",
}
DEMO_SEARCH = "Leila Benjelloun"  # what the walk's last step looks for: no accent


@dataclass(frozen=True)
class DemoJournalist:
    request: AccreditationRequest
    status_url: str
    export_url: str
    erasure_url: str


def _passport() -> SimpleUploadedFile:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.drawString(72, 720, "KINGDOM OF MOROCCO — PASSPORT (demo)")
    pdf.drawString(72, 700, "Surname: BENJELLOUN   Given names: LEILA")
    pdf.drawString(72, 680, f"Passport number: {DEMO_JOURNALIST['id_document_number']}")
    pdf.showPage()
    pdf.save()
    return SimpleUploadedFile("passport-benjelloun.pdf", buffer.getvalue(), "application/pdf")


def _image(name: str, size: tuple[int, int], colour: tuple[int, int, int]) -> SimpleUploadedFile:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG", quality=85)
    return SimpleUploadedFile(name, buffer.getvalue(), "image/jpeg")


def _links(req: AccreditationRequest) -> DemoJournalist:
    token = tokens.make_token("status", req.pk, req.status_nonce)
    kwargs = {"reference": req.reference, "token": token}
    return DemoJournalist(
        request=req,
        status_url=status_url(req),
        export_url=settings.SITE_URL + reverse("privacy:export", kwargs=kwargs),
        erasure_url=settings.SITE_URL + reverse("privacy:erasure", kwargs=kwargs),
    )


def seed_demo_journalist(event: Event) -> DemoJournalist:
    """The demo journalist's request to ``event`` (accreditation must be open), submitted as
    the form submits one; its checks run after the commit, as for anyone."""
    email = normalise_email(DEMO_JOURNALIST["email"])
    existing = AccreditationRequest.objects.filter(event=event, email=email).first()
    if existing is not None:
        return _links(existing)
    checked, refused = uploads_check(
        uploads={
            "identity": _passport(),
            "press_card": _image("press-card.jpg", (856, 540), (30, 90, 160)),
            "photo": _image("portrait.jpg", (600, 800), (215, 200, 185)),
        }
    )
    if refused:  # our own files: this would be a bug
        raise RuntimeError(f"The demo journalist's files were refused: {sorted(refused)}")
    data = {  # as the form cleans them
        **DEMO_JOURNALIST,
        "date_of_birth": dt.date(1990, 3, 8),
        "id_document_expiry": event.ends_on + dt.timedelta(days=5 * 365),
        "press_card_year": event.starts_on.year,
        "sessions_requested": list(event.sessions.open_to_media()),
        "consent": True,
    }
    submitted = request_submit(
        event=event,
        data=data,
        draft_key="demo-journalist",
        language="fr",
        uploads=checked,
        address_confirmed=True,
    )
    return _links(submitted.request)
