"""A revoked (or withdrawn) accreditation cancels its interviews: interviews_cancel_for_request,
called in the transaction that ends the accreditation (by accreditation.review.request_revoke
and accreditation.apply.request_withdraw), frees their slots and tells the contacts."""

from __future__ import annotations

import pytest
from django.core import mail

from accreditation import apply, review
from accreditation.errors import ServiceError
from accreditation.interviews import booking, services
from accreditation.interviews.models import InterviewRequest
from accreditation.models import AuditEntry
from tests.interviews.helpers import (
    ask,
    confirmed,
    forwarded,
    journalist,
    make_target,
    proposed,
    slot,
)

pytestmark = pytest.mark.django_db


def revoke(req, reviewer):
    """Revoke (it cancels the interviews itself); how many of them it cancelled."""
    before = InterviewRequest.objects.filter(status="cancelled").count()
    review.request_revoke(request=req, actor=reviewer, reason="Conduct at the opening.")
    return InterviewRequest.objects.filter(status="cancelled").count() - before


def test_revocation_cancels_every_interview_not_over_and_tells_the_contacts(
    event, amina, press_office, reviewer, django_capture_on_commit_callbacks
):
    targets = [make_target(event, country=code) for code in ("FR", "ES", "MA", "SN", "TN")]
    waiting = ask(amina, targets[0])
    sent = forwarded(amina, targets[1], press_office)
    offered = proposed(amina, targets[2], press_office, [slot(event, 1, 9)])
    booked = confirmed(amina, targets[3], press_office, [slot(event, 1, 11)])
    over = ask(amina, targets[4])
    services.interview_decline(interview=over, actor=press_office, reason="No.")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert revoke(amina, reviewer) == 4
    statuses = dict(InterviewRequest.objects.values_list("pk", "status"))
    assert [statuses[i.pk] for i in (waiting, sent, offered, booked, over)] == [
        "cancelled",
        "cancelled",
        "cancelled",
        "cancelled",
        "declined",
    ]
    contacts_told = sorted(m.to[0] for m in mail.outbox if m.to[0].startswith("contact-"))
    assert contacts_told == sorted(t.contact_email for t in targets[1:4])
    # The journalist hears of the revocation itself, not of each interview.
    assert [m.subject for m in mail.outbox if m.to == [amina.email]] == [
        m.subject for m in mail.outbox if m.to == [amina.email] and "nterview" not in m.subject
    ]
    (calendar,) = [m for m in mail.outbox if m.to == [targets[3].contact_email]]
    assert calendar.attachments[0][0] == "interview.ics"
    assert AuditEntry.objects.filter(action="interview.cancelled").count() == 4


def test_the_slot_of_a_revoked_journalist_is_free_again(
    event, amina, target, press_office, reviewer
):
    karim = journalist(event)
    theirs = proposed(karim, target, press_office, [slot(event, 1, 10)])
    confirmed(amina, target, press_office, [slot(event, 1, 10)])
    with pytest.raises(ServiceError):
        booking.interview_confirm(interview=theirs, slot_id=theirs.slots.get().pk)
    revoke(amina, reviewer)
    booking.interview_confirm(interview=theirs, slot_id=theirs.slots.get().pk)
    assert theirs.status == "confirmed"


def test_a_revoked_journalist_leaves_the_group_interview_they_joined(
    event, amina, target, press_office, reviewer
):
    karim = journalist(event)
    lead = confirmed(karim, target, press_office, [slot(event, 1, 10)])
    joined = ask(amina, target)
    services.interview_merge(interview=joined, actor=press_office, into=lead)
    revoke(amina, reviewer)
    joined.refresh_from_db()
    lead.refresh_from_db()
    assert (joined.status, lead.status) == ("cancelled", "confirmed")


def test_a_withdrawal_cancels_them_too(event, amina, target, press_office):
    interview = forwarded(amina, target, press_office)
    apply.request_withdraw(request=amina)  # it cancels them itself
    interview.refresh_from_db()
    assert interview.status == "cancelled"


def test_nothing_to_cancel_is_no_error(amina, reviewer):
    assert revoke(amina, reviewer) == 0
