"""Builders for the outlets' tests: an outlet registered (and approved), its links."""

from __future__ import annotations

from django.core.files.base import ContentFile

from accreditation import tokens
from accreditation.outlets.models import Outlet, OutletStatus
from accreditation.privacy.storage import private_storage, random_name
from tests.factories import pdf_bytes


def make_outlet(event, *, name="Le Matin", status=OutletStatus.APPROVED, **fields) -> Outlet:
    from accreditation.models.names import search_key
    from accreditation.outlets.grouping import website_host

    content = pdf_bytes("Editor's letter")
    stored = private_storage().save(random_name("outlets", "pdf"), ContentFile(content))
    values = dict(
        event=event,
        name=name,
        name_key=search_key(name),
        outlet_type="print",
        country="MA",
        website="https://lematin.ma",
        focal_name="Nadia Bennani",
        focal_email="editor@lematin.ma",
        language="fr",
        status=status,
        proof=stored,
        proof_name="letter.pdf",
        proof_content_type="application/pdf",
        proof_size=len(content),
        nonce=tokens.new_nonce(),
    )
    values.update(fields)
    values["host"] = website_host(values["website"])
    return Outlet.objects.create(**values)


def outlet_form(**overrides) -> dict:
    data = {
        "name": "Hespress",
        "outlet_type": "online",
        "country": "MA",
        "website": "hespress.com",
        "focal_name": "Youssef Alami",
        "focal_email": "Desk@Hespress.com",
    }
    data.update(overrides)
    return data


def path_of(url: str) -> str:
    return url.replace("http://testserver", "")
