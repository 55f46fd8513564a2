"""The demo as shipped: at the main hall, a media badge is denied at every minute of the closed
plenary, and admitted to the opening ceremony only while it lasts (the defect the review found:
scanned during the plenary on opening day, it was ADMITTED "Opening ceremony")."""

from __future__ import annotations

import datetime as dt

import pytest

from accreditation import gate, review
from accreditation.badges import issuing, printing
from events.demo import seed_ga93
from events.models import Checkpoint
from tests.factories import make_request, make_user

pytestmark = pytest.mark.django_db


def test_the_seeded_main_hall_denies_media_at_every_minute_of_the_plenary():
    event = seed_ga93(keep_published_dates=True).event
    hall = Checkpoint.objects.get(event=event, name="Main hall entrance")
    sessions = {s.kind: s for s in event.sessions.all()}
    assert all(s.ends_at for s in sessions.values() if s.starts_at), "every announced session ends"
    reviewer, desk = make_user("reviewer", "Reviewer"), make_user("desk", "Badge desk")
    agent = make_user("gate", "Gate agent")
    req = make_request(event, given_names="Amina")
    # Granted every session open to media (the opening and the closing).
    review.request_approve(request=req, actor=reviewer)
    badge = issuing.badge_issue(request_id=req.pk)
    printing.batch_render(
        batch_id=printing.batch_create(event=event, badges=[badge], actor=desk).pk
    )
    issuing.badge_handover(badge=badge, actor=desk, identity_checked=True)
    badge.refresh_from_db()
    context = gate.checkpoint_context(checkpoint_id=hall.pk, agent_id=agent.pk, code=badge.qr_text)
    assert context.badge is not None
    granted = badge.sessions.values_list("pk", flat=True)
    plenary = sessions["plenary"]
    doors = plenary.starts_at - dt.timedelta(minutes=event.doors_open_minutes)
    t, admitted = doors, []
    while t < plenary.ends_at:
        chosen = gate.choose_session(context.windows, t, granted, gate.ENTRY)
        reason = gate.session_reason(chosen, t, granted)
        if reason == "ok":
            admitted.append(t)
        t += dt.timedelta(minutes=1)
    assert admitted == []
    # And the opening admits only from its doors to its announced end.
    opening = sessions["opening"]
    during = opening.starts_at + dt.timedelta(minutes=30)
    after = opening.ends_at
    chosen = gate.choose_session(context.windows, during, granted, gate.ENTRY)
    assert (chosen.id, gate.session_reason(chosen, during, granted)) == (opening.pk, "ok")
    chosen = gate.choose_session(context.windows, after, granted, gate.ENTRY)
    assert gate.session_reason(chosen, after, granted) != "ok"
    # The same through a real decision, logged, in the middle of the plenary on opening day.
    result = gate.gate_decide(
        context=context,
        agent_id=agent.pk,
        device_id="phone-1",
        client_scan_id="demo-1",
        now=opening.starts_at + dt.timedelta(hours=5),
    )
    assert (result.decision, result.reason, result.session.kind) == (
        "deny",
        "closed_to_media",
        "plenary",
    )
