"""Reviewers decide a crew together: the whole crew or the members ticked, each member still
decided on its own request (vetting, state, the outlet quota, the sessions' places), those that
cannot be reported by name with the reason, every decision audited per member."""

from __future__ import annotations

import pytest

from accreditation.errors import ServiceError
from accreditation.models import AuditEntry, RejectionReason, Status, Vetting, WaitingPlace
from accreditation.outlets import crews, decide
from accreditation.outlets.models import OutletQuota
from tests.factories import make_request
from tests.outlets.helpers import make_outlet

pytestmark = pytest.mark.django_db

NAMES = [
    ("Omar Tazi", "camera"),
    ("Salma Berrada", "reporter"),
    ("Karim Naciri", "technician"),
]


def crew_of(outlet, names=NAMES, *, opening=None):
    """The outlet's crew, each member's request submitted from their own link."""
    members = []
    for name, role in names:
        email = f"{name.split()[0].lower()}@lematin.ma"
        member = crews.crew_add(outlet=outlet, name=name, email=email, role=role, language="fr")
        req = make_request(outlet.event, email=email, role=role)
        if opening is not None:
            req.sessions_requested.add(opening)
        assert crews.request_submitted(request=req, address_confirmed=True) == "crew"
        member.refresh_from_db()
        members.append(member)
    return members


def status_of(member):
    member.request.refresh_from_db()
    return member.request.status


@pytest.fixture
def outlet(event):
    return make_outlet(event)


def test_the_whole_crew_is_approved_each_member_audited(outlet, reviewer):
    members = crew_of(outlet)
    outcome = decide.crew_decide(actor=reviewer, outlet=outlet, decision="approve")
    assert outcome.decided == members and not outcome.refused
    assert [status_of(m) for m in members] == [Status.APPROVED] * 3
    for member in members:
        entry = AuditEntry.objects.get(request=member.request, action="accreditation.approved")
        assert entry.actor == reviewer
    crew_entry = AuditEntry.objects.get(action="outlet.crew_approved")
    assert crew_entry.data["decided"] == [m.pk for m in members]


def test_a_member_the_vetting_has_not_cleared_is_named_and_the_others_are_approved(
    outlet, reviewer
):
    omar, salma, karim = crew_of(outlet)
    type(salma.request).objects.filter(pk=salma.request.pk).update(vetting=Vetting.PENDING)
    salma.request.refresh_from_db()
    outcome = decide.crew_decide(actor=reviewer, outlet=outlet, decision="approve")
    assert outcome.decided == [omar, karim]
    [refused] = outcome.refused
    assert refused.member == salma and refused.code == "vetting_pending"
    assert refused.line.startswith(f"Salma Berrada ({salma.request.reference}): ")
    assert status_of(salma) == Status.IN_REVIEW
    assert not AuditEntry.objects.filter(request=salma.request, action="accreditation.approved")


def test_only_the_members_ticked_are_decided(outlet, reviewer):
    omar, salma, karim = crew_of(outlet)
    outcome = decide.crew_decide(
        actor=reviewer, outlet=outlet, decision="approve", member_ids=[karim.pk]
    )
    assert outcome.decided == [karim]
    assert [status_of(m) for m in (omar, salma, karim)] == [
        Status.IN_REVIEW,
        Status.IN_REVIEW,
        Status.APPROVED,
    ]


def test_beyond_the_outlet_quota_the_last_in_the_focal_points_order_waits(outlet, reviewer):
    OutletQuota.objects.create(event=outlet.event, outlet_type="print", people=2)
    omar, salma, karim = crew_of(outlet)
    crews.crew_priority(outlet=outlet, member_id=omar.pk, priority=9)  # the outlet's last
    outcome = decide.crew_decide(actor=reviewer, outlet=outlet, decision="approve")
    assert outcome.decided == [salma, karim]
    [refused] = outcome.refused
    assert refused.member == omar and refused.code == "outlet_quota_full"
    assert status_of(omar) == Status.IN_REVIEW


def test_the_sessions_places_hold_for_a_crew(event, outlet, reviewer):
    opening = event.sessions.get(kind="opening")
    opening.media_capacity = 2
    opening.save()
    omar, salma, karim = crew_of(outlet, opening=opening)
    outcome = decide.crew_decide(actor=reviewer, outlet=outlet, decision="approve")
    assert outcome.decided == [omar, salma, karim]
    assert outcome.waiting == [karim]
    assert opening.granted_requests.count() == 2
    assert WaitingPlace.objects.get(session=opening).request == karim.request


def test_a_member_who_has_not_applied_yet_is_reported(outlet, reviewer):
    [omar] = crew_of(outlet, NAMES[:1])
    late = crews.crew_add(
        outlet=outlet, name="Rim Alaoui", email="rim@lematin.ma", role="producer", language="fr"
    )
    outcome = decide.crew_decide(actor=reviewer, outlet=outlet, decision="approve")
    assert outcome.decided == [omar]
    assert [(r.member, r.code) for r in outcome.refused] == [(late, "not_submitted")]


def test_a_crew_rejection_needs_a_reason_and_gives_it_to_each_member(outlet, reviewer):
    members = crew_of(outlet, NAMES[:2])
    with pytest.raises(ServiceError) as refused:
        decide.crew_decide(actor=reviewer, outlet=outlet, decision="reject")
    assert refused.value.code == "reason_required"
    assert [status_of(m) for m in members] == [Status.IN_REVIEW] * 2
    reason = RejectionReason.objects.create(title="No coverage", text_fr="Pas de couverture.")
    outcome = decide.crew_decide(actor=reviewer, outlet=outlet, decision="reject", reason=reason)
    assert outcome.decided == members
    for member in members:
        assert status_of(member) == Status.REJECTED
        entry = AuditEntry.objects.get(request=member.request, action="accreditation.rejected")
        assert "Pas de couverture." in entry.reason


def test_a_member_already_decided_is_reported_not_decided_twice(outlet, reviewer):
    omar, salma = crew_of(outlet, NAMES[:2])
    decide.crew_decide(actor=reviewer, outlet=outlet, decision="approve", member_ids=[omar.pk])
    outcome = decide.crew_decide(actor=reviewer, outlet=outlet, decision="approve")
    assert outcome.decided == [salma]
    assert [(r.member, r.code) for r in outcome.refused] == [(omar, "not_allowed")]
    assert (
        AuditEntry.objects.filter(request=omar.request, action="accreditation.approved").count()
        == 1
    )


def test_only_reviewers_decide_a_crew(outlet, badge_desk):
    members = crew_of(outlet, NAMES[:1])
    with pytest.raises(ServiceError) as refused:
        decide.crew_decide(actor=badge_desk, outlet=outlet, decision="approve")
    assert refused.value.code == "forbidden"
    assert status_of(members[0]) == Status.IN_REVIEW


def test_with_four_eyes_a_crew_needs_a_second_reviewer(event, outlet, reviewer):
    from tests.factories import make_user

    type(event).objects.filter(pk=event.pk).update(second_approval=True)
    outlet.event.refresh_from_db()
    members = crew_of(outlet, NAMES[:2])
    first = decide.crew_decide(actor=reviewer, outlet=outlet, decision="approve")
    assert first.first_approval == members and not first.decided
    assert [status_of(m) for m in members] == [Status.IN_REVIEW] * 2
    again = decide.crew_decide(actor=reviewer, outlet=outlet, decision="approve")
    assert {r.code for r in again.refused} == {"second_approval_same_person"}
    second = decide.crew_decide(
        actor=make_user("second-reviewer", "Reviewer"), outlet=outlet, decision="approve"
    )
    assert second.decided == members
    assert [status_of(m) for m in members] == [Status.APPROVED] * 2


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_deciding_one_crew_at_once_hold_the_quota_and_the_tribune():
    from functools import partial

    from django.db import connection

    from accreditation.outlets.models import QuotaPlace
    from accreditation.review.capacity import places_taken
    from tests.concurrency import at_once
    from tests.factories import make_event, make_user

    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL (SQLite runs one writer at a time anyway)")
    event = make_event(slug="crew-race")
    opening = event.sessions.get(kind="opening")
    opening.media_capacity = 2
    opening.save()
    OutletQuota.objects.create(event=event, outlet_type="print", people=3)
    outlet = make_outlet(event)
    names = [(f"Member{n} Crew", "reporter") for n in range(5)]
    members = crew_of(outlet, names, opening=opening)
    reviewers = [make_user("reviewer-a", "Reviewer"), make_user("reviewer-b", "Reviewer")]
    outcomes, errors = at_once(
        [
            partial(decide.crew_decide, actor=actor, outlet=outlet, decision="approve")
            for actor in reviewers
        ]
    )
    assert not errors
    decided = [m.pk for outcome in outcomes for m in outcome.decided]
    assert len(decided) == len(set(decided)) == 3  # each once, three in the quota
    assert QuotaPlace.objects.filter(outlet=outlet, state="held").count() == 3
    assert places_taken(opening) == 2
    for member in members:
        approvals = AuditEntry.objects.filter(
            request=member.request, action="accreditation.approved"
        )
        assert approvals.count() == (1 if member.pk in decided else 0)
