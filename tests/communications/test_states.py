"""The announcement's state machine: every action leads where the table allows, from the states
it names; nothing else moves."""

from __future__ import annotations

import pytest

from accreditation.communications import states
from accreditation.communications.models import Announcement, Delivery
from accreditation.errors import TransitionError
from tests.communications.helpers import draft

A = Announcement.State
D = Delivery.State


def test_every_action_is_a_transition_of_the_table():
    for _action, (target, sources) in states.ACTIONS_ALLOWED.items():
        for source in sources:
            assert states.can_transition(source, target)


def test_a_draft_is_sent_through_sending_only():
    assert states.TRANSITIONS[A.DRAFT] == {A.SENDING}
    assert not states.can_transition(A.DRAFT, A.SENT)
    assert not states.can_transition(A.SENT, A.DRAFT)


def test_deliveries_move_only_forward_or_back_to_the_queue_from_a_failure():
    assert states.delivery_sources(D.SENT) == [D.QUEUED]
    assert states.delivery_sources(D.QUEUED) == [D.FAILED]
    assert states.DELIVERY_TRANSITIONS[D.UNSUBSCRIBED] == frozenset()


@pytest.mark.django_db
def test_a_refused_transition_names_the_states_and_writes_nothing(event, press):
    from accreditation.models import AuditEntry

    announcement = draft(event, actor=press)
    with pytest.raises(TransitionError) as refused:
        states.transition(announcement, to=A.SENT)
    assert refused.value.code == "invalid_transition"
    assert not states.transition(announcement, to=A.SENT, quiet=True)
    announcement.refresh_from_db()
    assert announcement.state == A.DRAFT
    assert not AuditEntry.objects.filter(action__startswith="announcement.").exists()


@pytest.mark.django_db
def test_a_stale_copy_cannot_move_it_twice(event, press):
    announcement = draft(event, actor=press)
    stale = Announcement.objects.get(pk=announcement.pk)
    assert states.transition(announcement, to=A.SENDING)
    with pytest.raises(TransitionError):
        states.transition(stale, to=A.SENDING)
