"""Review R: the erasure of the journalist whose request holds a group interview."""

from __future__ import annotations

import pytest
from django.core import mail

from accreditation.interviews import selectors, services
from accreditation.interviews.models import InterviewRequest
from accreditation.privacy.erasure import erase_request
from accreditation.privacy.models import ERASURE
from tests.interviews.helpers import ask, confirmed, journalist, slot

pytestmark = pytest.mark.django_db


def test_erasing_the_journalist_who_holds_a_group_hands_it_over_like_a_cancellation(
    event, amina, target, press_office, reviewer, django_capture_on_commit_callbacks
):
    """erase_request deletes Amina's request, so its lead InterviewRequest cascades away; the
    members' rows keep status "merged" with merged_into NULL (SET_NULL): Karim's confirmed
    group interview vanishes without a word to him or the contact, and the slot is freed.
    Cancelling or a revocation hands the group over (interviews/services.py _hand_over)."""
    lead = confirmed(amina, target, press_office, [slot(event, 1, 10)])
    karim = journalist(event, given_names="Karim")
    joined = ask(karim, target, topic="Borders")
    services.interview_merge(interview=joined, actor=press_office, into=lead)
    starts, ends = lead.starts_at, lead.ends_at
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        erase_request(request=amina, cause=ERASURE, actor=reviewer)

    kept = InterviewRequest.objects.filter(request=karim)
    assert not kept.filter(status="merged", merged_into__isnull=True).exists(), (
        "Karim's part is an orphan 'merged' row"
    )
    assert kept.filter(status="confirmed").exists()
    assert selectors.journalist_busy(karim.pk, starts, ends)
