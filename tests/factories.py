"""Small builders for tests: events, personas, and real files generated on the fly."""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from events.models import Event, Session

CASABLANCA = zoneinfo.ZoneInfo("Africa/Casablanca")


def make_event(*, slug="ga", now=None, deadline_in_days=10, **overrides) -> Event:
    now = now or dt.datetime.now(dt.UTC)
    start = (now + dt.timedelta(days=deadline_in_days + 20)).astimezone(CASABLANCA).date()
    values = dict(
        name="General Assembly",
        slug=slug,
        organiser="Host",
        venue="Jardins de la Menara",
        city="Marrakech",
        country="MA",
        time_zone="Africa/Casablanca",
        starts_on=start,
        ends_on=start + dt.timedelta(days=3),
        accreditation_opens_at=now - dt.timedelta(days=30),
        accreditation_deadline=now + dt.timedelta(days=deadline_in_days),
        contact_email="ccc@example.org",
        languages=["fr", "ar", "en", "es"],
    )
    values.update(overrides)
    event = Event.objects.create(**values)
    opening = dt.datetime.combine(event.starts_on, dt.time(10, 30), tzinfo=CASABLANCA)
    Session.objects.create(
        event=event,
        kind="opening",
        title="Opening ceremony",
        titles={"fr": "Cérémonie d'ouverture"},
        starts_at=opening,
        media_access="open",
    )
    Session.objects.create(
        event=event,
        kind="plenary",
        title="Plenary",
        starts_at=opening + dt.timedelta(hours=4),
        ends_at=opening + dt.timedelta(hours=8),
        media_access="closed",
    )
    Session.objects.create(
        event=event, kind="closing", title="Closing ceremony", media_access="open"
    )
    return event


def image_bytes(fmt="JPEG", size=(600, 800), colour=(200, 180, 160)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, fmt)
    return buffer.getvalue()


def pdf_bytes(text="Mission letter") -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.drawString(72, 720, text)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def upload(
    name: str, content: bytes, content_type="application/octet-stream"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def application_data(event: Event, **overrides) -> dict:
    """The text fields of a complete, valid application."""
    opening = event.sessions.get(kind="opening")
    data = {
        "given_names": "Amina Fatima",
        "family_names": "El Idrissi",
        "name_native": "أمينة فاطمة الإدريسي",
        "date_of_birth": "1988-04-12",
        "nationality": "MA",
        "id_document_type": "passport",
        "id_document_number": "AB1234567",
        "id_document_country": "MA",
        "id_document_expiry": (event.ends_on + dt.timedelta(days=400)).isoformat(),
        "email": "amina@example.com",
        "phone": "+212 6 12 34 56 78",
        "outlet_name": "Le Matin",
        "outlet_type": "print",
        "outlet_country": "MA",
        "outlet_website": "https://lematin.example",
        "role": "reporter",
        "employment": "staff",
        "press_card_number": "PC-2025-0042",
        "press_card_year": str(event.starts_on.year),
        "filming_authorisation_number": "",
        "sessions_requested": [str(opening.pk)],
        "interview_requests": "The Secretary General, on cybercrime",
        "equipment": "Laptop, recorder",
        "consent": "on",
    }
    data.update(overrides)
    return data


_PORTRAIT: bytes | None = None


def portrait_bytes() -> bytes:
    """A real face (the public-domain NASA astronaut portrait, via tests/corpus.py), 3:4 JPEG."""
    global _PORTRAIT
    if _PORTRAIT is None:
        from tests.corpus import portrait_image

        buffer = io.BytesIO()
        portrait_image().save(buffer, "JPEG", quality=90)
        _PORTRAIT = buffer.getvalue()
    return _PORTRAIT


def application_files(**overrides) -> dict:
    files = {
        "identity": upload("passport.pdf", pdf_bytes("Passport")),
        "press_card": upload("card.jpg", image_bytes()),
        "photo": upload("me.jpg", portrait_bytes()),
    }
    files.update(overrides)
    return {k: v for k, v in files.items() if v is not None}


def make_user(username: str, role: str | None = None, **extra):
    """A staff persona: 'Reviewer', 'Supervisor', 'Badge desk', 'Gate agent', or none (outsider)."""
    from django.contrib.auth.models import Group, User

    user = User.objects.create_user(
        username, password="correct horse battery", is_staff=role is not None, **extra
    )
    if role:
        if not Group.objects.filter(name=role).exists():  # a transactional test flushed them
            from accreditation.roles import sync_roles

            sync_roles()
        user.groups.add(Group.objects.get(name=role))
    return user


_counter = iter(range(1, 10**9))


def make_request(
    event: Event, *, status="in_review", documents=("identity", "press_card", "photo"), **fields
):
    """A request as if submitted and checked, with real files in private storage."""
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from accreditation import tokens
    from accreditation.apply import new_reference
    from accreditation.models import AccreditationRequest, Document
    from accreditation.privacy.storage import private_storage, random_name

    n = next(_counter)
    values = dict(
        event=event,
        reference=new_reference(),
        status=status,
        # "as if checked": past the checks, a request carries their worst result
        check_outcome="" if status in ("submitted", "checking") else "pass",
        language="fr",
        given_names="Amina",
        family_names=f"El Idrissi {n}",
        date_of_birth=dt.date(1988, 4, 12),
        nationality="MA",
        id_document_type="passport",
        id_document_number=f"AB{n:07d}",
        id_document_country="MA",
        id_document_expiry=event.ends_on + dt.timedelta(days=400),
        email=f"journalist{n}@example.com",
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
    req = AccreditationRequest.objects.create(**values)
    req.sessions_requested.set(event.sessions.filter(media_access="open"))
    for kind in documents:
        content, mime, ext = (
            (image_bytes(), "image/jpeg", "jpg")
            if kind == "photo"
            else (pdf_bytes(kind), "application/pdf", "pdf")
        )
        name = private_storage().save(random_name("documents", ext), ContentFile(content))
        Document.objects.create(
            request=req,
            kind=kind,
            file=name,
            original_name=f"{kind}.{ext}",
            content_type=mime,
            size=len(content),
            sha256="0" * 64,
        )
    return req


def solve_pow(html: str) -> str:
    """What static/js/pow.js puts in the address form: the page's challenge, solved (by the
    altcha library's own solver)."""
    import base64
    import json
    import re
    from html import unescape

    import altcha

    challenge = json.loads(unescape(re.search(r'data-challenge="([^"]+)"', html).group(1)))
    solution = altcha.solve_challenge_v1(
        challenge["challenge"], challenge["salt"], challenge["algorithm"], challenge["maxNumber"]
    )
    payload = {**challenge, "number": solution.number}
    del payload["maxNumber"]
    return base64.b64encode(json.dumps(payload).encode()).decode()
