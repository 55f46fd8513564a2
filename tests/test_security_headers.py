"""Every page is sent with the headers that keep it from being framed, sniffed, scripted from
elsewhere or given the camera; private pages are never cached; cookies are host-only in HTTPS."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.urls import reverse

from accreditation import apply
from tests.factories import make_request, make_user

pytestmark = pytest.mark.django_db


def pages(event, req_url):
    return [
        reverse("accreditation:events"),
        reverse("accreditation:apply", kwargs={"slug": event.slug}),
        req_url,
        reverse("admin:login"),
    ]


def status_url(event):
    """A journalist's private status page (the link their e-mail carries)."""
    return apply.status_path(make_request(event))


def test_every_page_has_a_strict_policy_and_no_page_but_the_gate_gets_the_camera(client, event):
    for url in pages(event, status_url(event)):
        response = client.get(url)
        assert response.status_code == 200, url
        csp = response["Content-Security-Policy"]
        for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
            assert directive in csp, (url, directive)
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert "camera=()" in response["Permissions-Policy"], url


def test_the_gate_page_alone_may_use_the_camera(client, event):
    from events.models import Checkpoint

    checkpoint = Checkpoint.objects.create(event=event, name="Main hall")
    client.force_login(make_user("gate", "Gate agent"))
    response = client.get(reverse("gate:page", args=[checkpoint.pk]))
    assert response.status_code == 200
    assert "camera=(self)" in response["Permissions-Policy"]


def test_a_journalists_status_page_is_never_kept_by_a_browser_or_proxy(client, event):
    response = client.get(status_url(event))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_over_https_the_cookies_are_host_only_and_secure():
    script = (
        "from config import settings as s;"
        "print(s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, s.SESSION_COOKIE_SECURE,"
        " s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY)"
    )
    env = {**os.environ, "PRESSPASS_HTTPS": "1"}
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["__Host-presspass-session", "__Host-presspass-csrf", "True", "True", "True"]


def test_every_staff_page_has_the_strict_policy_too(client, event):
    """The pages staff use, walked through the admin's own index: every HTML answer carries
    the policy (the middleware sets it on all of them; a view may only add to it)."""
    from accreditation.models import AccreditationRequest, Scan
    from events.models import Checkpoint
    from tests.factories import make_request

    req = make_request(event)
    checkpoint = Checkpoint.objects.create(event=event, name="Main hall")
    superuser = make_user("root", "Supervisor", is_superuser=True)
    client.force_login(superuser)
    urls = [
        reverse("admin:index"),
        reverse("admin:accreditation_accreditationrequest_changelist"),
        reverse("admin:accreditation_accreditationrequest_change", args=[req.pk]),
        reverse("admin:accreditation_request_statistics"),
        reverse("admin:accreditation_request_vetting"),
        reverse("admin:accreditation_scan_changelist"),
        reverse("admin:accreditation_outboxtask_changelist"),
        reverse("admin:accreditation_auditentry_changelist"),
        reverse("admin:auth_user_changelist"),
        reverse("admin:events_event_changelist"),
        reverse("admin:events_checkpoint_changelist"),
        reverse("admin:staff_recovery_codes"),
        reverse("desk:queue"),
        reverse("gate:checkpoints"),
        reverse("gate:page", args=[checkpoint.pk]),
    ]
    assert AccreditationRequest.objects.exists() and not Scan.objects.exists()
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        csp = response["Content-Security-Policy"]
        for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
            assert directive in csp, (url, directive)
        assert response["X-Content-Type-Options"] == "nosniff", url
        assert response["Referrer-Policy"] == "same-origin", url


def test_pages_and_assets_load_nothing_from_another_origin(client, event, settings):
    """SECURITY.md row 36: no third-party script, style, font or image, by policy and in fact.
    The policy names no other origin, and neither do the pages (the address step, the form,
    the status page, the sign-in, the gate) or the files in static/."""
    import re
    from pathlib import Path

    settings.PRESSPASS_CONFIRM_ADDRESS_FIRST = True  # the address step's page too
    urls = [*pages(event, status_url(event))]
    agent = make_user("gate", "Gate agent")
    seen = []
    for url in urls:
        response = client.get(url)
        csp = dict(
            part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
        )
        for directive in ("default-src", "script-src", "style-src", "connect-src"):
            assert csp[directive] == "'self'", (url, directive, csp[directive])
        assert set(csp["img-src"].split()) <= {"'self'", "data:", "blob:"}
        seen.append(response.content.decode())
    client.force_login(agent)
    seen.append(client.get(reverse("gate:checkpoints")).content.decode())
    for html in seen:
        for attribute in re.findall(r'(?:src|href)="([^"]+)"', html):
            if attribute.startswith(("mailto:", "#", "tel:")):
                continue
            assert not re.match(r"^(?:[a-z]+:)?//", attribute, re.I), attribute
    static = Path(settings.BASE_DIR) / "static"
    external = re.compile(rb"""(?:url\(|import |from |src=|fetch\()\s*["']?(?:https?:)?//""")
    for path in static.rglob("*"):
        if path.suffix in {".js", ".css", ".html"}:
            assert not external.search(path.read_bytes()), path


@pytest.mark.parametrize(("language", "words"), [("fr", "n'existe pas"), ("ar", "غير موجودة")])
def test_a_page_not_found_is_a_page_in_the_readers_language(client, event, language, words):
    """Not Django's bare English "Not Found": a wrong or expired status link gets a page that
    says what to do, in the reader's language."""
    from html import unescape

    response = client.get("/status/NOPE-NOPE/" + "0" * 40 + "/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 404
    html = unescape(response.content.decode())
    assert words in html and f'lang="{language}"' in html


def test_an_unknown_gate_api_address_answers_json_not_a_page(client):
    """The gate's phone reads JSON: an address under /gate/api/ that matches nothing answers
    a JSON 404 (the schema test's random ids found the HTML page)."""
    response = client.get("/gate/api/checkpoints/not-a-number/counters")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == "not_found"
