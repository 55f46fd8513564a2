"""Confirming a slot: no journalist and no target is ever double-booked (also when two
confirmations come at the same moment), a cancellation frees the slot, and only accredited
journalists' interviews go ahead."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from accreditation.errors import ServiceError
from accreditation.interviews import booking, selectors, services
from accreditation.interviews.models import InterviewRequest
from accreditation.models import AccreditationRequest
from tests.interviews.helpers import ask, confirmed, journalist, make_target, proposed, slot

S_CONFIRMED = "confirmed"


def confirm_first(interview):
    booking.interview_confirm(interview=interview, slot_id=interview.slots.first().pk)


def refused(code, interview):
    with pytest.raises(ServiceError) as error:
        confirm_first(interview)
    assert error.value.code == code
    interview.refresh_from_db()
    assert interview.status == "proposed"


@pytest.mark.django_db
def test_a_journalist_is_not_booked_twice_at_overlapping_times(event, amina, press_office):
    confirmed(amina, make_target(event, country="FR"), press_office, [slot(event, 1, 10, 60)])
    overlapping = proposed(
        amina, make_target(event, country="ES"), press_office, [slot(event, 1, 10, 30)]
    )
    refused("journalist_busy", overlapping)


@pytest.mark.django_db
def test_a_target_is_not_booked_twice_at_overlapping_times(event, amina, target, press_office):
    karim = journalist(event)
    theirs = proposed(karim, target, press_office, [slot(event, 1, 10)])
    mine = proposed(amina, target, press_office, [slot(event, 1, 10)])
    confirm_first(theirs)
    refused("target_busy", mine)


@pytest.mark.django_db
def test_back_to_back_slots_are_not_an_overlap(event, amina, target, press_office):
    confirmed(amina, make_target(event, country="FR"), press_office, [slot(event, 1, 10, 30)])
    next_one = proposed(
        amina, target, press_office, [(slot(event, 1, 10, 30)[1], slot(event, 1, 11)[0])]
    )
    confirm_first(next_one)
    assert next_one.status == S_CONFIRMED


@pytest.mark.django_db
def test_a_group_interview_is_not_confirmed_when_someone_who_joined_is_busy(
    event, amina, target, press_office
):
    lead = proposed(amina, target, press_office, [slot(event, 1, 10)])
    karim = journalist(event)
    services.interview_merge(interview=ask(karim, target), actor=press_office, into=lead)
    confirmed(karim, make_target(event, country="FR"), press_office, [slot(event, 1, 10)])
    refused("journalist_busy", lead)


@pytest.mark.django_db
def test_a_cancellation_frees_the_slot(event, amina, target, press_office):
    karim = journalist(event)
    theirs = proposed(karim, target, press_office, [slot(event, 1, 10)])
    mine = confirmed(amina, target, press_office, [slot(event, 1, 10)])
    refused("target_busy", theirs)
    services.interview_cancel_by_journalist(interview=mine)
    confirm_first(theirs)
    assert theirs.status == S_CONFIRMED


@pytest.mark.django_db
def test_only_a_proposed_slot_of_this_request_can_be_confirmed(event, amina, target, press_office):
    mine = proposed(amina, target, press_office, [slot(event, 1, 10)])
    other = proposed(
        journalist(event), make_target(event, country="FR"), press_office, [slot(event, 2, 10)]
    )
    for slot_id in (other.slots.get().pk, 0):
        with pytest.raises(ServiceError) as error:
            booking.interview_confirm(interview=mine, slot_id=slot_id)
        assert error.value.code == "unknown_slot"


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["revoked", "withdrawn"])
def test_a_journalist_no_longer_accredited_cannot_confirm_nor_ask_for_other_times(
    status, event, amina, target, press_office
):
    interview = proposed(amina, target, press_office, [slot(event, 1, 10)])
    AccreditationRequest.objects.filter(pk=amina.pk).update(status=status)
    refused("not_accredited", interview)
    with pytest.raises(ServiceError) as error:
        booking.interview_other_times(interview=interview)
    assert error.value.code == "not_accredited"


@pytest.mark.django_db
def test_the_status_page_shows_a_slot_the_journalist_is_busy_at_as_unavailable(
    client, event, amina, press_office
):
    from accreditation.apply import status_path

    confirmed(amina, make_target(event, country="FR"), press_office, [slot(event, 1, 10)])
    interview = proposed(
        amina,
        make_target(event, country="ES"),
        press_office,
        [slot(event, 1, 10), slot(event, 1, 14)],
    )
    busy, free = interview.slots.all()
    page = client.get(status_path(amina)).content.decode()
    assert f'id="slot-{busy.pk}" disabled' in page
    assert f'id="slot-{free.pk}"  required' in page


# --- Two confirmations at the same moment -------------------------------------------------------


def slow_checks(monkeypatch):
    """Each overlap check waits a moment, so that two confirmations surely meet in it."""
    for name in ("target_busy", "journalist_busy"):
        real = getattr(selectors, name)

        def slow(*args, _real=real, **kwargs):
            time.sleep(0.3)
            return _real(*args, **kwargs)

        monkeypatch.setattr(selectors, name, slow)


def at_once(*interviews) -> list[str]:
    outcomes: list[str] = []
    start = threading.Barrier(len(interviews))

    def confirm(interview):
        try:
            start.wait()
            confirm_first(interview)
            outcomes.append("confirmed")
        except ServiceError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(i,)) for i in interviews]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_journalists_confirming_one_targets_time_at_once_cannot_both_have_it(
    monkeypatch, press_office
):
    from tests.factories import make_event

    event = make_event()
    target = make_target(event)
    first = proposed(journalist(event), target, press_office, [slot(event, 1, 10)])
    second = proposed(journalist(event), target, press_office, [slot(event, 1, 10)])
    slow_checks(monkeypatch)
    assert at_once(first, second) == ["confirmed", "target_busy"]
    assert InterviewRequest.objects.filter(status=S_CONFIRMED).count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_one_journalist_confirming_two_interviews_at_once_gets_one(monkeypatch, press_office):
    from tests.factories import make_event

    event = make_event()
    amina = journalist(event)
    first = proposed(amina, make_target(event, country="FR"), press_office, [slot(event, 1, 10)])
    second = proposed(amina, make_target(event, country="ES"), press_office, [slot(event, 1, 10)])
    slow_checks(monkeypatch)
    assert at_once(first, second) == ["confirmed", "journalist_busy"]
