"""The demo, as issue 20's "done when" asks: the demo outlet's focal point adds a three-person
crew from its private page, each member completes their request from their own link, the
security service clears them, a reviewer approves the crew from the outlet's admin page, and
the opening ceremony's press tribune (two places left) holds: the third waits in line."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accreditation.models import AccreditationRequest, Status, WaitingPlace
from accreditation.outlets.demo import DEMO_OUTLET, PLACES_LEFT, seed_demo_outlet
from accreditation.outlets.models import CrewStatus, Outlet, OutletQuota, OutletStatus
from accreditation.review import vetting
from accreditation.review.capacity import places_taken
from events.demo import seed_ga93
from tests.factories import application_data, application_files
from tests.outlets.helpers import path_of

pytestmark = pytest.mark.django_db

CREW = [
    ("Omar Tazi", "omar@atlas-tv.example", "camera"),
    ("Salma Berrada", "salma@atlas-tv.example", "reporter"),
    ("Karim Naciri", "karim@atlas-tv.example", "technician"),
]


def test_the_demo_seeds_an_approved_outlet_and_a_small_tribune_once(
    django_capture_on_commit_callbacks,
):
    event = seed_ga93().event
    with django_capture_on_commit_callbacks(execute=True):  # its proof checked, as a worker does
        first = seed_demo_outlet(event)
    again = seed_demo_outlet(event)  # a second run of make demo: nothing doubles
    assert Outlet.objects.filter(event=event).count() == 1
    assert first.outlet == again.outlet and first.focal_url == again.focal_url
    assert first.outlet.status == OutletStatus.APPROVED
    first.outlet.refresh_from_db()
    assert first.outlet.proof_outcome == "pass"  # its proof was checked like any
    assert OutletQuota.objects.get(event=event, outlet_type="tv").people == 6
    assert again.opening.media_capacity == places_taken(again.opening) + PLACES_LEFT
    page = Client().get(path_of(first.focal_url))
    assert page.status_code == 200 and DEMO_OUTLET["name"] in page.content.decode()


def test_the_demo_walk_from_the_focal_point_to_a_full_tribune(
    settings, supervisor, reviewer, django_capture_on_commit_callbacks
):
    settings.PRESSPASS_CONFIRM_ADDRESS_FIRST = True  # as the demo runs (the tests' default: off)
    event = seed_ga93().event
    demo = seed_demo_outlet(event)
    focal = Client()
    page = path_of(demo.focal_url)
    mail.outbox.clear()
    for name, email, role in CREW:
        with django_capture_on_commit_callbacks(execute=True):
            answer = focal.post(page, {"action": "add", "name": name, "email": email, "role": role})
        assert answer.status_code == 302
    links = {
        m.to[0]: path_of(re.search(r"http://testserver/outlets/crew/\S+", m.body)[0])
        for m in mail.outbox
    }
    assert sorted(links) == sorted(email for _n, email, _r in CREW)

    for n, (name, email, role) in enumerate(CREW):
        member = Client()  # each on their own phone
        assert member.post(links[email]).status_code == 302  # the link opens the form
        given, family = name.split()
        data = application_data(
            event,
            email=email,
            given_names=given,
            family_names=family,
            name_native="",
            id_document_number=f"DM{n:07d}",
            outlet_name=DEMO_OUTLET["name"],
            outlet_type="tv",
            outlet_website=DEMO_OUTLET["website"],
            role=role,
            press_card_number=f"PC-{n}",
            filming_authorisation_number="CCM-2025-0101",
            sessions_requested=[str(demo.opening.pk)],
        )
        with django_capture_on_commit_callbacks(execute=True):
            answer = member.post(
                reverse("accreditation:apply", args=[event.slug]),
                {**data, **application_files()},
            )
        assert answer.status_code == 302, answer.context and answer.context["form"].errors
    crew = list(demo.outlet.crew.order_by("priority"))
    assert [m.status for m in crew] == [CrewStatus.COMPLETED] * 3
    requests = [m.request for m in crew]
    assert all(r.outlet_confirmation.answer == "confirmed" for r in requests)
    assert [r.status for r in requests] == [Status.IN_REVIEW] * 3

    # The security service clears them (the supervisor's vetting import).
    rows = vetting.vetting_rows(event=event, actor=supervisor)
    header = rows[0]
    answers = [dict(zip(header, row, strict=True)) | {"decision": "cleared"} for row in rows[1:]]
    vetting.vetting_import(event=event, actor=supervisor, rows=answers)

    staff = Client()
    staff.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        answer = staff.post(
            reverse("admin:outlets_outlet_decide", args=[demo.outlet.pk]),
            {"action": "crew", "crew-scope": "all", "crew-decision": "approve"},
            follow=True,
        )
    said = [str(m) for m in answer.context["messages"]]
    assert "3 members approved." in said
    assert "Karim Naciri waits for a place in a session that is full." in said
    approved = AccreditationRequest.objects.filter(pk__in=[r.pk for r in requests])
    assert set(approved.values_list("status", flat=True)) <= {Status.APPROVED, Status.BADGE_ISSUED}
    assert places_taken(demo.opening) == demo.opening.media_capacity  # the tribune holds
    assert [r for r in requests if demo.opening in r.sessions_granted.all()] == requests[:2]
    assert WaitingPlace.objects.get(session=demo.opening).request == requests[2]
