"""Group interviews (requests merged into another for the same person or office): who may join,
the group's slot when it is confirmed, no member booked twice, and what happens to the others
when one of them leaves, loses their accreditation, or the group is cancelled."""

from __future__ import annotations

import pytest
from django.core import mail

from accreditation import review
from accreditation.errors import ServiceError
from accreditation.interviews import booking, selectors, services
from accreditation.interviews.models import InterviewRequest
from accreditation.models import AuditEntry
from tests.interviews.helpers import ask, confirmed, journalist, make_target, proposed, slot

pytestmark = pytest.mark.django_db


def refused(code, function, **kwargs):
    with pytest.raises(ServiceError) as error:
        function(**kwargs)
    assert error.value.code == code


def group_of_two(event, amina, target, press_office, **asked):
    """Amina's confirmed interview, which Karim joined: (the group, Karim, Karim's request)."""
    lead = confirmed(amina, target, press_office, [slot(event, 1, 10)])
    karim = journalist(event, given_names="Karim")
    joined = ask(karim, target, **asked)
    services.interview_merge(interview=joined, actor=press_office, into=lead)
    mail.outbox.clear()
    return lead, karim, joined


def status(interview) -> str:
    return InterviewRequest.objects.values_list("status", flat=True).get(pk=interview.pk)


def test_only_an_accredited_journalist_joins_a_group_interview_or_a_press_point(
    event, amina, target, press_office
):
    lead = confirmed(amina, target, press_office, [slot(event, 1, 10)])
    waiting = journalist(event, status="in_review")  # may ask; not accredited yet
    theirs = ask(waiting, target)
    refused(
        "not_accredited", services.interview_merge, interview=theirs, actor=press_office, into=lead
    )
    press_point = event.sessions.get(kind="opening")
    refused(
        "not_accredited",
        services.interview_merge,
        interview=theirs,
        actor=press_office,
        session=press_point,
    )
    assert status(theirs) == "requested"
    assert not selectors.journalist_busy(waiting.pk, lead.starts_at, lead.ends_at)


def test_the_groups_confirmed_slot_reaches_everyone_in_it_with_its_calendar_entry(
    event, amina, target, press_office, django_capture_on_commit_callbacks
):
    lead = proposed(amina, target, press_office, [slot(event, 1, 10), slot(event, 2, 15)])
    karim = journalist(event, given_names="Karim", language="ar")
    services.interview_merge(interview=ask(karim, target), actor=press_office, into=lead)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        booking.interview_confirm(interview=lead, slot_id=lead.slots.last().pk)
    told = sorted(m.to[0] for m in mail.outbox)
    assert told == sorted([amina.email, karim.email, target.contact_email])
    assert all(m.attachments[0][0] == "interview.ics" for m in mail.outbox)
    lead.refresh_from_db()
    assert selectors.journalist_busy(karim.pk, lead.starts_at, lead.ends_at)


def test_a_member_of_a_confirmed_group_cannot_book_another_interview_at_its_time(
    event, amina, target, press_office
):
    lead, karim, _joined = group_of_two(event, amina, target, press_office)
    own = proposed(
        karim,
        make_target(event, country="FR"),
        press_office,
        [slot(event, 1, 10), slot(event, 1, 14)],
    )
    at_ten, at_two = own.slots.order_by("starts_at")
    assert selectors.busy_slot_ids(karim, selectors.status_interviews(karim)) == {at_ten.pk}
    refused("journalist_busy", booking.interview_confirm, interview=own, slot_id=at_ten.pk)
    booking.interview_confirm(interview=own, slot_id=at_two.pk)
    assert status(own) == "confirmed"


def test_a_member_cannot_join_two_groups_at_the_same_time(event, amina, target, press_office):
    first = confirmed(amina, target, press_office, [slot(event, 1, 10)])
    other_target = make_target(event, country="FR")
    second = confirmed(journalist(event), other_target, press_office, [slot(event, 1, 10)])
    karim = journalist(event)
    services.interview_merge(interview=ask(karim, target), actor=press_office, into=first)
    refused(
        "journalist_busy",
        services.interview_merge,
        interview=ask(karim, other_target),
        actor=press_office,
        into=second,
    )


@pytest.mark.parametrize("leaves", ["cancels", "revoked"])
def test_when_the_journalist_whose_request_holds_the_group_leaves_the_others_keep_it(
    leaves, event, amina, target, press_office, reviewer, django_capture_on_commit_callbacks
):
    lead, karim, _joined = group_of_two(event, amina, target, press_office, topic="Borders")
    starts, ends = lead.starts_at, lead.ends_at

    with django_capture_on_commit_callbacks(execute=True):
        if leaves == "cancels":
            services.interview_cancel_by_journalist(interview=lead, reason="Flight changed")
        else:
            review.request_revoke(request=amina, actor=reviewer, reason="Conduct.")

    # Karim keeps the group's slot, place and calendar entry; Amina's part is cancelled.
    (group,) = InterviewRequest.objects.filter(request=karim, status="confirmed")
    assert (group.starts_at, group.ends_at, group.place) == (starts, ends, lead.place)
    assert group.pk == lead.pk  # the same entry in the contact's calendar (its UID)
    assert group.topic == "Borders"  # what Karim asked, not what Amina did
    assert not InterviewRequest.objects.filter(request=amina).exclude(status="cancelled").exists()
    assert selectors.journalist_busy(karim.pk, starts, ends)
    assert not selectors.journalist_busy(amina.pk, starts, ends)
    assert selectors.target_busy(target.pk, starts, ends)
    # Nobody is told the interview is off: it is not. Karim is told nothing changed for him.
    assert not [m for m in mail.outbox if m.to == [karim.email]]
    assert not [m for m in mail.outbox if m.to == [target.contact_email]]
    assert AuditEntry.objects.filter(action="interview.group_handed_over").count() == 1


def test_the_press_office_cancelling_the_group_cancels_it_for_everyone(
    event, amina, target, press_office, django_capture_on_commit_callbacks
):
    lead, karim, joined = group_of_two(event, amina, target, press_office)
    with django_capture_on_commit_callbacks(execute=True):
        services.interview_cancel(interview=lead, actor=press_office, reason="Minister left")
    assert (status(lead), status(joined)) == ("cancelled", "cancelled")
    told = sorted(m.to[0] for m in mail.outbox)
    assert told == sorted([amina.email, karim.email, target.contact_email])
    (to_karim,) = [m for m in mail.outbox if m.to == [karim.email]]
    assert to_karim.attachments[0][0] == "interview.ics"  # the cancelled calendar entry


def test_a_member_leaving_leaves_the_group_as_it_was(
    event, amina, target, press_office, django_capture_on_commit_callbacks
):
    lead, karim, joined = group_of_two(event, amina, target, press_office)
    with django_capture_on_commit_callbacks(execute=True):
        services.interview_cancel_by_journalist(interview=joined)
    assert (status(lead), status(joined)) == ("confirmed", "cancelled")
    assert mail.outbox == []
    assert not selectors.journalist_busy(karim.pk, lead.starts_at, lead.ends_at)


def test_a_group_still_waiting_for_its_time_is_handed_over_and_the_next_journalist_confirms_it(
    event, amina, target, press_office, django_capture_on_commit_callbacks
):
    lead = proposed(amina, target, press_office, [slot(event, 1, 10), slot(event, 2, 15)])
    karim = journalist(event, given_names="Karim")
    services.interview_merge(interview=ask(karim, target), actor=press_office, into=lead)
    services.interview_cancel_by_journalist(interview=lead)

    (group,) = selectors.status_interviews(karim)
    assert (group.pk, group.status) == (lead.pk, "proposed")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        booking.interview_confirm(interview=group, slot_id=group.slots.last().pk)
    assert status(group) == "confirmed"
    assert sorted(m.to[0] for m in mail.outbox) == sorted([karim.email, target.contact_email])
    assert selectors.status_interviews(amina)[0].status == "cancelled"
