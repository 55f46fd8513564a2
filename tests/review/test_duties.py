"""Separation of duties: no one decides their own request or lets themselves in late; an event
can ask for two reviewers' approvals before a badge is issued; staff assigned to events see
and act on those events only — lists, documents, exports, statistics, gates."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from accreditation import apply, review
from accreditation.errors import ServiceError
from accreditation.models import AuditEntry, Badge, Status
from tests.factories import make_event, make_request, make_user

pytestmark = pytest.mark.django_db


def test_no_one_decides_a_request_made_with_their_own_address(event):
    reviewer = make_user("amal", "Reviewer", email="Amal.Idrissi@Press.example")
    own = make_request(event, email="amal.idrissi@press.example")
    with pytest.raises(ServiceError) as refused:
        review.request_approve(request=own, actor=reviewer)
    assert refused.value.code == "own_request"
    with pytest.raises(ServiceError):
        review.request_reject(request=own, actor=reviewer, text="no")
    own.refresh_from_db()
    assert own.status == Status.IN_REVIEW
    review.request_approve(request=own, actor=make_user("omar", "Reviewer"))  # someone else
    own.refresh_from_db()
    assert own.status == Status.APPROVED


def test_no_one_grants_themselves_a_late_admission(event, client):
    supervisor = make_user("sara", "Supervisor", email="sara@org.example")
    with pytest.raises(ServiceError) as refused:
        apply.late_admission_create(
            event=event,
            name="Sara",
            email="SARA@org.example",
            valid_until=event.accreditation_deadline + dt.timedelta(days=2),
            actor=supervisor,
        )
    assert refused.value.code == "own_request"
    client.force_login(supervisor)
    response = client.post(
        reverse("admin:accreditation_lateadmission_add"),
        {
            "event": event.pk,
            "name": "Sara",
            "email": "sara@org.example",
            "valid_until_0": (event.accreditation_deadline + dt.timedelta(days=2)).strftime(
                "%Y-%m-%d"
            ),
            "valid_until_1": "12:00:00",
        },
    )
    assert response.status_code == 200  # the form again, with the reason
    assert "another member of staff" in response.content.decode()


def test_with_four_eyes_the_badge_waits_for_a_second_reviewer(
    event, django_capture_on_commit_callbacks
):
    event.second_approval = True
    event.save()
    first, second = make_user("amal", "Reviewer"), make_user("omar", "Reviewer")
    req = make_request(event)
    with django_capture_on_commit_callbacks(execute=True):
        review.request_approve(request=req, actor=first)
    req.refresh_from_db()
    assert req.status == Status.IN_REVIEW and req.first_approved_by == first
    assert not Badge.objects.filter(request=req).exists()
    with pytest.raises(ServiceError) as same:
        review.request_approve(request=req, actor=first)
    assert same.value.code == "second_approval_same_person"
    with django_capture_on_commit_callbacks(execute=True):
        review.request_approve(request=req, actor=second)
    req.refresh_from_db()
    assert req.status == Status.BADGE_ISSUED and Badge.objects.filter(request=req).exists()
    assert AuditEntry.objects.filter(request=req, action="request.first_approval", actor=first)


def test_a_first_approval_lapses_when_the_request_leaves_review(event):
    event.second_approval = True
    event.save()
    first, second = make_user("amal", "Reviewer"), make_user("omar", "Reviewer")
    req = make_request(event)
    review.request_approve(request=req, actor=first)
    review.request_ask_info(request=req, actor=second, message="Which outlet?")
    req.refresh_from_db()
    assert req.first_approved_by is None  # a new review needs two approvals again


def test_staff_assigned_to_an_event_see_and_act_on_that_event_only(client):
    ours, other = make_event(slug="ours"), make_event(slug="other")
    reviewer = make_user("amal", "Reviewer")
    ours.staff.add(reviewer)
    mine, theirs = make_request(ours), make_request(other)

    with pytest.raises(ServiceError) as refused:
        review.request_approve(request=theirs, actor=reviewer)
    assert refused.value.code == "not_assigned"

    client.force_login(reviewer)
    listing = client.get(reverse("admin:accreditation_accreditationrequest_changelist"))
    shown = {r.pk for r in listing.context["cl"].result_list}
    assert shown == {mine.pk}
    assert (
        client.get(
            reverse("admin:accreditation_accreditationrequest_change", args=[theirs.pk])
        ).status_code
        == 404
    )
    document = theirs.documents.get(kind="identity")
    assert (
        client.get(
            reverse("admin:accreditation_document_file", args=[document.pk, "original"])
        ).status_code
        == 403
    )
    assert AuditEntry.objects.filter(action="document.view_refused", actor=reviewer).exists()


def test_a_supervisors_export_and_statistics_hold_their_events_only(client):
    ours, other = make_event(slug="ours"), make_event(slug="other")
    supervisor = make_user("sara", "Supervisor")
    ours.staff.add(supervisor)
    mine, theirs = make_request(ours), make_request(other)
    client.force_login(supervisor)
    export = client.get(reverse("admin:accreditation_request_export"))
    body = b"".join(export.streaming_content).decode()
    assert mine.reference in body and theirs.reference not in body
    stats = client.get(reverse("admin:accreditation_request_statistics"))
    assert stats.status_code == 200
    assert [e.pk for e in stats.context["events"]] == [ours.pk]
