"""With the database away, the gate API answers JSON 503 with a retry hint (it answered
Django's HTML "Server Error (500)"), so the gate page decides offline at once and sends the
scans later. The fault is injected where the database driver raises it (Django's execute
wrapper), for every statement of the request."""

from __future__ import annotations

import pytest
import time_machine
from django.db import OperationalError, connection

from tests.gate.helpers import DURING_OPENING, bearer, post_json, scan_body, scan_url

pytestmark = pytest.mark.django_db


def database_gone(execute, sql, params, many, context):
    raise OperationalError("server closed the connection unexpectedly")


def test_the_gate_api_answers_json_503_while_the_database_is_away(
    client, main_hall, badge, gate_agent
):
    headers = bearer(gate_agent)
    with time_machine.travel(DURING_OPENING, tick=False), connection.execute_wrapper(database_gone):
        response = post_json(client, scan_url(main_hall), scan_body(badge.qr_text), headers=headers)
    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/json")
    assert response["Retry-After"] == "5"
    body = response.json()
    assert body["error"] == "unavailable" and body["retry_after"] == 5
    # Back: the same scan is recorded as usual.
    with time_machine.travel(DURING_OPENING, tick=False):
        again = post_json(client, scan_url(main_hall), scan_body(badge.qr_text), headers=headers)
    assert again.status_code == 200 and again.json()["decision"] == "admit"
