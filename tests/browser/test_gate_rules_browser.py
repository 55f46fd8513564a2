"""static/gate/rules.js (what a phone applies offline) in real chromium, against the one table
of cases the Python rules pass too (tests/gate/test_rules_table.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.gate.rules_table import CASES

pytestmark = pytest.mark.browser

RULES_JS = Path(__file__).resolve().parents[2] / "static" / "gate" / "rules.js"

RUN = """(cases) => cases.map((c) => {
  const R = window.PresspassGateRules;
  const ms = (m) => (m === null ? null : m * 60000);
  const windows = c.sessions.map((s) => ({
    id: s.id, mediaAccess: s.access, opensAt: ms(s.opens), closesAt: ms(s.closes),
  }));
  const claims = c.code_reason ? null : { version: c.claims_version, sessionIds: c.granted };
  const granted = new Set(claims ? claims.sessionIds : []);
  const session = R.chooseSession(windows, ms(c.at), granted, c.direction, new Set(c.inside));
  const b = c.badge;
  const entry = b && (b.state || b.version > 1) ? [1, b.version, b.state] : undefined;
  const reason = R.scanReason(c.code_reason, claims, entry, b !== null, session, ms(c.at),
                              c.direction);
  return [session ? session.id : null, reason];
})"""


def test_the_javascript_rules_give_the_tables_answers(browser):
    page = browser.new_page()
    try:
        page.set_content("<!doctype html><title>rules</title>")
        page.add_script_tag(content=RULES_JS.read_text())
        answers = page.evaluate(RUN, CASES)
    finally:
        page.close()
    expected = [[c["expect"]["session"], c["expect"]["reason"]] for c in CASES]
    wrong = [
        (c["name"], got, want)
        for c, got, want in zip(CASES, answers, expected, strict=True)
        if got != want
    ]
    assert not wrong
