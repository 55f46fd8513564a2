"""The gate's rules in Python against the one table of cases that gate.js's rules also pass
(tests/browser/test_gate_rules_browser.py): the two cannot drift apart."""

from __future__ import annotations

import pytest

from accreditation import gate
from accreditation.badges.signing import BadgeClaims
from tests.gate.rules_table import CASES, ORIGIN, at

STATUS = {"": "collected", "revoked": "revoked", "not_collected": "printed"}


def window(s: dict) -> gate.SessionWindow:
    return gate.SessionWindow(
        id=s["id"],
        title=f"session {s['id']}",
        titles={},
        kind="other",
        media_access=s["access"],
        colour="#000000",
        starts_at=at(s["opens"]),
        ends_at=at(s["closes"]),
        opens_at=at(s["opens"]),
        closes_at=at(s["closes"]),
    )


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_the_python_rules_give_the_tables_answer(case):
    windows = [window(s) for s in case["sessions"]]
    now = at(case["at"])
    claims = None
    if case["code_reason"] is None:
        claims = BadgeClaims(
            badge_id=1,
            version=case["claims_version"],
            event_id=1,
            session_ids=tuple(sorted(case["granted"])),
            key_id=1,
        )
    granted = claims.session_ids if claims else ()
    session = gate.choose_session(windows, now, granted, case["direction"], case["inside"])
    badge = case["badge"]
    state = None
    if badge is not None:
        status = STATUS[badge["state"]]
        state = (badge["version"], status, ORIGIN if status == "collected" else None)
    reason = gate.scan_reason(
        claims=claims,
        code_reason=case["code_reason"],
        badge=state,
        session=session,
        now=now,
        direction=case["direction"],
    )
    assert (session.id if session else None, reason) == (
        case["expect"]["session"],
        case["expect"]["reason"],
    )
