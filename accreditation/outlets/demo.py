"""The outlets' part of the demo (``manage.py seed_demo``): an approved outlet whose focal
point's private page is printed, quotas per outlet type, and a press tribune at the opening
ceremony smaller than a crew, so that the waiting line shows. Idempotent: a second run finds
what the first made (and leaves a capacity staff have changed as it is)."""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from accreditation.apply.pending import uploads_check
from accreditation.models.names import search_key
from accreditation.outlets import registration
from accreditation.outlets.forms import PROOF_SLOT
from accreditation.outlets.grouping import outlet_group
from accreditation.outlets.links import focal_url
from accreditation.outlets.models import Outlet, OutletQuota, OutletStatus
from accreditation.outlets.states import outlet_transition
from accreditation.review.capacity import places_taken
from events.models import Event, Session

DEMO_OUTLET = {
    "name": "Atlas Télévision",
    "outlet_type": "tv",
    "country": "MA",
    "website": "https://atlas-tv.example",
    "focal_name": "Nadia Bennani",
    "focal_email": "desk@atlas-tv.example",
}
# People per outlet, by type (the examples: 3 for print, 6 for TV).
DEMO_QUOTAS = {"print": 3, "online": 3, "radio": 4, "tv": 6, "agency": 6, "photo_agency": 4}
# Places left in the press tribune for the demo crew of three (besides those the demo's
# accredited journalists hold already): the third waits in line.
PLACES_LEFT = 2
DEMO_ACTOR = "seed_demo"


@dataclass(frozen=True)
class DemoOutlet:
    outlet: Outlet
    focal_url: str
    opening: Session | None


def _letter() -> SimpleUploadedFile:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.drawString(72, 720, "Atlas Télévision — letter from the editor-in-chief")
    pdf.drawString(72, 700, "Our crew covers the 93rd INTERPOL General Assembly in Marrakech.")
    pdf.showPage()
    pdf.save()
    return SimpleUploadedFile("atlas-letter.pdf", buffer.getvalue(), "application/pdf")


def seed_demo_outlet(event: Event) -> DemoOutlet:
    """The demo outlet, registered with its proof (checked like any) and approved."""
    for outlet_type, people in DEMO_QUOTAS.items():
        OutletQuota.objects.get_or_create(
            event=event, outlet_type=outlet_type, defaults={"people": people}
        )
    outlet = (
        Outlet.objects.filter(event=event, name_key=search_key(DEMO_OUTLET["name"]))
        .exclude(status=OutletStatus.REJECTED)
        .first()
    )
    if outlet is None:
        checked, refused = uploads_check(uploads={PROOF_SLOT: _letter()})
        if refused:  # our own letter is a PDF: this would be a bug
            raise RuntimeError(f"The demo letter was refused: {refused}")
        outlet = registration.outlet_register(
            event=event, data=DEMO_OUTLET, proof=checked[PROOF_SLOT], language="fr"
        )
    if outlet.status != OutletStatus.APPROVED:
        with transaction.atomic():  # approved as a reviewer would (the audit names the demo)
            outlet_transition(outlet, to=OutletStatus.APPROVED, actor_label=DEMO_ACTOR)
            outlet_group(outlet=outlet)
    opening = event.sessions.filter(kind=Session.Kind.OPENING).first()
    if opening is not None and opening.media_capacity is None:
        opening.media_capacity = places_taken(opening) + PLACES_LEFT
        opening.save(update_fields=["media_capacity"])
    return DemoOutlet(outlet=outlet, focal_url=focal_url(outlet), opening=opening)
