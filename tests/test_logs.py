"""Log lines: UTC time, the request's id, one line a record, and never a secret or an address
— through the handler the settings configure (config/logs.py), as the server writes them."""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.test import override_settings

from accreditation.apply import links
from accreditation.ratelimit import hit
from config.logs import JsonFormatter
from tests.factories import make_event, make_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def written():
    """What the configured console handler writes, while the test runs."""
    (handler,) = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    stream = io.StringIO()
    old = handler.setStream(stream)
    yield stream
    handler.setStream(old)


def test_a_wrong_status_link_is_logged_without_its_token(client, written):
    req = make_request(make_event())
    token = links.status_path(req).rstrip("/").rsplit("/", 1)[1]
    forged = token[:-4] + ("aaaa" if not token.endswith("aaaa") else "bbbb")
    response = client.get(f"/status/{req.reference}/{forged}/")
    assert response.status_code == 404
    lines = written.getvalue().splitlines()
    assert any("Not Found" in line and req.reference in line for line in lines)
    assert any("event=link.invalid" in line for line in lines)
    assert forged not in written.getvalue()
    rid = response.headers["X-Request-ID"]
    assert all(f"[{rid}]" in line for line in lines), lines  # every line names the request
    assert all(line[:4].isdigit() and line.split(" ")[0].endswith("Z") for line in lines)  # UTC


def test_addresses_and_bearer_tokens_never_reach_a_line_and_a_newline_stays_in_it(written):
    log = logging.getLogger("accreditation.test")
    log.warning("mail to %s failed", "amina.benali@example.org")
    log.warning("Authorization: Bearer abc.DEF-123:xyz")
    log.warning("name %s", "Evil\nINFO forged record")
    text = written.getvalue()
    assert "amina.benali@example.org" not in text and "[e-mail]" in text
    assert "abc.DEF-123" not in text
    assert len(text.splitlines()) == 3  # the newline typed in a name did not make a record


def test_rate_limit_hits_are_security_events(written):
    for _ in range(3):
        hit("apply:192.0.2.44", limit=2)
    (line,) = [x for x in written.getvalue().splitlines() if "rate_limit.hit" in x]
    assert "presspass.security" in line and "scope=apply" in line


def test_as_json_each_line_is_one_object_for_a_log_shipper(written):
    (handler,) = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    old = handler.formatter
    handler.setFormatter(JsonFormatter())
    try:
        logging.getLogger("presspass.security").warning(
            "sign-in refused", extra={"event": "signin.failed", "outcome": "refused"}
        )
    finally:
        handler.setFormatter(old)
    entry = json.loads(written.getvalue())
    assert entry["event"] == "signin.failed" and entry["time"].endswith("Z")
    assert entry["logger"] == "presspass.security" and entry["request_id"]


@override_settings(PRESSPASS_TRUSTED_PROXIES=0)
def test_a_request_id_given_by_the_proxy_is_kept_and_a_forged_one_is_replaced(client):
    assert client.get("/", HTTP_X_REQUEST_ID="abcdef0123456789").headers["X-Request-ID"] == (
        "abcdef0123456789"
    )
    assert client.get("/", HTTP_X_REQUEST_ID="x\nforged").headers["X-Request-ID"] != "x\nforged"


def test_the_audit_trail_of_a_journalists_own_actions_holds_no_address(
    client, event, django_capture_on_commit_callbacks, django_user_model
):
    """SECURITY.md row 34: the entries name the applicant by their request, not by address
    (submitting, confirming, answering, withdrawing, being let in late)."""
    import datetime as dt

    from django.urls import reverse
    from django.utils import timezone

    from accreditation.apply import late_admission_create, status_path
    from accreditation.models import AccreditationRequest, AuditEntry
    from tests.factories import application_data, application_files

    reviewer = django_user_model.objects.create_user("reviewer")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("accreditation:apply", args=[event.slug]),
            {**application_data(event), **application_files()},
        )
    req = AccreditationRequest.objects.get()
    client.get(status_path(req))  # confirms the address
    with django_capture_on_commit_callbacks(execute=True):
        late_admission_create(
            event=event,
            name="Late Comer",
            email="late.comer@example.com",
            valid_until=timezone.now() + dt.timedelta(days=1),
            actor=reviewer,
        )
    client.post(status_path(req), {"action": "withdraw"})
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"request.submitted", "request.email_confirmed", "late_admission.granted"} <= actions
    for entry in AuditEntry.objects.all():
        text = f"{entry.actor_label} {entry.reason} {entry.data}"
        assert "@" not in text, (entry.action, text)


def test_records_can_be_shipped_off_the_host_to_a_syslog_collector(tmp_path):
    """SECURITY.md row 34: LOG_SYSLOG sends each record, as one redacted JSON line, to a
    collector on another host (here a UDP socket of this test, in place of rsyslog)."""
    import json
    import os
    import socket
    import subprocess
    import sys

    from django.conf import settings

    collector = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    collector.bind(("127.0.0.1", 0))
    collector.settimeout(10)
    port = collector.getsockname()[1]
    script = (
        "import django; django.setup(); from config.logs import security_event; "
        "security_event('signin.failed', client='203.0.113.9', user='amina@example.com')"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "LOG_SYSLOG": f"udp://127.0.0.1:{port}",
        "PRESSPASS_VAR_DIR": str(tmp_path),
    }
    subprocess.run([sys.executable, "-c", script], env=env, cwd=str(settings.BASE_DIR), check=True)
    datagram, _peer = collector.recvfrom(65536)
    collector.close()
    line = datagram.decode()
    record = json.loads(line[line.index("{") :].rstrip("\x00"))
    assert record["event"] == "signin.failed" and record["client"] == "203.0.113.9"
    assert "amina@example.com" not in line  # redacted on the way out too
    assert record["time"].endswith("Z")


def test_no_private_links_token_reaches_a_log_line_whatever_its_route():
    """Found in review: the new apps' links (unsubscribing, files, an interview contact's page,
    an outlet's focal page, a crew member's link, a confirmation) kept their tokens in the logs.
    Every route with a token, present and future, is built and redacted here."""
    from django.urls import get_resolver

    from config.logs import redact

    token = "0123456789abcdef0123456789abcdef01234567"
    routes = []

    def walk(patterns, prefix=""):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if hasattr(pattern, "url_patterns"):
                walk(pattern.url_patterns, route)
            elif "<str:token>" in route:
                routes.append(route)

    walk(get_resolver().url_patterns)
    assert len(routes) >= 8
    for route in routes:
        path = "/" + (
            route.replace("<str:token>", token)
            .replace("<str:reference>", "ABCD-2345")
            .replace("<int:pk>", "7")
            .replace("<slug:action>", "confirm")
            .replace("<slug:slug>", "ga")
            .replace("<int:checkpoint_id>", "1")
        )
        assert token not in redact(f'GET {path} HTTP/1.1" 200'), route


def test_a_tasks_arguments_never_reach_a_line(written, settings):
    """Celery logs each task it receives with its arguments as an extra (``data``); ours carry
    staff questions and revocation reasons. The line keeps the task's name and id only."""
    from celery.app.trace import LOG_RECEIVED

    context = {
        "id": "4f1c",
        "name": "accreditation.send_request_email",
        "args": "()",
        "kwargs": "{'request_id': 7, 'extra': {'question': 'Is Amina Benali your real name?'}}",
        "eta": None,
    }
    logging.getLogger("celery.worker.strategy").info(LOG_RECEIVED, context, extra={"data": context})
    text = written.getvalue()
    assert "accreditation.send_request_email[4f1c] received" in text
    assert "Amina" not in text and "request_id" not in text


def test_what_a_task_returned_never_reaches_a_line(written):
    from celery.app.trace import LOG_SUCCESS

    context = {
        "id": "9a2b",
        "name": "accreditation.export",
        "return_value": "{'name': 'Amina Benali'}",
        "runtime": 0.01,
        "args": "()",
        "kwargs": "{}",
    }
    logging.getLogger("celery.app.trace").info(LOG_SUCCESS, context, extra={"data": context})
    text = written.getvalue()
    assert "accreditation.export[9a2b] succeeded in 0.01s" in text
    assert "Amina" not in text
