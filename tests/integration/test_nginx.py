"""Debian's nginx, running the shipped config/nginx/presspass.conf, in front of gunicorn.

A body past the limit is refused by nginx before gunicorn sees it; a client cannot choose the
address Django sees; private documents, encrypted at rest, are decrypted and sent by Django once
it has checked who asks, and never on their own; plain HTTP and unknown host names get no
further than nginx.
"""

import datetime as dt
import http.client
import socket
import ssl

import pytest
from django.conf import global_settings
from django.urls import reverse

from accreditation.models import AuditEntry
from accreditation.privacy import crypto
from tests.factories import make_event, make_request, make_user
from tests.integration.stack import (
    BIN,
    Browser,
    Nginx,
    Stack,
    database_url,
    nginx_binary,
    wait_for,
)

if not nginx_binary():
    pytest.skip("needs Debian's nginx (apt-get install nginx-light)", allow_module_level=True)
if not (BIN / "gunicorn").exists():
    pytest.skip("needs gunicorn in the virtualenv", allow_module_level=True)

pytestmark = pytest.mark.django_db(transaction=True)

MB = 1024 * 1024
HOST = "localhost"  # a name, so that the client sends it in the TLS handshake (SNI)


@pytest.fixture
def proxy(tmp_path, settings):
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS  # users made here sign in there
    web = Stack(workdir=tmp_path, database_url=database_url(), redis=None)
    static = tmp_path / "static"
    static.mkdir()
    (static / "probe.txt").write_text("collected")
    front = Nginx(
        tmp_path,
        upstream=f"127.0.0.1:{web.port}",
        static_root=static,
        private_root=tmp_path / "private",  # the test's private storage, too (tests/conftest.py)
        host=HOST,
    )
    web.env.update(
        PRESSPASS_DATA_KEYS=crypto.ring_setting(),  # it opens what this process stores
        PRESSPASS_HTTPS="1",
        PRESSPASS_TRUSTED_PROXIES="1",
        ALLOWED_HOSTS=HOST,
        CSRF_TRUSTED_ORIGINS=front.base,
        SITE_URL=front.base,
    )
    web.start_web("--access-logfile", str(tmp_path / "access.log"))
    try:
        front.start()
        wait_for(
            lambda: front.browser().get("/health/")[0] == 200,
            timeout=60,
            what="gunicorn behind nginx",
            interval=0.5,
        )
        yield front, web
    finally:
        front.stop()
        web.stop()


def test_a_body_past_the_limit_is_refused_by_nginx_before_gunicorn_reads_it(proxy):
    front, web = proxy
    event = make_event(slug="big")
    path = f"/events/{event.slug}/apply/"
    browser = front.browser()
    browser.get(path)
    huge = ("passport.pdf", b"%PDF-1.4\n" + b"\0" * (60 * MB), "application/pdf")
    status, headers, page = browser.post(path, {"email": "a@example.com"}, {"identity": huge})
    assert status == 413 and "413 Request Entity Too Large" in page
    assert headers["Server"] == "nginx"  # and no version (server_tokens off)

    # gunicorn logs each request it answers: a later one shows up, the refused one never did.
    assert browser.get(path)[0] == 200
    access_log = web.workdir / "access.log"
    wait_for(lambda: access_log.read_text().count(f"GET {path}") == 2, timeout=10, what="the log")
    assert "POST" not in access_log.read_text()


def test_a_client_cannot_choose_the_address_django_sees(proxy):
    from axes.models import AccessAttempt

    front, _web = proxy
    make_user("gate", "Gate agent")
    attacker = front.browser()
    attacker.get("/admin/login/")
    for spoofed in ("203.0.113.9", "198.51.100.7"):
        status, _headers, _page = attacker.post(
            "/admin/login/",
            {"username": "gate", "password": "wrong", "next": "/admin/"},
            headers={"X-Forwarded-For": spoofed},
        )
        assert status == 200  # the form again
    # Sign-in throttling counts per client (accreditation.ratelimit.client_ip): both failures
    # are from the address that connected to nginx, whatever the client claimed.
    (attempt,) = AccessAttempt.objects.filter(username="gate")
    assert (attempt.ip_address, attempt.failures_since_start) == ("127.0.0.1", 2)


def test_a_private_document_is_sent_decrypted_once_django_has_checked_who_asks(proxy, tmp_path):
    front, _web = proxy
    req = make_request(make_event(slug="docs"))
    identity = req.documents.get(kind="identity")
    with identity.file.open("rb") as stored:
        content = stored.read()
    on_disk = (tmp_path / "private" / identity.file.name).read_bytes()
    assert content.startswith(b"%PDF") and b"%PDF" not in on_disk  # encrypted at rest
    make_user("reviewer", "Reviewer")
    reviewer = front.browser()
    reviewer.login("reviewer", "correct horse battery")

    url = reverse("admin:accreditation_document_file", args=[identity.pk, "original"])
    status, headers, body = reviewer.request("GET", url, raw=True)
    assert status == 200 and body == content
    assert AuditEntry.objects.filter(action="document.viewed").count() == 1
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Content-Length"] == str(len(content))
    assert (
        headers["Content-Disposition"]
        == f'attachment; filename="{req.reference}-identity-original.pdf"'
    )
    assert {"no-store", "private"} <= set(headers["Cache-Control"].split(", "))  # + the admin's
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in headers["Content-Security-Policy"]
    assert "X-Accel-Redirect" not in headers

    # Nothing serves the folder itself: the old internal location's address is Django's 404,
    # for the reviewer as for anyone.
    assert reviewer.request("GET", f"/_protected/{identity.file.name}")[0] == 404
    assert front.browser().request("GET", f"/_protected/{identity.file.name}")[0] == 404


def test_plain_http_is_redirected_and_other_host_names_are_turned_away(proxy):
    front, _web = proxy
    plain = Browser(f"http://{HOST}:{front.http_port}")
    status, headers, _page = plain.get("/events/big/apply/?late=1")
    assert status == 301 and headers["Location"] == f"https://{HOST}/events/big/apply/?late=1"

    browser = front.browser()
    status, headers, _page = browser.get("/")
    # Django sees the scheme (X-Forwarded-Proto): no redirect of its own, HSTS.
    assert status == 200 and "Strict-Transport-Security" in headers
    hsts = dict(
        part.strip().partition("=")[::2] for part in headers["Strict-Transport-Security"].split(";")
    )
    assert int(hsts["max-age"]) >= 31536000 and "includeSubDomains" in hsts
    # The cookies a visitor gets over HTTPS: __Host- names, Secure, Path=/, no Domain.
    browser.get("/events/")
    cookies = list(browser.jar)
    assert cookies and all(c.name.startswith("__Host-") and c.secure for c in cookies)
    assert all(c.path == "/" and not c.domain_specified for c in cookies)
    assert browser.get("/static/probe.txt")[::2] == (200, "collected")

    with pytest.raises(http.client.RemoteDisconnected):  # 444: closed without an answer
        plain.request("GET", "/", headers={"Host": "elsewhere.example"})
    anything = ssl.create_default_context()
    anything.check_hostname = False
    anything.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", front.https_port)) as raw:
        with pytest.raises(ssl.SSLError, match="UNRECOGNIZED_NAME"):
            anything.wrap_socket(raw, server_hostname="elsewhere.example")


def test_no_access_log_line_holds_the_token_of_a_journalists_link(proxy):
    """Whoever reads the logs cannot read, answer or withdraw a request: the token of a status
    link (and of a late-admission link) is neither in nginx's access log nor in gunicorn's,
    in the path or in the referrer; the reference stays, to follow a request up."""
    from accreditation import apply

    front, web = proxy
    event = make_event(slug="logs")
    req = make_request(event)
    admission = apply.late_admission_create(
        event=event,
        name="Late",
        email="late@example.org",
        valid_until=event.accreditation_deadline + dt.timedelta(days=3),
        actor=make_user("sara", "Supervisor"),
    )
    # The links as the web nodes make them (their secret key, not this test's).
    path, late = web.manage(
        "shell",
        "-c",
        "from accreditation.apply import links; from accreditation.models import "
        f"AccreditationRequest as R, LateAdmission as L; print(links.status_path(R.objects.get("
        f"pk={req.pk}))); print(links.late_admission_url(L.objects.get(pk={admission.pk})))",
    ).split()[-2:]
    token = path.rstrip("/").rsplit("/", 1)[1]
    browser = front.browser()
    assert browser.get(path)[0] == 200
    late_token = late.split("late=", 1)[1]
    browser.request("GET", late.split(front.base, 1)[-1], headers={"Referer": front.base + path})

    gunicorn_log = web.workdir / "access.log"
    nginx_log = front.prefix / "site-access.log"
    wait_for(
        lambda: (
            gunicorn_log.read_text().count(req.reference) >= 1
            and nginx_log.exists()
            and "late=" in nginx_log.read_text()
        ),
        timeout=10,
        what="both access logs",
    )
    for log in (gunicorn_log.read_text(), nginx_log.read_text()):
        assert req.reference in log
        assert token not in log and late_token.split(".", 1)[1] not in log
        assert "[redacted]" in log
