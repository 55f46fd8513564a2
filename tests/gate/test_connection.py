"""The gate keeps answering when the database drops the web process's connection.

Scans run on persistent connections (CONN_MAX_AGE). The scan does not send Django's health
check (a SELECT 1 before each request's first query): its own first read is the check, and a
connection found broken is replaced and the read run again. These tests go through the WSGI
application gunicorn serves, so Django's request signals run as in production.
"""

from __future__ import annotations

import json

import psycopg
import pytest
import time_machine
from django.db import connection
from django.test import RequestFactory

from accreditation.gate.api import issue_token
from accreditation.models import Scan
from config.wsgi import application
from tests.gate import helpers as test_gate

DURING_OPENING = test_gate.DURING_OPENING

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="terminates a PostgreSQL server process"
    ),
]


def scan(checkpoint, code, agent, scan_id: str) -> tuple[str, dict]:
    environ = (
        RequestFactory()
        .post(
            f"/gate/api/checkpoints/{checkpoint.pk}/scan",
            json.dumps({"code": code, "device_id": "phone-1", "client_scan_id": scan_id}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {issue_token(agent, 'phone-1')}",
        )
        .environ
    )
    statuses = []
    response = application(environ, lambda status, headers, exc=None: statuses.append(status))
    try:
        return statuses[0], json.loads(b"".join(response))
    finally:
        response.close()


def terminate(backend_pid: int) -> None:
    """What a database restart or a dropped network does to the web process's connection."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [backend_pid])


def test_a_scan_after_the_database_dropped_the_connection_is_answered_and_logged(
    main_hall, badge, gate_agent
):
    with time_machine.travel(DURING_OPENING, tick=False):
        status, first = scan(main_hall, badge.qr_text, gate_agent, "before")
        assert (status, first["decision"]) == ("200 OK", "admit")
        assert connection.connection is not None, "the connection is kept between requests"
        old_pid = connection.connection.info.backend_pid

        terminate(old_pid)
        status, second = scan(main_hall, badge.qr_text, gate_agent, "after")

    assert status == "200 OK", second
    assert (second["decision"], second["flag"]) == ("admit", "already_inside")
    assert connection.connection.info.backend_pid != old_pid
    assert set(Scan.objects.values_list("client_scan_id", flat=True)) == {"before", "after"}


def test_a_working_connection_is_kept_from_one_scan_to_the_next(main_hall, badge, gate_agent):
    with time_machine.travel(DURING_OPENING, tick=False):
        scan(main_hall, badge.qr_text, gate_agent, "first")
        pid = connection.connection.info.backend_pid
        scan(main_hall, badge.qr_text, gate_agent, "second")
    assert connection.connection.info.backend_pid == pid
    assert Scan.objects.count() == 2
