"""Media places per session: approvals grant a limited session while places are left, then
people wait in line; a revoked or withdrawn accreditation hands its place to the next."""

from __future__ import annotations

from functools import partial

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection, transaction

from accreditation import review
from accreditation.apply import request_withdraw, status_path
from accreditation.badges import issuing
from accreditation.models import AccreditationRequest, AuditEntry, Badge, Status, WaitingPlace
from accreditation.review import capacity
from accreditation.review.capacity import places_taken
from tests.concurrency import at_once
from tests.factories import make_event, make_request, make_user


def opening_with(event, places: int):
    opening = event.sessions.get(kind="opening")
    opening.media_capacity = places
    opening.save()
    return opening


def asking(event, opening, **fields):
    req = make_request(event, language="en", **fields)
    req.sessions_requested.add(opening)
    return req


@pytest.mark.django_db
def test_approvals_grant_the_places_there_are_then_people_wait_in_line(client, event, reviewer):
    opening = opening_with(event, 2)
    people = [asking(event, opening) for _ in range(4)]
    for req in people:
        review.request_approve(request=req, actor=reviewer)
    granted = [r for r in people if opening in r.sessions_granted.all()]
    assert granted == people[:2]
    assert places_taken(opening) == 2
    line = list(WaitingPlace.objects.filter(session=opening).values_list("request", flat=True))
    assert line == [people[2].pk, people[3].pk]  # in the order of approval
    page = client.get(status_path(people[3])).content.decode()
    assert 'id="waiting"' in page and "number 2 in line" in page


@pytest.mark.django_db
def test_a_revoked_place_goes_to_the_next_in_line_with_their_badge_and_an_email(
    event, reviewer, django_capture_on_commit_callbacks
):
    opening = opening_with(event, 1)
    first, second = asking(event, opening), asking(event, opening)
    with django_capture_on_commit_callbacks(execute=True):
        review.request_approve(request=first, actor=reviewer)
        review.request_approve(request=second, actor=reviewer)
    badge = Badge.objects.get(request=second)
    assert opening not in badge.sessions.all()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        review.request_revoke(request=first, actor=reviewer, reason="Conduct.")
    second.refresh_from_db()
    assert opening in second.sessions_granted.all()
    badge.refresh_from_db()
    assert opening in badge.sessions.all()  # the badge, not printed yet, signed again
    from accreditation.badges.signing import load_public_keys, verify_code

    assert (
        opening.pk
        in verify_code(badge.qr_text, load_public_keys(settings.BADGE_PUBLIC_KEYS)).session_ids
    )
    assert not WaitingPlace.objects.exists()
    (told,) = [m for m in mail.outbox if m.to == [second.email]]
    assert "A place became free" in told.subject
    assert opening.display_title("en") in told.body


@pytest.mark.django_db
def test_a_printed_badge_gets_a_new_version_when_a_place_comes(
    event, reviewer, badge_desk, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    opening = opening_with(event, 1)
    first, second = asking(event, opening), asking(event, opening)
    review.request_approve(request=first, actor=reviewer)
    review.request_approve(request=second, actor=reviewer)
    issuing.badge_issue(request_id=second.pk)
    Badge.objects.filter(request=second).update(printed_at=timezone.now())
    AccreditationRequest.objects.filter(pk=second.pk).update(status=Status.PRINTED)
    with django_capture_on_commit_callbacks(execute=True):
        request_withdraw(request=first)  # the journalist withdraws: the place is free
    badge = Badge.objects.get(request=second)
    assert badge.version == 2 and badge.printed_at is None
    assert AccreditationRequest.objects.get(pk=second.pk).status == Status.BADGE_ISSUED


@pytest.mark.django_db(transaction=True)
def test_reviewers_approving_at_once_never_grant_more_places_than_there_are():
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL (SQLite runs one writer at a time anyway)")
    event = make_event(slug="tribune")
    opening = opening_with(event, 3)
    reviewers = [make_user(f"reviewer-{n}", "Reviewer") for n in range(4)]
    people = [asking(event, opening) for _ in range(12)]
    _results, errors = at_once(
        [
            partial(review.request_approve, request=req, actor=reviewers[n % 4])
            for n, req in enumerate(people)
        ]
    )
    assert not errors
    assert places_taken(opening) == 3
    assert WaitingPlace.objects.filter(session=opening).count() == 9


@pytest.mark.django_db
def test_places_added_later_go_to_the_line_before_a_new_approval(event, reviewer):
    opening = opening_with(event, 1)
    first, waiting, later = (asking(event, opening) for _ in range(3))
    review.request_approve(request=first, actor=reviewer)
    review.request_approve(request=waiting, actor=reviewer)  # waits
    opening.media_capacity = 2
    opening.save()
    review.request_approve(request=later, actor=reviewer)
    assert opening in waiting.sessions_granted.all()  # the line's head got the new place
    assert opening not in later.sessions_granted.all()
    assert list(WaitingPlace.objects.values_list("request", flat=True)) == [later.pk]


# --- Staff change a session's capacity: the line moves at once --------------------------------


def approved_in_order(event, opening, reviewer, n: int) -> list:
    """``n`` people asking for the opening ceremony, approved one after the other."""
    people = [asking(event, opening) for _ in range(n)]
    for req in people:
        review.request_approve(request=req, actor=reviewer)
    return people


def change_capacity(session, places, capture):
    """As the session's admin page does: the change saved, and capacity_changed in the same
    transaction (its task runs after the commit, as a worker would)."""
    with capture(execute=True), transaction.atomic():
        session.media_capacity = places
        session.save(update_fields=["media_capacity"])
        capacity.capacity_changed(session=session)


@pytest.mark.django_db
def test_raising_a_capacity_offers_the_new_places_to_the_line_in_order(
    event, reviewer, django_capture_on_commit_callbacks
):
    opening = opening_with(event, 1)
    people = [asking(event, opening) for _ in range(4)]
    with django_capture_on_commit_callbacks(execute=True):
        for req in people:
            review.request_approve(request=req, actor=reviewer)
    mail.outbox.clear()
    change_capacity(opening, 3, django_capture_on_commit_callbacks)
    assert list(opening.granted_requests.order_by("pk")) == people[:3]
    assert list(WaitingPlace.objects.values_list("request", flat=True)) == [people[3].pk]
    told = sorted(m.to[0] for m in mail.outbox if "A place became free" in m.subject)
    assert told == sorted([people[1].email, people[2].email])
    badge = Badge.objects.get(request=people[2])
    assert opening in badge.sessions.all()  # their badge follows
    assert page_says_waiting(people[3], number=1)


def page_says_waiting(req, *, number: int) -> bool:
    from django.test import Client

    page = Client().get(status_path(req)).content.decode()
    return 'id="waiting"' in page and f"number {number} in line" in page


@pytest.mark.django_db
def test_clearing_a_capacity_grants_everyone_in_line(
    event, reviewer, django_capture_on_commit_callbacks
):
    opening = opening_with(event, 1)
    approved_in_order(event, opening, reviewer, 3)
    change_capacity(opening, None, django_capture_on_commit_callbacks)
    assert opening.granted_requests.count() == 3
    assert not WaitingPlace.objects.exists()


@pytest.mark.django_db
def test_the_hand_on_run_twice_grants_each_place_once(
    event, reviewer, django_capture_on_commit_callbacks
):
    opening = opening_with(event, 1)
    first, second, third = approved_in_order(event, opening, reviewer, 3)
    change_capacity(opening, 2, django_capture_on_commit_callbacks)
    assert capacity.places_offer(session_id=opening.pk) == []  # a retry, a duplicate task
    granted = AuditEntry.objects.filter(action="session.place_granted")
    assert list(granted.values_list("request", flat=True)) == [second.pk]
    assert places_taken(opening) == 2
    assert list(WaitingPlace.objects.values_list("request", flat=True)) == [third.pk]


@pytest.mark.django_db
def test_no_place_goes_to_someone_no_longer_accredited_nor_in_a_session_closed_since(
    event, reviewer, django_capture_on_commit_callbacks
):
    opening = opening_with(event, 1)
    first, gone, next_one = approved_in_order(event, opening, reviewer, 3)
    AccreditationRequest.objects.filter(pk=gone.pk).update(status=Status.REVOKED)  # mid-flight
    opening.media_access = "closed"
    opening.save()
    change_capacity(opening, 3, django_capture_on_commit_callbacks)
    assert places_taken(opening) == 1  # closed to media: the line waits
    opening.media_access = "open"
    opening.save()
    change_capacity(opening, 3, django_capture_on_commit_callbacks)
    assert list(opening.granted_requests.order_by("pk")) == [first, next_one]
