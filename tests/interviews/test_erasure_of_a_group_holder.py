"""The erasure of the journalist whose request holds a group interview: the group goes on."""

from __future__ import annotations

import pytest
from django.core import mail

from accreditation.interviews import selectors, services
from accreditation.interviews.models import InterviewMessage, InterviewRequest
from accreditation.privacy.erasure import erase_request
from accreditation.privacy.models import ERASURE
from tests.interviews.helpers import ask, confirmed, journalist, slot

pytestmark = pytest.mark.django_db


def test_erasing_the_journalist_who_holds_a_group_hands_it_over_like_a_cancellation(
    event, amina, target, press_office, reviewer, django_capture_on_commit_callbacks
):
    """Erasing Amina deletes her request; the group interview she held is handed over to
    Karim, who joined it, as when she cancels (interviews/services.py _hand_over): he keeps
    the confirmed slot, nobody is told it is off, and what she wrote in its thread goes."""
    lead = confirmed(amina, target, press_office, [slot(event, 1, 10)])
    karim = journalist(event, given_names="Karim")
    joined = ask(karim, target, topic="Borders")
    services.interview_merge(interview=joined, actor=press_office, into=lead)
    starts, ends = lead.starts_at, lead.ends_at
    InterviewMessage.objects.create(interview=lead, author="journalist", body="Amina's words")
    InterviewMessage.objects.create(interview=lead, author="contact", body="The contact's")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        erase_request(request=amina, cause=ERASURE, actor=reviewer)

    kept = InterviewRequest.objects.filter(request=karim)
    assert not kept.filter(status="merged", merged_into__isnull=True).exists(), (
        "Karim's part is an orphan 'merged' row"
    )
    assert kept.filter(status="confirmed").exists()
    assert selectors.journalist_busy(karim.pk, starts, ends)
    assert mail.outbox == []  # the interview goes on: nothing to tell Karim or the contact
    assert list(InterviewMessage.objects.filter(interview=lead).values_list("body", flat=True)) == [
        "The contact's"
    ]
