"""Media places under concurrency on PostgreSQL: two revocations whose waiting lines cross
(each revoked person holds the place the other waits for) both go through, without a
deadlock, and no place goes to a revoked person."""

from __future__ import annotations

from functools import partial

import pytest
from django.db import connection

from accreditation import review
from accreditation.models import AccreditationRequest, Status, WaitingPlace
from accreditation.review.capacity import places_taken
from tests.concurrency import at_once
from tests.factories import make_event, make_request, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_revocations_whose_waiting_lines_cross_both_go_through():
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL (SQLite runs one writer at a time anyway)")
    event = make_event(slug="crossing")
    opening = event.sessions.get(kind="opening")
    closing = event.sessions.get(kind="closing")
    reviewers = [make_user("reviewer-a", "Reviewer"), make_user("reviewer-b", "Reviewer")]
    for rounds in range(6):
        for session in (opening, closing):
            session.media_capacity = places_taken(session) + 1
            session.save()
        first, second = make_request(event), make_request(event)
        first.sessions_requested.add(opening, closing)
        second.sessions_requested.add(opening, closing)
        review.request_approve(request=first, actor=reviewers[0], sessions=[opening])
        review.request_approve(request=second, actor=reviewers[0], sessions=[closing])
        # Their lines cross: each waits for the place the other holds.
        WaitingPlace.objects.create(session=closing, request=first)
        WaitingPlace.objects.create(session=opening, request=second)
        _results, errors = at_once(
            [
                partial(review.request_revoke, request=first, actor=reviewers[0], reason="A."),
                partial(review.request_revoke, request=second, actor=reviewers[1], reason="B."),
            ]
        )
        assert not errors, (rounds, errors)
        statuses = AccreditationRequest.objects.filter(pk__in=[first.pk, second.pk])
        assert set(statuses.values_list("status", flat=True)) == {Status.REVOKED}
        assert not WaitingPlace.objects.filter(request__in=[first, second]).exists()
        # No place went to a revoked person.
        assert not opening.granted_requests.filter(pk=second.pk).exists()
        assert not closing.granted_requests.filter(pk=first.pk).exists()
