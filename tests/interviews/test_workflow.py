"""The interview request's state machine: the tables agree, every transition is made by the
service that owns it (and audited), and every action refuses every status it is not for."""

from __future__ import annotations

import pytest

from accreditation.errors import ServiceError, TransitionError
from accreditation.interviews import booking, contact, services
from accreditation.interviews.models import InterviewRequest, InterviewStatus
from accreditation.interviews.workflow import ACTIONS, AUDIT_ACTIONS, TRANSITIONS, can_transition
from accreditation.models import AuditEntry
from tests.interviews.helpers import ask, confirmed, forwarded, proposed, slot

pytestmark = pytest.mark.django_db
S = InterviewStatus


def test_every_action_leads_along_an_allowed_transition_and_every_transition_has_an_action():
    edges = set()
    for action, (target, sources) in ACTIONS.items():
        assert action in AUDIT_ACTIONS
        for source in sources:
            assert can_transition(source, target), (action, source, target)
            edges.add((source, target))
    table = {(source, target) for source, targets in TRANSITIONS.items() for target in targets}
    assert edges == table
    assert set(TRANSITIONS) == set(S.values)


# --- Building a request at each status, the way people get it there ---------------------------


def build(status, *, req, target, press_office, event):
    slots = [slot(event, 1, 10), slot(event, 1, 14)]
    if status == S.REQUESTED:
        return ask(req, target)
    if status == S.FORWARDED:
        return forwarded(req, target, press_office)
    if status == S.PROPOSED:
        return proposed(req, target, press_office, slots)
    if status == S.CONFIRMED:
        return confirmed(req, target, press_office, slots)
    interview = ask(req, target)
    if status == S.DECLINED:
        services.interview_decline(interview=interview, actor=press_office, reason="No time.")
    elif status == S.MERGED:
        press_point = event.sessions.get(kind="opening")
        services.interview_merge(interview=interview, actor=press_office, session=press_point)
    elif status == S.CANCELLED:
        services.interview_cancel_by_journalist(interview=interview)
    interview.refresh_from_db()
    return interview


def do(action, interview, *, press_office, event):
    """The service that does ``action``, as its person would."""
    if action == "forward":
        services.interview_forward(interview=interview, actor=press_office)
    elif action == "decline":
        services.interview_decline(interview=interview, actor=press_office, reason="No.")
    elif action == "merge":
        session = event.sessions.get(kind="opening")
        services.interview_merge(interview=interview, actor=press_office, session=session)
    elif action == "propose":
        contact.interview_propose(interview=interview, slots=[slot(event, 2, 9)], place="Hall B")
    elif action == "contact_decline":
        contact.interview_contact_decline(interview=interview, reason="Busy.")
    elif action == "confirm":
        first = interview.slots.filter(withdrawn=False).first()
        booking.interview_confirm(interview=interview, slot_id=first.pk if first else 0)
    elif action == "other_times":
        booking.interview_other_times(interview=interview, note="Later, please.")
    elif action == "cancel":
        services.interview_cancel(interview=interview, actor=press_office, reason="Changed.")
    else:  # pragma: no cover
        raise AssertionError(action)


# Sorted: the sources are sets, whose order differs between processes (pytest-xdist needs the
# same tests, in the same order, in every worker).
ALLOWED = [
    (action, source) for action, (_t, sources) in ACTIONS.items() for source in sorted(sources)
]
REFUSED = [
    (action, source)
    for action, (_t, sources) in ACTIONS.items()
    for source in S.values
    if source not in sources
]


@pytest.mark.parametrize("action, source", ALLOWED)
def test_every_transition_is_done_by_its_service_and_audited(
    action, source, event, amina, target, press_office
):
    interview = build(source, req=amina, target=target, press_office=press_office, event=event)
    assert interview.status == source
    do(action, interview, press_office=press_office, event=event)
    interview.refresh_from_db()
    assert interview.status == ACTIONS[action][0]
    entry = AuditEntry.objects.filter(data__interview=interview.pk).last()
    assert (entry.action, entry.from_status, entry.to_status, entry.request_id) == (
        AUDIT_ACTIONS[action],
        source,
        ACTIONS[action][0],
        amina.pk,
    )


@pytest.mark.parametrize("action, source", REFUSED)
def test_every_action_refuses_the_statuses_it_is_not_for(
    action, source, event, amina, target, press_office
):
    interview = build(source, req=amina, target=target, press_office=press_office, event=event)
    before = AuditEntry.objects.count()
    with pytest.raises(ServiceError) as refused:
        do(action, interview, press_office=press_office, event=event)
    # The contact's link no longer answers once the request is not theirs to answer.
    expected = "link_used" if action in ("propose", "contact_decline") else "not_allowed"
    assert refused.value.code == expected
    assert str(refused.value.message)  # a sentence for people
    interview.refresh_from_db()
    assert interview.status == source
    assert AuditEntry.objects.count() == before


def test_a_change_made_by_someone_else_meanwhile_is_refused_as_stale(
    event, amina, target, press_office
):
    from accreditation.interviews.workflow import transition

    interview = ask(amina, target)
    seen = InterviewRequest.objects.get(pk=interview.pk)
    services.interview_decline(interview=interview, actor=press_office, reason="No.")
    with pytest.raises(TransitionError) as refused:
        transition(seen, action="forward", actor=press_office)
    assert refused.value.code == "stale"
