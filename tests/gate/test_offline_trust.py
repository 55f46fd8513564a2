"""Nothing a phone uploads becomes an admission the server would refuse.

Each scan made offline is decided again by the server, with the rules of an online scan, at
the scan's stated time; the phone's verdict is kept beside the server's and a disagreement is
flagged. The review found, with one gate agent's token: a revoked badge, the code
``PP1:FORGED`` and an admission to the closed plenary logged as admitted, a scan dated 2001, and
a scan under another phone's device id. Each is a case here.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from accreditation import gate, review
from accreditation.badges import issuing
from accreditation.models import AuditEntry, Scan
from tests.factories import make_user
from tests.gate import helpers as g

pytestmark = pytest.mark.django_db

UPLOAD_AT = g.local(2025, 11, 24, 16, 0)
DURING_PLENARY = g.local(2025, 11, 24, 15, 0)


def upload_one(client, agent, scan, device="phone-1"):
    with time_machine.travel(UPLOAD_AT, tick=False):
        return g.upload(client, agent, device, [scan])


def phone_says_admit(checkpoint, code, at, scan_id="s1"):
    return g.offline_scan(checkpoint, code, at, scan_id=scan_id)


def assert_refused_admission(answer, reason):
    assert answer.status_code == 200, answer.json()
    g.check_response(answer, "/gate/api/offline-scans", "post")
    result = answer.json()["results"][0]
    assert (result["decision"], result["reason"], result["flag"]) == (
        "deny",
        reason,
        "device_disagreed",
    )
    logged = Scan.objects.get()
    assert (logged.decision, logged.reason, logged.flag) == ("deny", reason, "device_disagreed")
    assert (logged.device_decision, logged.device_reason) == ("admit", "ok")
    assert not Scan.objects.filter(decision="admit").exists()
    entry = AuditEntry.objects.get(action="gate.device_disagreed")
    assert entry.data["server"] == ["deny", reason] and entry.data["device"] == ["admit", "ok"]


def test_a_forged_code_uploaded_as_admitted_is_logged_as_denied(client, main_hall, gate_agent):
    scan = phone_says_admit(main_hall, "PP1:FORGED", g.DURING_OPENING)
    assert_refused_admission(upload_one(client, gate_agent, scan), "malformed")


def test_a_revoked_badge_uploaded_as_admitted_is_logged_as_denied(
    client, main_hall, badge, gate_agent, reviewer
):
    review.request_revoke(request=badge.request, actor=reviewer, reason="Misconduct")
    scan = phone_says_admit(main_hall, badge.qr_text, g.DURING_OPENING)
    assert_refused_admission(upload_one(client, gate_agent, scan), "revoked")


def test_an_old_version_uploaded_as_admitted_is_logged_as_denied(
    client, main_hall, badge, gate_agent, badge_desk
):
    old = badge.qr_text
    issuing.badge_reissue(badge=badge, actor=badge_desk, reason="Lost", confirmed=True)
    scan = phone_says_admit(main_hall, old, g.DURING_OPENING)
    assert_refused_admission(upload_one(client, gate_agent, scan), "old_version")


def test_an_admission_to_the_closed_plenary_uploaded_as_admitted_is_logged_as_denied(
    client, event, main_hall, badge, gate_agent
):
    scan = phone_says_admit(main_hall, badge.qr_text, DURING_PLENARY)
    scan["session"] = event.sessions.get(kind="plenary").pk
    assert_refused_admission(upload_one(client, gate_agent, scan), "closed_to_media")
    assert Scan.objects.get().session.kind == "plenary"


def test_an_upload_that_agrees_with_the_server_is_not_flagged(client, main_hall, badge, gate_agent):
    answer = upload_one(
        client, gate_agent, phone_says_admit(main_hall, badge.qr_text, g.DURING_OPENING)
    )
    assert answer.json()["results"][0]["flag"] == ""
    logged = Scan.objects.get()
    assert (logged.decision, logged.reason, logged.device_decision) == ("admit", "ok", "admit")


@pytest.mark.parametrize(
    "when",
    [
        "2001-06-01T10:00:00+00:00",  # the review's scan dated 2001
        "before the list",
        "no list",
        "another phone's list",
        "a list older than a week",
    ],
)
def test_a_scan_whose_time_is_outside_its_sync_window_is_refused(
    client, main_hall, badge, gate_agent, when
):
    scan = g.sealed(phone_says_admit(main_hall, badge.qr_text, g.DURING_OPENING), "phone-1")
    if when == "before the list":
        with time_machine.travel(g.DURING_OPENING + dt.timedelta(hours=1), tick=False):
            scan["sync"] = gate.sync_stamp("phone-1")
    elif when == "no list":
        scan["sync"] = "not a stamp"
    elif when == "another phone's list":
        scan["sync"] = g.sync_before(g.DURING_OPENING, "phone-2")
    elif when == "a list older than a week":
        with time_machine.travel(g.DURING_OPENING - dt.timedelta(days=8), tick=False):
            scan["sync"] = gate.sync_stamp("phone-1")
    else:
        scan["scanned_at"] = when
    answer = upload_one(client, gate_agent, scan)
    assert answer.status_code == 400, answer.json()
    assert (answer.json()["error"], answer.json()["index"]) == ("outside_sync_window", 0)
    g.check_response(answer, "/gate/api/offline-scans", "post")
    assert not Scan.objects.exists()


def test_nobody_records_scans_under_another_phones_device_id(client, main_hall, badge, gate_agent):
    """The review's case: scans uploaded under another phone's id, whose real scan was then
    discarded as a duplicate. A token names its device; the body must name the same."""
    scan = phone_says_admit(main_hall, badge.qr_text, g.DURING_OPENING)
    body = {"device_id": "victims-phone", "scans": [g.sealed(scan, "victims-phone")]}
    with time_machine.travel(UPLOAD_AT, tick=False):
        answer = client.post(
            reverse("gate:api_offline_scans"),
            data=g.json.dumps(body),
            content_type="application/json",
            headers=g.bearer(gate_agent, "attackers-phone"),
        )
        online = client.post(
            g.scan_url(main_hall),
            data=g.json.dumps({**g.scan_body(badge.qr_text), "device_id": "victims-phone"}),
            content_type="application/json",
            headers=g.bearer(gate_agent, "attackers-phone"),
        )
    assert (answer.status_code, answer.json()["error"]) == (403, "wrong_device")
    assert (online.status_code, online.json()["error"]) == (403, "wrong_device")
    g.check_response(answer, "/gate/api/offline-scans", "post")
    assert not Scan.objects.exists()


def test_a_reused_scan_id_with_another_code_is_refused_not_answered(
    client, main_hall, badge, gate_agent
):
    first = phone_says_admit(main_hall, badge.qr_text, g.DURING_OPENING, scan_id="same")
    assert upload_one(client, gate_agent, first).status_code == 200
    other = phone_says_admit(main_hall, "garbage", g.DURING_OPENING, scan_id="same")
    other.update(decision="deny", reason="malformed")
    answer = upload_one(client, gate_agent, other)
    assert answer.status_code == 400
    assert (answer.json()["error"], answer.json()["index"]) == ("scan_id_reused", 0)
    # The true replay is still a duplicate, with the first result.
    assert upload_one(client, gate_agent, first).json()["results"][0]["status"] == "duplicate"
    assert Scan.objects.count() == 1


def test_a_stale_list_admits_nothing_where_the_event_says_so(
    client, event, main_hall, badge, gate_agent
):
    event.gate_stale_list_blocks = True
    event.gate_list_max_age_minutes = 30
    event.save(update_fields=["gate_stale_list_blocks", "gate_list_max_age_minutes"])
    scan = phone_says_admit(main_hall, badge.qr_text, g.DURING_OPENING)  # list an hour old
    answer = upload_one(client, gate_agent, scan)
    result = answer.json()["results"][0]
    assert (result["decision"], result["reason"], result["flag"]) == (
        "deny",
        "stale_list",
        "device_disagreed",
    )
    # A list fresh enough: admitted.
    fresh = phone_says_admit(main_hall, badge.qr_text, g.DURING_OPENING, scan_id="s2")
    with time_machine.travel(g.DURING_OPENING - dt.timedelta(minutes=10), tick=False):
        fresh["sync"] = gate.sync_stamp("phone-1")
    assert upload_one(client, gate_agent, fresh).json()["results"][0]["decision"] == "admit"


def test_a_photo_ticket_is_for_the_agent_who_scanned(client, main_hall, badge, gate_agent):
    karim = make_user("karim", "Gate agent")
    with time_machine.travel(g.DURING_OPENING, tick=False):
        answer = g.post_json(client, g.scan_url(main_hall), g.scan_body(badge.qr_text), gate_agent)
        url = answer.json()["holder"]["photo_url"]
        assert client.get(url, headers=g.bearer(gate_agent)).status_code == 200
        theirs = client.get(url, headers=g.bearer(karim))
    assert theirs.status_code == 404
