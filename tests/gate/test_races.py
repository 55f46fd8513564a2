"""A row a scan names is deleted while the scan is on its way: an answer, never a 500.

The scan log's foreign keys are checked when its row is committed, so these tests commit
(transactional database). The deletion is made at the moment another request would make it:
after the gate has read the row, before it writes the scan.
"""

from __future__ import annotations

import psycopg
import pytest
import time_machine
from django.db import connection

from accreditation import gate
from accreditation.gate import decide as gate_decide
from accreditation.gate import offline as gate_offline
from accreditation.models import Scan
from events.models import Checkpoint
from tests.factories import make_user
from tests.gate import helpers as test_gate

DURING_OPENING = test_gate.DURING_OPENING

pytestmark = pytest.mark.django_db(transaction=True)


def patch_gate(monkeypatch, function_name: str, replacement) -> None:
    """Put ``replacement`` wherever the gate's modules call ``function_name``."""
    for module in (gate, gate_decide, gate_offline):
        if hasattr(module, function_name):
            monkeypatch.setattr(module, function_name, replacement)


def delete_before(monkeypatch, function_name: str, delete) -> None:
    """Run ``delete`` (another request's deletion) the first time gate.<function_name> runs."""
    real = getattr(gate, function_name)
    pending = [delete]

    def interleaved(*args, **kwargs):
        while pending:
            pending.pop()()
        return real(*args, **kwargs)

    patch_gate(monkeypatch, function_name, interleaved)


@pytest.mark.parametrize(
    "deleted, status, error",
    [("agent", 403, "forbidden"), ("checkpoint", 404, "unknown_checkpoint")],
)
def test_a_scan_whose_agent_or_checkpoint_is_deleted_meanwhile_gets_an_answer(
    client, monkeypatch, main_hall, badge, deleted, status, error
):
    karim = make_user("karim", "Gate agent")  # no scan yet: nothing protects the account
    url = test_gate.scan_url(main_hall)
    body = test_gate.scan_body(badge.qr_text)
    delete = {
        "agent": lambda: karim.delete(),
        "checkpoint": lambda: Checkpoint.objects.filter(pk=main_hall.pk).delete(),
    }[deleted]
    delete_before(monkeypatch, "record_scan", delete)
    with time_machine.travel(DURING_OPENING, tick=False):
        answer = test_gate.post_json(client, url, body, karim)
    assert (answer.status_code, answer.json()["error"]) == (status, error)
    assert not Scan.objects.exists()


def test_an_offline_scan_whose_agent_is_deleted_during_the_upload_is_the_uploaders(
    client, monkeypatch, main_hall, badge
):
    karim = make_user("karim", "Gate agent")
    salma = make_user("salma", "Gate agent")
    his = test_gate.offline_scan(
        main_hall, badge.qr_text, DURING_OPENING, scan_id="k1", agent=karim
    )
    # Karim's account is deleted after the upload checked his ticket, before his scan is written.
    delete_before(monkeypatch, "verify", lambda: karim.delete())
    with time_machine.travel(DURING_OPENING + test_gate.dt.timedelta(hours=1), tick=False):
        answer = test_gate.upload(client, salma, "shared-phone", [his])
    assert answer.status_code == 200, answer.content
    logged = Scan.objects.get()
    assert (logged.client_scan_id, logged.agent, logged.uploaded_by) == ("k1", salma, salma)


def test_an_upload_whose_uploader_is_deleted_meanwhile_is_refused_not_a_500(
    client, monkeypatch, main_hall, badge
):
    salma = make_user("salma", "Gate agent")
    scan = test_gate.offline_scan(main_hall, badge.qr_text, DURING_OPENING, scan_id="s1")
    delete_before(monkeypatch, "verify", lambda: salma.delete())
    with time_machine.travel(DURING_OPENING + test_gate.dt.timedelta(hours=1), tick=False):
        answer = test_gate.upload(client, salma, "shared-phone", [scan])
    assert (answer.status_code, answer.json()["error"]) == (403, "forbidden")
    assert not Scan.objects.exists()


@pytest.mark.parametrize("deleted", ["checkpoint", "session"])
def test_an_offline_scan_whose_checkpoint_or_session_is_deleted_during_the_upload_is_refused(
    client, monkeypatch, main_hall, badge, deleted
):
    """Staff delete a checkpoint (or a session) while a phone uploads what it scanned there: the
    scan cannot point at it any more. The upload says which scan and why (the page then keeps
    the others), never a 500."""
    salma = make_user("salma", "Gate agent")
    scan = test_gate.offline_scan(main_hall, badge.qr_text, DURING_OPENING, scan_id="s1")
    delete = {
        "checkpoint": lambda: Checkpoint.objects.filter(pk=main_hall.pk).delete(),
        "session": lambda: main_hall.sessions.filter(pk=scan["session"]).delete(),
    }[deleted]
    delete_before(monkeypatch, "verify", delete)
    with time_machine.travel(DURING_OPENING + test_gate.dt.timedelta(hours=1), tick=False):
        answer = test_gate.upload(client, salma, "phone-1", [scan])
    assert answer.status_code == 400, answer.content
    assert (answer.json()["error"], answer.json()["index"]) == (f"unknown_{deleted}", 0)
    assert not Scan.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
def test_an_upload_holds_the_agents_it_credits_so_a_deletion_waits_for_it(
    client, monkeypatch, main_hall, badge
):
    """While the upload writes Karim's scans, his account cannot be deleted (a deletion takes
    the row as FOR UPDATE): it waits until his scans are in, and the log then protects him."""
    karim = make_user("karim", "Gate agent")
    salma = make_user("salma", "Gate agent")
    his = test_gate.offline_scan(
        main_hall, badge.qr_text, DURING_OPENING, scan_id="k1", agent=karim
    )
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    seen = []
    real = gate.record_scan

    def another_session_tries_to_delete_karim(**kwargs):
        with psycopg.connect(**params, autocommit=True) as other:
            try:
                other.execute("SELECT 1 FROM auth_user WHERE id = %s FOR UPDATE NOWAIT", [karim.pk])
                seen.append("free")
            except psycopg.errors.LockNotAvailable:
                seen.append("locked")
        return real(**kwargs)

    patch_gate(monkeypatch, "record_scan", another_session_tries_to_delete_karim)
    with time_machine.travel(DURING_OPENING + test_gate.dt.timedelta(hours=1), tick=False):
        answer = test_gate.upload(client, salma, "shared-phone", [his])
    assert answer.status_code == 200, answer.content
    assert seen == ["locked"]
    assert Scan.objects.get().agent == karim


def test_a_scan_whose_session_is_deleted_meanwhile_is_decided_on_the_sessions_left(
    client, monkeypatch, main_hall, badge, gate_agent
):
    """Staff delete the opening while a scan for it is on its way: the scan is decided again
    on what the main hall still serves, and logged against that — not a 500."""
    opening = main_hall.sessions.get(kind="opening")
    delete_before(monkeypatch, "record_scan", lambda: opening.delete())
    with time_machine.travel(DURING_OPENING, tick=False):
        answer = test_gate.post_json(
            client, test_gate.scan_url(main_hall), test_gate.scan_body(badge.qr_text), gate_agent
        )
    assert answer.status_code == 200, answer.content
    assert answer.json()["session"]["id"] != opening.pk
    assert Scan.objects.get().session_id not in (None, opening.pk)


def test_two_gates_admitting_one_badge_at_the_same_instant_flag_the_second(
    monkeypatch, main_hall, badge, gate_agent
):
    """The review: both admitted 30 of 30, and 29 of 30 carried no "already inside" flag
    (sequentially it is flagged every time). Here gate 1 has read "not inside" when gate 2's
    whole scan happens, then gate 1 writes: one of the two admissions is flagged, always."""
    from django.test import Client

    gate2 = make_user("gate2", "Gate agent")
    answers = {}
    real = gate.record_scan
    pending = [True]

    def gate1_writes_after_gate2(**kwargs):
        while pending:
            pending.pop()
            answers["gate2"] = test_gate.post_json(
                Client(),
                test_gate.scan_url(main_hall),
                test_gate.scan_body(badge.qr_text, device_id="phone-2"),
                headers=test_gate.bearer(gate2, "phone-2"),
            ).json()
        return real(**kwargs)

    patch_gate(monkeypatch, "record_scan", gate1_writes_after_gate2)
    with time_machine.travel(DURING_OPENING, tick=False):
        answers["gate1"] = test_gate.post_json(
            Client(),
            test_gate.scan_url(main_hall),
            test_gate.scan_body(badge.qr_text),
            headers=test_gate.bearer(gate_agent),
        ).json()
    assert {a["decision"] for a in answers.values()} == {"admit"}
    flags = sorted(Scan.objects.filter(badge=badge).values_list("flag", flat=True))
    assert flags == ["", "already_inside"]
    assert answers["gate1"]["flag"] == "already_inside"  # the later write says so at once
