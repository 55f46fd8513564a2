"""The gate's JSON API and page: answers, tokens, errors, the OpenAPI description."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import time_machine
from django.test import Client
from django.urls import resolve, reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accreditation import gate
from accreditation.gate.api import read_token
from accreditation.gate.openapi import schema as openapi_schema
from accreditation.models import Scan
from tests.gate.helpers import (
    DURING_OPENING,
    _json_values,
    _scan_like,
    bearer,
    check_response,
    local,
    post_json,
    scan_body,
    scan_url,
)

pytestmark = pytest.mark.django_db


def test_a_successful_online_scan_costs_at_most_three_queries(
    client, main_hall, badge, gate_agent, django_assert_num_queries
):
    headers = bearer(gate_agent)
    with time_machine.travel(DURING_OPENING, tick=False):
        post_json(client, scan_url(main_hall), scan_body(badge.qr_text), headers=headers)
        # Exactly the read and the INSERT (the issue allows three): counting them exactly also
        # proves the statements are logged, whatever cursor they run on.
        with django_assert_num_queries(2):
            response = post_json(
                client, scan_url(main_hall), scan_body(badge.qr_text), headers=headers
            )
    assert response.status_code == 200
    body = response.json()
    assert (body["decision"], body["reason"], body["flag"]) == ("admit", "ok", "already_inside")


def test_the_scan_answer_has_what_the_agent_needs_and_a_retry_is_recorded_once(
    client, main_hall, badge, gate_agent
):
    body = scan_body(badge.qr_text)
    with time_machine.travel(DURING_OPENING, tick=False):
        first = post_json(client, scan_url(main_hall), body, gate_agent)
        retry = post_json(client, scan_url(main_hall), body, gate_agent)
    assert first.status_code == retry.status_code == 200
    answer = first.json()
    check_response(first, "/gate/api/checkpoints/{checkpoint_id}/scan", "post")
    assert answer["decision"] == "admit" and answer["message"] == "Valid badge for this session."
    holder = answer["holder"]
    assert holder["name"] == badge.request.full_name
    assert (holder["outlet"], holder["country"], holder["country_name"]) == (
        "Le Matin",
        "MA",
        "Morocco",
    )
    assert answer["session"]["title"] == "Opening ceremony"
    assert retry.json()["duplicate"] is True
    assert retry.json()["scan_id"] == answer["scan_id"]
    assert retry.json()["flag"] == ""  # the first answer, not "already inside"
    assert Scan.objects.count() == 1
    with time_machine.travel(DURING_OPENING + dt.timedelta(minutes=1), tick=False):
        photo = client.get(holder["photo_url"], headers=bearer(gate_agent))
        anonymous = client.get(holder["photo_url"])
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    assert photo["Cache-Control"] == "no-store, private"
    assert b"".join(photo.streaming_content)[:2] == b"\xff\xd8"
    assert anonymous.status_code == 401
    # A ticket is short-lived: the agent sees the face of the badge in front of them, no more.
    with time_machine.travel(DURING_OPENING + dt.timedelta(minutes=20), tick=False):
        expired = client.get(holder["photo_url"], headers=bearer(gate_agent))
    assert expired.status_code == 404
    bad_ticket = client.get(reverse("gate:api_photo", args=["nope"]), headers=bearer(gate_agent))
    assert bad_ticket.status_code == 404 and bad_ticket.json()["error"] == "no_photo"


def test_the_answer_is_in_the_agents_language(client, main_hall, badge, gate_agent):
    with time_machine.travel(local(2025, 11, 24, 8, 0), tick=False):
        response = post_json(
            client,
            scan_url(main_hall),
            scan_body(badge.qr_text),
            gate_agent,
            headers={"Accept-Language": "fr"},
        )
    answer = response.json()
    assert answer["reason"] == "too_early"
    assert answer["session"]["title"] == "Cérémonie d'ouverture"


def test_a_denied_scan_is_an_answer_not_an_error(client, main_hall, gate_agent):
    response = post_json(client, scan_url(main_hall), scan_body("not a badge"), gate_agent)
    assert response.status_code == 200
    assert response.json()["decision"] == "deny" and response.json()["reason"] == "malformed"
    check_response(response, "/gate/api/checkpoints/{checkpoint_id}/scan", "post")


def test_only_gate_agents_and_staff_above_them_may_use_the_api(
    client, main_hall, badge, gate_agent, supervisor, reviewer, badge_desk
):
    url = scan_url(main_hall)
    no_token = post_json(client, url, scan_body(badge.qr_text))
    assert no_token.status_code == 401 and no_token.json()["error"] == "not_authenticated"
    assert no_token["WWW-Authenticate"].startswith("Bearer")
    forged = post_json(
        client, url, scan_body(badge.qr_text), headers={"Authorization": "Bearer x:y"}
    )
    assert forged.json()["error"] == "invalid_token"
    for outsider in (reviewer, badge_desk):
        refused = post_json(client, url, scan_body(badge.qr_text), outsider)
        assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    assert post_json(client, url, scan_body(badge.qr_text), supervisor).status_code == 200
    headers = bearer(gate_agent)
    gate_agent.is_active = False
    gate_agent.save(update_fields=["is_active"])
    assert post_json(client, url, scan_body(badge.qr_text), headers=headers).status_code == 403
    gate_agent.is_active = True
    gate_agent.set_password("a new password for the gate")
    gate_agent.save()
    changed = post_json(client, url, scan_body(badge.qr_text), headers=headers)
    assert changed.status_code == 401 and changed.json()["error"] == "invalid_token"
    assert Scan.objects.count() == 1  # only the supervisor's scan


def test_a_gate_token_expires(client, main_hall, badge, gate_agent):
    with time_machine.travel(DURING_OPENING, tick=False):
        headers = bearer(gate_agent)
    with time_machine.travel(DURING_OPENING + dt.timedelta(hours=17), tick=False):
        response = post_json(client, scan_url(main_hall), scan_body(badge.qr_text), headers=headers)
    assert response.status_code == 401 and response.json()["error"] == "token_expired"


def test_a_signed_in_agent_gets_a_token_from_the_session(client, gate_agent, reviewer):
    url = reverse("gate:api_token")
    assert client.get(url).status_code == 401
    client.force_login(reviewer)
    assert client.get(url).status_code == 403
    client.force_login(gate_agent)
    response = client.get(url)
    assert response.status_code == 200
    check_response(response, "/gate/api/token", "get")
    # It names the agent signed in (a page kept for another agent adopts this one), with the
    # scan key the page signs its offline scans with, and the device the server named.
    agent = response.json()["agent"]
    assert (agent["id"], agent["name"]) == (gate_agent.pk, gate_agent.username)
    device = response.json()["device"]
    assert device["id"].startswith("web-") and len(device["id"]) == 36
    assert gate.device_from_credential(device["credential"]) == device["id"]
    key_id, key = agent["scan_key"]["id"], agent["scan_key"]["key"]
    import hashlib
    import hmac

    soon = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    mac = hmac.new(key.encode(), b"a scan", hashlib.sha256).hexdigest()
    proves = dict(mac=mac, text="a scan", scanned_at=soon)
    assert gate.scan_proven(key_id, **proves, agent_id=gate_agent.pk, device_id=device["id"])
    assert not gate.scan_proven(key_id, **proves, agent_id=reviewer.pk, device_id=device["id"])
    assert not gate.scan_proven(key_id, **proves, agent_id=gate_agent.pk, device_id="web-other")
    agent_id, fingerprint, token_device = read_token(response.json()["token"])
    assert (agent_id, fingerprint, token_device) == (
        gate_agent.pk,
        gate.token_fingerprint(gate_agent.password),
        device["id"],
    )
    # The phone shows its credential next time: same device. A made-up one: a new device.
    again = client.get(url, {"device": device["credential"]}).json()["device"]
    assert again["id"] == device["id"]
    made_up = client.get(url, {"device": "web-" + "0" * 32}).json()["device"]
    assert made_up["id"] != device["id"] and made_up["id"] != "web-" + "0" * 32


@pytest.mark.parametrize(
    "body, status, error",
    [
        (b"{not json", 400, "bad_json"),
        (b"[1, 2]", 400, "bad_json"),
        (b"\xff\xfe", 400, "bad_json"),
        (json.dumps({"code": "x"}), 400, "invalid"),
        (json.dumps({"code": "", "device_id": "d", "client_scan_id": "c"}), 400, "invalid"),
        (json.dumps({"code": 5, "device_id": "d", "client_scan_id": "c"}), 400, "invalid"),
        (json.dumps({"code": "x", "device_id": "d\u0000", "client_scan_id": "c"}), 400, "invalid"),
        (
            json.dumps({"code": "x", "device_id": "d", "client_scan_id": "c", "direction": "up"}),
            400,
            "invalid",
        ),
        (json.dumps({"code": "x" * 5000, "device_id": "d", "client_scan_id": "c"}), 400, "invalid"),
        (b"[" * 5000, 400, "bad_json"),
        (b" " * 9000, 413, "too_large"),
    ],
)
def test_malformed_requests_get_a_4xx_json_answer(
    client, main_hall, gate_agent, body, status, error
):
    response = post_json(client, scan_url(main_hall), body, gate_agent)
    assert response.status_code == status
    assert response.json()["error"] == error
    check_response(response, "/gate/api/checkpoints/{checkpoint_id}/scan", "post")
    assert not Scan.objects.exists()


def test_unknown_checkpoints_methods_and_addresses_get_json_errors(client, main_hall, gate_agent):
    body = scan_body("PP1:")
    for checkpoint_id in (999999, 0, 10**30):
        response = post_json(
            client, f"/gate/api/checkpoints/{checkpoint_id}/scan", body, gate_agent
        )
        assert response.status_code == 404 and response.json()["error"] == "unknown_checkpoint"
    wrong_method = client.get(scan_url(main_hall), headers=bearer(gate_agent))
    assert wrong_method.status_code == 405 and wrong_method["Allow"] == "POST"
    assert wrong_method.json()["error"] == "method_not_allowed"
    for path in ("/gate/api/nothing", "/gate/api/checkpoints/abc/scan", "/gate/api"):
        response = client.get(path)
        assert response.status_code == 404 and response.json()["error"] == "not_found"
    # Found by schemathesis: writes to a wrong address got Django's HTML CSRF page.
    strict = Client(enforce_csrf_checks=True)
    for method, path in [
        ("post", "/gate/api/checkpoints/-1/scan"),
        ("post", "/gate/api/nothing"),
        ("put", "/gate/api/checkpoints/abc/scan"),
        ("delete", "/gate/api"),
        ("patch", "/gate/api/photos/a/b"),
    ]:
        response = getattr(strict, method)(
            path, "{}", content_type="application/json", headers=bearer(gate_agent)
        )
        assert (response.status_code, response["Content-Type"]) == (404, "application/json")
        assert response.json()["error"] == "not_found"


@hypothesis_settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    body=st.one_of(
        st.binary(max_size=200),
        _json_values.map(lambda v: json.dumps(v).encode()),
        _scan_like.map(lambda v: json.dumps(v).encode()),
    ),
    endpoint=st.sampled_from(["scan", "upload"]),
)
def test_random_garbage_never_breaks_the_api(client, main_hall, gate_agent, body, endpoint):
    url = scan_url(main_hall) if endpoint == "scan" else reverse("gate:api_offline_scans")
    response = post_json(client, url, body, gate_agent)
    assert response["Content-Type"] == "application/json"
    payload = response.json()
    if response.status_code == 200:  # a well-formed scan of something that is not a badge
        assert endpoint == "scan" and payload["decision"] == "deny"
    else:
        assert 400 <= response.status_code < 500
        assert payload["error"] and payload["message"]


@hypothesis_settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    scan=st.fixed_dictionaries(
        {
            "client_scan_id": st.from_regex(r"\A[a-z0-9]{1,10}\Z"),
            "checkpoint": st.one_of(st.integers(), st.just("main hall")),
            "code": st.text(min_size=1, max_size=40),
            "scanned_at": st.one_of(
                st.datetimes(timezones=st.just(dt.UTC)).map(dt.datetime.isoformat),
                st.text(max_size=30),
            ),
            "decision": st.sampled_from(["admit", "deny", "maybe"]),
            "reason": st.sampled_from([*gate.REASONS, "because"]),
        },
        optional={
            "session": st.one_of(st.none(), st.integers()),
            "direction": st.text(max_size=3),
            "agent": st.one_of(
                st.none(),
                st.integers(),
                st.booleans(),
                st.floats(allow_nan=False),
                st.text(max_size=5),
                st.just("an agent"),
            ),
        },
    )
)
def test_random_offline_scans_are_recorded_or_refused_never_a_500(
    client, main_hall, gate_agent, scan
):
    url = reverse("gate:api_offline_scans")
    if scan["checkpoint"] == "main hall":
        scan["checkpoint"] = main_hall.pk
    if scan.get("agent") == "an agent":
        scan["agent"] = gate_agent.pk
    response = post_json(client, url, {"device_id": "fuzz", "scans": [scan]}, gate_agent)
    assert response.status_code in (200, 400), response.content
    check_response(response, "/gate/api/offline-scans", "post")


def test_the_gate_page_is_for_gate_agents_and_carries_no_inline_code(
    client, main_hall, gate_agent, reviewer
):
    url = reverse("gate:page", args=[main_hall.pk])
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/admin/login/")
    client.force_login(reviewer)
    assert client.get(url).status_code == 403
    client.force_login(gate_agent)
    listing = client.get(reverse("gate:checkpoints"))
    assert listing.status_code == 200 and "Main hall" in listing.text
    page = client.get(url)
    assert page.status_code == 200
    html = page.text
    assert 'id="gate-code"' in html
    # No credential in the page: a phone may keep it for reloads without network.
    assert "data-token" not in html and "Bearer" not in html
    # Who scans on this page: each scan it queues offline says so (not a credential).
    assert f'data-agent="{gate_agent.pk}"' in html
    assert "vendor/jsqr/jsQR.js" in html and "gate/gate.js" in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"
    assert not re.search(r"\sstyle=", html), "inline style"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"
    assert "script-src 'self'" in page["Content-Security-Policy"]
    assert client.get(reverse("gate:page", args=[999999])).status_code == 404


def test_the_gate_page_in_arabic_is_right_to_left(client, main_hall, gate_agent):
    client.force_login(gate_agent)
    page = client.get(reverse("gate:page", args=[main_hall.pk]), headers={"Accept-Language": "ar"})
    assert 'dir="rtl"' in page.text


def test_the_openapi_schema_is_served_and_every_documented_path_exists(client):
    response = client.get(reverse("gate:api_openapi"))
    assert response.status_code == 200
    spec = response.json()
    assert spec == json.loads(json.dumps(openapi_schema()))
    assert spec["openapi"].startswith("3.")
    examples = {"checkpoint_id": "1", "ticket": "abc:def"}
    for path, operations in spec["paths"].items():
        concrete = re.sub(r"\{(\w+)\}", lambda m: examples[m.group(1)], path)
        match = resolve(concrete)
        assert match.url_name != "api_not_found", path
        assert match.namespace == "gate"
        for method in operations:
            assert method in ("get", "post")
            # The view answers this method (not 405), whatever else it says.
            response = getattr(client, method)(concrete, content_type="application/json")
            assert response.status_code != 405, (path, method)
        other = "post" if "get" in operations else "get"
        if other not in operations:
            assert getattr(client, other)(concrete).status_code == 405, (path, other)
    documented = {re.sub(r"\{(\w+)\}", lambda m: examples[m.group(1)], p) for p in spec["paths"]}
    named = {
        reverse(f"gate:{name}", args=args)
        for name, args in [
            ("api_token", []),
            ("api_scan", [1]),
            ("api_revocations", [1]),
            ("api_counters", [1]),
            ("api_offline_scans", []),
            ("api_photo", ["abc:def"]),
            ("api_openapi", []),
        ]
    }
    assert named == documented  # every endpoint is documented, and nothing else
