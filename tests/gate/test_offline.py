"""Scans decided offline: uploaded once, each with the agent who made it, overlaps flagged."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.urls import reverse

from accreditation import gate, review
from accreditation.badges import issuing
from accreditation.models import AuditEntry, Scan
from tests.factories import make_user
from tests.gate.helpers import (
    DURING_OPENING,
    bearer,
    check_response,
    checkpoint_for,
    collected,
    decide,
    issued,
    key_before,
    local,
    offline_scan,
    post_json,
    scan_body,
    scan_url,
    sealed,
    sign_scan,
    upload,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "scanned_at, accepted",
    [
        ("2025-11-24T09:30:00Z", True),
        ("2025-11-24T09:30:00.123Z", True),  # JavaScript's toISOString()
        ("2025-11-24T10:30:00+01:00", True),
        ("2025-11-24t09:30:00z", True),  # RFC 3339 allows lower case
        ("2025-11-24 09:30:00+00:00", True),  # ... and a space
        ("2025-W48-1T09:30:00+00:00", False),  # an ISO week date: no phone sends that
        ("20251124T093000+0000", False),
        ("2025-11-24T09:30:00+00:00\x00", False),  # a trailing NUL
        ("2025-11-24T09:30:00", False),  # no offset: whose 09:30?
        ("1999-12-31T23:59:59+00:00", False),
    ],
)
def test_an_offline_scans_time_is_an_rfc_3339_date_time(
    client, main_hall, badge, gate_agent, scanned_at, accepted
):
    scan = offline_scan(main_hall, badge.qr_text, DURING_OPENING, scan_id="s1")
    scan["scanned_at"] = scanned_at
    with time_machine.travel(local(2025, 11, 24, 13, 0), tick=False):
        answer = upload(client, gate_agent, "phone-1", [scan])
    if accepted:
        assert answer.status_code == 200, answer.json()
        logged = Scan.objects.get().scanned_at
        assert logged.replace(microsecond=0) == dt.datetime(2025, 11, 24, 9, 30, tzinfo=dt.UTC)
    else:
        assert answer.status_code == 400
        assert answer.json()["field"] == "scans[0].scanned_at"
        assert not Scan.objects.exists()


def test_ids_written_as_json_floats_are_the_same_ids(client, main_hall, badge, gate_agent):
    """1.0 is an integer for JSON Schema, so for the API too."""
    scan = offline_scan(main_hall, badge.qr_text, DURING_OPENING, scan_id="s1")
    scan.update(checkpoint=float(main_hall.pk), session=float(scan["session"]))
    with time_machine.travel(local(2025, 11, 24, 13, 0), tick=False):
        assert upload(client, gate_agent, "phone-1", [scan]).status_code == 200
    assert Scan.objects.get().checkpoint == main_hall
    scan.update(client_scan_id="s2", checkpoint=main_hall.pk + 0.5)
    with time_machine.travel(local(2025, 11, 24, 13, 0), tick=False):
        assert upload(client, gate_agent, "phone-1", [scan]).status_code == 400


def test_a_retry_after_the_checkpoint_moved_on_names_the_first_scans_session(
    client, main_hall, badge, gate_agent
):
    """The answer to a scan was lost; the phone retries it the next morning, when the main hall
    waits for the closing: the retry is the same scan, admitted to the opening."""
    body = scan_body(badge.qr_text)
    with time_machine.travel(DURING_OPENING, tick=False):
        first = post_json(client, scan_url(main_hall), body, gate_agent)
    with time_machine.travel(local(2025, 11, 25, 9, 0), tick=False):
        retry = post_json(client, scan_url(main_hall), body, gate_agent)
    assert retry.json()["duplicate"] is True
    assert retry.json()["session"] == first.json()["session"]
    assert retry.json()["session"]["title"] == "Opening ceremony"
    assert (retry.json()["decision"], retry.json()["holder"]["name"]) == (
        "admit",
        badge.request.full_name,
    )


def test_a_scan_id_reused_for_another_code_is_refused_not_answered_with_the_first_scan(
    client, event, main_hall, badge, gate_agent
):
    """A client that reuses its device's scan id for another code gets a refusal (409), not the
    first scan's answer; a true retry (same code) still gets the first answer back."""
    store_room = checkpoint_for(event, name="Store room")  # serves no session
    body = scan_body("not a badge")
    with time_machine.travel(DURING_OPENING, tick=False):
        first = post_json(client, scan_url(store_room), body, gate_agent)
        again = post_json(client, scan_url(main_hall), {**body, "code": badge.qr_text}, gate_agent)
        retry = post_json(client, scan_url(store_room), body, gate_agent)
    assert first.json()["decision"] == "deny" and first.json()["session"] is None
    assert again.status_code == 409 and again.json()["error"] == "scan_id_reused"
    check_response(again, "/gate/api/checkpoints/{checkpoint_id}/scan", "post")
    assert retry.json()["duplicate"] is True and retry.json()["scan_id"] == first.json()["scan_id"]
    assert Scan.objects.count() == 1


def test_replaying_an_offline_upload_records_each_scan_once(client, main_hall, badge, gate_agent):
    scans = [
        offline_scan(main_hall, badge.qr_text, DURING_OPENING, scan_id="a1"),
        offline_scan(
            main_hall,
            badge.qr_text,
            DURING_OPENING + dt.timedelta(minutes=30),
            scan_id="a2",
            reason="exit",
            direction="out",
        ),
        offline_scan(
            main_hall, "garbage", DURING_OPENING, scan_id="a3", decision="deny", reason="malformed"
        ),
    ]
    with time_machine.travel(local(2025, 11, 24, 13, 0), tick=False):
        first = upload(client, gate_agent, "phone-9", scans)
        again = upload(client, gate_agent, "phone-9", scans)
    assert first.status_code == again.status_code == 200
    check_response(first, "/gate/api/offline-scans", "post")
    assert [r["status"] for r in first.json()["results"]] == ["recorded"] * 3
    assert [r["status"] for r in again.json()["results"]] == ["duplicate"] * 3
    assert again.json()["duplicates"] == 3
    assert Scan.objects.count() == 3
    entry = Scan.objects.get(client_scan_id="a1")
    assert (entry.badge, entry.offline, entry.agent, entry.scanned_at) == (
        badge,
        True,
        gate_agent,
        DURING_OPENING,
    )
    assert Scan.objects.get(client_scan_id="a3").badge is None
    # Another device may use the same scan ids: they are its own scans.
    with time_machine.travel(local(2025, 11, 24, 13, 0), tick=False):
        assert upload(client, gate_agent, "phone-10", scans[:1]).json()["recorded"] == 1


def test_a_badge_admitted_at_two_gates_while_offline_is_flagged_afterwards(
    client, event, main_hall, badge, gate_agent
):
    side_door = checkpoint_for(event, "opening", name="Side door")
    youssef = make_user("youssef", "Gate agent")
    with time_machine.travel(local(2025, 11, 24, 13, 0), tick=False):
        a = upload(
            client,
            gate_agent,
            "phone-a",
            [offline_scan(main_hall, badge.qr_text, DURING_OPENING, scan_id="x")],
        )
        # The other phone uploads later a scan it made *earlier*: the late upload is flagged.
        late = offline_scan(
            side_door,
            badge.qr_text,
            DURING_OPENING - dt.timedelta(minutes=5),
            scan_id="y",
            agent=youssef,
        )
        b = upload(client, gate_agent, "phone-b", [late])
        replay = upload(client, gate_agent, "phone-b", [late])
    assert a.json()["results"][0]["flag"] == ""
    assert b.json()["results"][0]["flag"] == "admitted_at_two_gates"
    assert b.json()["results"][0]["flag_message"] == "Admitted at two gates while offline."
    assert replay.json()["results"][0] == {**b.json()["results"][0], "status": "duplicate"}
    flagged = Scan.objects.get(flag="admitted_at_two_gates")
    assert flagged.device_id == "phone-b"
    entry = AuditEntry.objects.get(action="gate.admitted_at_two_gates")
    assert entry.request == badge.request and entry.data["badge"] == badge.pk
    assert entry.data["agents"] == [gate_agent.pk, youssef.pk]  # who let the badge in, twice


def test_an_exit_between_two_offline_entries_means_no_flag(
    client, event, main_hall, badge, gate_agent
):
    side_door = checkpoint_for(event, "opening", name="Side door")
    t = DURING_OPENING
    with time_machine.travel(local(2025, 11, 24, 13, 0), tick=False):
        upload(
            client,
            gate_agent,
            "phone-a",
            [
                offline_scan(main_hall, badge.qr_text, t, scan_id="1"),
                offline_scan(
                    main_hall,
                    badge.qr_text,
                    t + dt.timedelta(minutes=10),
                    scan_id="2",
                    reason="exit",
                    direction="out",
                ),
            ],
        )
        later = upload(
            client,
            gate_agent,
            "phone-b",
            [offline_scan(side_door, badge.qr_text, t + dt.timedelta(minutes=20), scan_id="3")],
        )
        twice = upload(
            client,
            gate_agent,
            "phone-b",
            [offline_scan(side_door, badge.qr_text, t + dt.timedelta(minutes=25), scan_id="4")],
        )
    assert later.json()["results"][0]["flag"] == ""
    assert twice.json()["results"][0]["flag"] == "already_inside"  # same phone: it knew


def test_an_offline_entry_overlapping_an_online_one_is_flagged(
    client, main_hall, badge, gate_agent
):
    decide(main_hall, badge.qr_text, gate_agent, at=DURING_OPENING, device="online-phone")
    with time_machine.travel(local(2025, 11, 24, 13, 0), tick=False):
        response = upload(
            client,
            gate_agent,
            "offline-phone",
            [
                offline_scan(
                    main_hall, badge.qr_text, DURING_OPENING + dt.timedelta(minutes=1), scan_id="z"
                )
            ],
        )
    assert response.json()["results"][0]["flag"] == "admitted_at_two_gates"


@pytest.mark.parametrize(
    "change, error",
    [
        ({"checkpoint": 999999}, "unknown_checkpoint"),
        ({"session": 999999}, "unknown_session"),
        ({"decision": "admit", "reason": "revoked"}, "inconsistent"),
        ({"decision": "deny", "reason": "ok"}, "inconsistent"),
        ({"scanned_at": "2025-11-24T11:00:00"}, "invalid"),  # no offset
        ({"scanned_at": "2999-01-01T00:00:00+00:00"}, "invalid"),  # the future
        ({"reason": "because"}, "invalid"),
        ({"agent": "gate"}, "invalid"),
        ({"agent": True}, "invalid"),
        ({"agent": -1}, "invalid"),
        ({"agent": 0}, "invalid"),
        ({"agent": 1.5}, "invalid"),
        ({"agent": 2**63}, "invalid"),
        ({"agent": [1]}, "invalid"),
    ],
)
def test_an_offline_upload_with_a_bad_scan_is_refused_whole_and_names_it(
    client, main_hall, badge, gate_agent, change, error
):
    good = offline_scan(main_hall, badge.qr_text, DURING_OPENING, scan_id="good")
    bad = {**offline_scan(main_hall, badge.qr_text, DURING_OPENING, scan_id="bad"), **change}
    with time_machine.travel(local(2025, 11, 24, 13, 0), tick=False):
        response = upload(client, gate_agent, "phone-1", [good, bad])
    assert response.status_code == 400
    assert response.json()["error"] == error and response.json()["index"] == 1
    assert response.json()["message"]
    check_response(response, "/gate/api/offline-scans", "post")
    assert not Scan.objects.exists()


def test_a_scan_made_offline_is_logged_as_its_agents_even_when_another_agent_uploads_it(
    client, main_hall, badge, gate_agent
):
    """Amina's badge is scanned offline by Karim on a shared phone; his shift ends, and Salma
    signs in on the same phone once the network is back: her session uploads his scans."""
    karim, salma = gate_agent, make_user("salma", "Gate agent")
    t = DURING_OPENING
    his = [
        offline_scan(main_hall, badge.qr_text, t, scan_id="k1", agent=karim),
        offline_scan(
            main_hall, "garbage", t, scan_id="k2", decision="deny", reason="malformed", agent=karim
        ),
    ]
    hers = offline_scan(
        main_hall,
        badge.qr_text,
        t + dt.timedelta(minutes=40),
        scan_id="s1",
        reason="exit",
        direction="out",
        agent=salma,
    )
    # Queued by an older page, which did not record who scanned: the uploader's, as before.
    anonymous = offline_scan(
        main_hall,
        "garbage",
        t + dt.timedelta(minutes=41),
        scan_id="old",
        decision="deny",
        reason="malformed",
    )
    scans = [*his, hers, anonymous]
    with time_machine.travel(local(2025, 11, 24, 13, 0), tick=False):
        first = upload(client, salma, "shared-phone", scans)
        again = upload(client, karim, "shared-phone", scans)  # a replay, by anyone, adds nothing
    assert first.status_code == again.status_code == 200
    check_response(first, "/gate/api/offline-scans", "post")
    assert first.json()["recorded"] == 4 and again.json()["duplicates"] == 4
    logged = {s.client_scan_id: (s.agent, s.uploaded_by, s.offline) for s in Scan.objects.all()}
    assert logged == {
        "k1": (karim, salma, True),
        "k2": (karim, salma, True),
        "s1": (salma, salma, True),
        "old": (salma, salma, True),
    }


def test_the_scan_log_in_the_admin_shows_supervisors_who_scanned_and_who_uploaded_read_only(
    client, main_hall, badge, gate_agent, supervisor, reviewer, django_assert_max_num_queries
):
    salma = make_user("salma", "Gate agent")
    with time_machine.travel(local(2025, 11, 24, 13, 0), tick=False):
        for n in range(3):
            scan = offline_scan(
                main_hall, badge.qr_text, DURING_OPENING, scan_id=f"k{n}", agent=gate_agent
            )
            upload(client, salma, f"phone-{n}", [scan])
    client.force_login(reviewer)  # reviewers decide requests; the gates are not theirs
    assert client.get(reverse("admin:accreditation_scan_changelist")).status_code == 403
    client.force_login(supervisor)
    # 11: one of them reads the events the supervisor is assigned to; not one more per scan.
    with django_assert_max_num_queries(11):
        page = client.get(reverse("admin:accreditation_scan_changelist"))
    assert page.status_code == 200
    header = [str(c["text"]) for c in page.context["result_headers"]]
    assert {"agent", "uploaded by"} <= set(header)
    rows = page.context["cl"].result_list
    assert {(s.agent.username, s.uploaded_by.username) for s in rows} == {("gate", "salma")}
    one = rows[0]
    detail = client.get(reverse("admin:accreditation_scan_change", args=[one.pk]))
    assert detail.status_code == 200 and "salma" in detail.text
    assert client.post(reverse("admin:accreditation_scan_change", args=[one.pk])).status_code == 403


@pytest.mark.parametrize(
    "claim",
    [
        "no proof",
        "someone else's proof",
        "a proof from after the scan",
        "an unusable proof",
        "a proof made on another phone",
        "a proof of another scan",
        "a proof older than a week",
        "a reviewer",
        "no one",
    ],
)
def test_an_offline_scan_that_cannot_prove_its_agent_is_the_uploaders(
    client, main_hall, badge, gate_agent, reviewer, claim
):
    """A phone (or a program) cannot credit scans to someone else: without a MAC of this very
    scan under the scan key that agent's page got on this phone, a scan is logged as the
    uploader's — and nothing is lost."""
    salma = make_user("salma", "Gate agent")
    later = DURING_OPENING + dt.timedelta(hours=1)
    scan = sealed(offline_scan(main_hall, badge.qr_text, DURING_OPENING, scan_id="s1"), "phone-1")
    scan["agent"] = (
        reviewer.pk if claim == "a reviewer" else 987654 if claim == "no one" else salma.pk
    )
    if claim == "someone else's proof":
        scan = sign_scan(scan, key_before(DURING_OPENING, gate_agent, "phone-1"))
    elif claim == "a proof from after the scan":
        scan = sign_scan(scan, key_before(later + dt.timedelta(hours=1), salma, "phone-1"))
    elif claim == "an unusable proof":
        scan.update(agent_key=["not", "a", "key"], agent_mac=7)
    elif claim == "a proof made on another phone":
        scan = sign_scan(scan, key_before(DURING_OPENING, salma, "phone-2"))
    elif claim == "a proof of another scan":
        # A MAC copied from a genuine scan of Salma's (as a queue in the phone's storage holds
        # it) does not vouch for a scan made up beside it.
        genuine = sign_scan(
            {**scan, "code": "garbage"}, key_before(DURING_OPENING, salma, "phone-1")
        )
        scan.update(agent_key=genuine["agent_key"], agent_mac=genuine["agent_mac"])
    elif claim == "a proof older than a week":
        scan = sign_scan(scan, key_before(DURING_OPENING - dt.timedelta(days=8), salma, "phone-1"))
    with time_machine.travel(local(2025, 11, 24, 13, 0), tick=False):
        answer = upload(client, gate_agent, "phone-1", [scan])
    assert answer.status_code == 200, answer.json()
    check_response(answer, "/gate/api/offline-scans", "post")
    logged = Scan.objects.get()
    assert (logged.agent, logged.uploaded_by, logged.flag) == (gate_agent, gate_agent, "")


def test_a_proven_offline_scan_is_its_agents(client, main_hall, badge, gate_agent):
    salma = make_user("salma", "Gate agent")
    scan = offline_scan(main_hall, badge.qr_text, DURING_OPENING, scan_id="s1", agent=salma)
    with time_machine.travel(local(2025, 11, 24, 13, 0), tick=False):
        assert upload(client, gate_agent, "phone-1", [scan]).status_code == 200
    assert (Scan.objects.get().agent, Scan.objects.get().uploaded_by) == (salma, gate_agent)


@pytest.mark.parametrize("change", ["deactivated", "out of the gate role", "deleted"])
def test_scans_made_offline_by_an_agent_whose_account_changed_before_the_upload_are_logged_flagged(
    client, main_hall, badge, gate_agent, change
):
    """Karim's shift ends, his account is closed before his phone is back online; Salma, the
    next shift, uploads what he scanned. It happened at the gate: it is logged, and flagged."""
    karim = make_user("karim", "Gate agent")
    salma = make_user("salma", "Gate agent")
    his = offline_scan(main_hall, badge.qr_text, DURING_OPENING, scan_id="k1", agent=karim)
    hers = offline_scan(
        main_hall,
        badge.qr_text,
        DURING_OPENING + dt.timedelta(minutes=5),
        scan_id="s1",
        agent=salma,
        reason="exit",
        direction="out",
    )
    if change == "deactivated":
        karim.is_active = False
        karim.save()
    elif change == "out of the gate role":
        karim.groups.clear()
    else:
        karim.delete()  # no scan of his was logged yet: nothing protects the account
    with time_machine.travel(local(2025, 11, 24, 13, 0), tick=False):
        answer = upload(client, salma, "shared-phone", [his, hers])
        replay = upload(client, salma, "shared-phone", [his, hers])
    assert answer.status_code == 200, answer.json()
    check_response(answer, "/gate/api/offline-scans", "post")
    # His account gone altogether, his scans are those of who answers for them: the uploader.
    his_agent, his_flag = (salma, "") if change == "deleted" else (karim, "agent_not_allowed")
    assert [(r["client_scan_id"], r["flag"]) for r in answer.json()["results"]] == [
        ("k1", his_flag),
        ("s1", ""),
    ]
    assert replay.json()["duplicates"] == 2
    logged = {
        s.client_scan_id: (s.agent, s.uploaded_by, s.decision, s.flag) for s in Scan.objects.all()
    }
    assert logged == {
        "k1": (his_agent, salma, "admit", his_flag),
        "s1": (salma, salma, "admit", ""),
    }


def test_the_revocation_list_gives_a_gate_what_it_needs_to_decide_offline(
    client, event, main_hall, badge, reviewer, badge_desk, gate_agent
):
    revoked = collected(event, reviewer, badge_desk)
    review.request_revoke(request=revoked.request, actor=reviewer, reason="Forged card")
    reissued = collected(event, reviewer, badge_desk)
    issuing.badge_reissue(badge=reissued, actor=badge_desk, reason="Lost", confirmed=True)
    uncollected = issued(event, reviewer)
    response = client.get(
        reverse("gate:api_revocations", args=[main_hall.pk]), headers=bearer(gate_agent)
    )
    assert response.status_code == 200
    check_response(response, "/gate/api/checkpoints/{checkpoint_id}/revocations", "get")
    envelope = response.json()
    data = json.loads(envelope["payload"])
    assert gate.list_signature_valid(envelope)
    assert data["badges"] == [
        [revoked.pk, 1, "revoked"],
        [reissued.pk, 2, "not_collected"],
        [uncollected.pk, 1, "not_collected"],
    ]
    assert data["max_badge_id"] == uncollected.pk
    assert data["keys"] == gate.public_keys_b64()
    sessions = {s["title"]: s for s in data["sessions"]}
    opening = sessions["Opening ceremony"]
    assert (
        opening["at_checkpoint"] is True and sessions["Press conference"]["at_checkpoint"] is False
    )
    assert opening["opens_at"] == "2025-11-24T08:30:00Z"
    # No announced end: 120 minutes after the start (10:30 in Marrakech, UTC+1), not midnight.
    assert opening["closes_at"] == "2025-11-24T11:30:00Z"
    assert sessions["Closing ceremony"]["opens_at"] is None
    assert data["messages"]["reasons"]["closed_to_media"] == "This session is closed to media."
    assert set(data["messages"]["reasons"]) == set(gate.REASONS)


def test_counters_say_who_was_admitted_and_who_is_inside(client, main_hall, badge, gate_agent):
    decide(main_hall, badge.qr_text, gate_agent)
    response = client.get(
        reverse("gate:api_counters", args=[main_hall.pk]), headers=bearer(gate_agent)
    )
    check_response(response, "/gate/api/checkpoints/{checkpoint_id}/counters", "get")
    by_title = {s["title"]: s for s in response.json()["sessions"]}
    assert by_title["Opening ceremony"] | {"id": 0} == {
        "id": 0,
        "title": "Opening ceremony",
        "admitted": 1,
        "inside": 1,
        "capacity": None,
        "full": False,
    }
    assert by_title["Plenary"]["admitted"] == 0


def test_the_counters_tell_the_agent_when_a_sessions_media_area_is_full(
    client, main_hall, badge, gate_agent
):
    opening = badge.sessions.get(kind="opening")
    opening.media_capacity = 1
    opening.save()
    url = reverse("gate:api_counters", args=[main_hall.pk])
    before = {s["id"]: s for s in client.get(url, headers=bearer(gate_agent)).json()["sessions"]}
    assert before[opening.pk]["capacity"] == 1 and before[opening.pk]["full"] is False
    decide(main_hall, badge.qr_text, gate_agent)
    response = client.get(url, headers=bearer(gate_agent))
    check_response(response, "/gate/api/checkpoints/{checkpoint_id}/counters", "get")
    after = {s["id"]: s for s in response.json()["sessions"]}
    assert after[opening.pk]["inside"] == 1 and after[opening.pk]["full"] is True
