"""Staff's buttons on an outlet's admin page, through the real admin (test client, middleware,
services): deciding the crew, merging two registrations, grouping and splitting a request,
raising the outlet's quota; and who may press each (reviewers decide and group, only
supervisors raise a quota, the badge desk, a gate agent and visitors get nothing)."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from accreditation.models import AuditEntry, Status, Vetting
from accreditation.outlets.grouping import request_outlet
from accreditation.outlets.models import OutletLink, OutletQuota, OutletStatus
from tests.factories import make_request, make_user
from tests.outlets.helpers import make_outlet
from tests.outlets.test_decide import NAMES, crew_of, status_of

pytestmark = pytest.mark.django_db


def page(outlet):
    return reverse("admin:outlets_outlet_change", args=[outlet.pk])


def decide_url(outlet):
    return reverse("admin:outlets_outlet_decide", args=[outlet.pk])


def said(answer) -> list[str]:
    return [str(m) for m in get_messages(answer.wsgi_request)]


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def outlet(event):
    return make_outlet(event)


def test_the_outlet_page_offers_the_crew_decision_with_each_member(outlet, reviewer):
    crew_of(outlet)
    html = signed_in(reviewer).get(page(outlet)).content.decode()
    assert 'id="crew-decision"' in html
    for name, _role in NAMES:
        assert name in html
    assert 'id="outlet-quota"' not in html  # a reviewer does not raise quotas


def test_a_reviewer_approves_the_crew_from_the_outlet_page_and_is_told_who_was_not(
    outlet, reviewer
):
    omar, salma, karim = crew_of(outlet)
    type(salma.request).objects.filter(pk=salma.request.pk).update(vetting=Vetting.NOT_CLEARED)
    answer = signed_in(reviewer).post(
        decide_url(outlet),
        {"action": "crew", "crew-scope": "all", "crew-decision": "approve"},
        follow=True,
    )
    assert answer.status_code == 200
    messages = said(answer)
    assert "2 members approved." in messages
    [refused] = [m for m in messages if m.startswith("Salma Berrada")]
    assert salma.request.reference in refused and "security service" in refused
    assert [status_of(m) for m in (omar, salma, karim)] == [
        Status.APPROVED,
        Status.IN_REVIEW,
        Status.APPROVED,
    ]


def test_ticking_no_member_decides_no_one_and_says_so(outlet, reviewer):
    members = crew_of(outlet, NAMES[:1])
    answer = signed_in(reviewer).post(
        decide_url(outlet),
        {"action": "crew", "crew-scope": "selected", "crew-decision": "approve"},
        follow=True,
    )
    assert "Tick at least one member, or choose the whole crew." in said(answer)
    assert status_of(members[0]) == Status.IN_REVIEW


def test_a_reviewer_merges_a_second_registration_of_the_same_outlet(event, outlet, reviewer):
    twin = make_outlet(event, name="Le Matin du Sahara", status=OutletStatus.SUBMITTED)
    req = make_request(event, outlet_name="Le Matin du Sahara")
    OutletLink.objects.create(request=req, outlet=twin, how="match")
    answer = signed_in(reviewer).post(
        decide_url(outlet),
        {"action": "merge", "merge-other": twin.pk, "merge-reason": "Same newspaper."},
        follow=True,
    )
    assert "Le Matin du Sahara merged into this outlet." in said(answer)
    assert request_outlet(req) == outlet
    twin.refresh_from_db()
    assert twin.status == OutletStatus.REJECTED


def test_a_reviewer_groups_then_splits_a_request_by_its_reference(event, outlet, reviewer):
    req = make_request(event, outlet_name="Freelance")
    client = signed_in(reviewer)
    client.post(decide_url(outlet), {"action": "group", "group-reference": req.reference.lower()})
    assert request_outlet(req) == outlet
    answer = client.post(
        decide_url(outlet), {"action": "split", "group-reference": req.reference}, follow=True
    )
    assert f"{req.reference} split off this outlet." in said(answer)
    assert request_outlet(req) is None
    assert AuditEntry.objects.filter(request=req, action="outlet.request_split").exists()


def test_an_unknown_reference_is_said_and_changes_nothing(outlet, reviewer):
    answer = signed_in(reviewer).post(
        decide_url(outlet), {"action": "group", "group-reference": "ZZZZ-0000"}, follow=True
    )
    assert "No request ZZZZ-0000 in this outlet's event." in said(answer)
    assert not OutletLink.objects.exists()


def test_a_supervisor_raises_the_quota_and_the_first_waiting_is_named(event, outlet, supervisor):
    from accreditation.outlets import quota

    OutletQuota.objects.create(event=event, outlet_type="print", people=1)
    holding, waiting = make_request(event), make_request(event)
    for req in (holding, waiting):
        OutletLink.objects.create(request=req, outlet=outlet, how="match")
    assert quota.outlet_quota_reserve(request=holding)
    assert not quota.outlet_quota_reserve(request=waiting)
    client = signed_in(supervisor)
    assert 'id="outlet-quota"' in client.get(page(outlet)).content.decode()
    answer = client.post(decide_url(outlet), {"action": "quota", "quota-people": "5"}, follow=True)
    assert said(answer)[:2] == [
        "This outlet may now have 5 people accredited.",
        f"{waiting.reference}, first in the outlet's waiting list, may now be approved.",
    ]
    outlet.refresh_from_db()
    assert outlet.quota_raised_to == 5
    answer = client.post(decide_url(outlet), {"action": "quota", "quota-people": "3"}, follow=True)
    assert any("already have 5 people" in m for m in said(answer))  # a raise, never a cut
    outlet.refresh_from_db()
    assert outlet.quota_raised_to == 5


# Who may press which button: (role, action, what happens). "done": the change is made;
# "refused": the page says the role does not allow it and nothing changes; "no page": the
# admin refuses the request itself (403, or sent to sign in).
WHO_MAY = [
    ("Reviewer", "crew", "done"),
    ("Supervisor", "crew", "done"),
    ("Badge desk", "crew", "no page"),
    ("Gate agent", "crew", "no page"),
    (None, "crew", "no page"),
    ("Reviewer", "split", "done"),
    ("Supervisor", "split", "done"),
    ("Badge desk", "split", "no page"),
    (None, "split", "no page"),
    ("Reviewer", "quota", "refused"),
    ("Supervisor", "quota", "done"),
    ("Badge desk", "quota", "no page"),
    ("Gate agent", "quota", "no page"),
    (None, "quota", "no page"),
]


@pytest.mark.parametrize(("role", "action", "expected"), WHO_MAY)
def test_who_may_press_each_button(event, outlet, role, action, expected):
    [member] = crew_of(outlet, NAMES[:1])
    grouped = make_request(event)
    OutletLink.objects.create(request=grouped, outlet=outlet, how="match")
    client = signed_in(make_user("someone", role)) if role else Client()
    data = {
        "crew": {"action": "crew", "crew-scope": "all", "crew-decision": "approve"},
        "split": {"action": "split", "group-reference": grouped.reference},
        "quota": {"action": "quota", "quota-people": "9"},
    }[action]
    answer = client.post(decide_url(outlet), data)

    def changed() -> bool:
        outlet.refresh_from_db()
        return {
            "crew": lambda: status_of(member) == Status.APPROVED,
            "split": lambda: request_outlet(grouped) is None,
            "quota": lambda: outlet.quota_raised_to == 9,
        }[action]()

    if expected == "no page":
        assert answer.status_code in (302, 403)
        if answer.status_code == 302:
            assert reverse("admin:login") in answer["Location"]
    else:
        assert answer.status_code == 302 and answer["Location"] == page(outlet)
    assert changed() == (expected == "done")
    if expected == "refused":
        assert "Your role does not allow this action." in said(answer)


@pytest.mark.parametrize("language", ["fr", "en", "ar"])
def test_the_proof_checks_read_in_the_reviewers_language(event, reviewer, language):
    from accreditation.outlets.checks import proof_check

    outlet = make_outlet(event, status=OutletStatus.SUBMITTED)
    proof_check(outlet_id=outlet.pk)
    outlet.refresh_from_db()
    [file_type] = [r for r in outlet.proof_checks if r["code"] == "file.type"]
    english = file_type["messages"]["en"]
    assert english and file_type["messages"]["fr"] != english  # each language its own
    html = signed_in(reviewer).get(page(outlet), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert escape(file_type["messages"][language]) in html
    if language != "en":
        assert escape(english) not in html


def test_the_outlet_page_takes_as_many_queries_for_a_crew_of_one_as_of_three(outlet, reviewer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in(reviewer)
    crew_of(outlet, NAMES[:1])
    client.get(page(outlet))  # the session and permission caches warm
    with CaptureQueriesContext(connection) as one:
        assert client.get(page(outlet)).status_code == 200
    crew_of(outlet, NAMES[1:])
    with CaptureQueriesContext(connection) as three:
        assert client.get(page(outlet)).status_code == 200
    assert len(three) == len(one), [q["sql"] for q in three.captured_queries]


def test_a_refused_crew_decision_comes_back_with_what_was_typed(outlet, reviewer):
    omar, salma = crew_of(outlet, NAMES[:2])
    client = signed_in(reviewer)
    answer = client.post(
        decide_url(outlet),
        {
            "action": "crew",
            "crew-scope": "selected",
            "crew-members": [str(salma.pk)],
            "crew-decision": "reject",
            "crew-text": "",  # a rejection without a reason
        },
        follow=True,
    )
    assert "Choose a reason or write one." in said(answer)
    html = answer.content.decode()
    assert f'value="{salma.pk}" id="id_crew-members_1" checked' in html
    assert f'value="{omar.pk}" id="id_crew-members_0" checked' not in html
    assert 'value="reject" selected' in html
    assert [status_of(m) for m in (omar, salma)] == [Status.IN_REVIEW] * 2
    # Kept once: the page opened again is blank.
    again = client.get(page(outlet)).content.decode()
    assert f'value="{salma.pk}" id="id_crew-members_1" checked' not in again
