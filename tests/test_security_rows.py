"""Security checklist rows 2, 3, 4, 6, 7 and 12 (docs/security.md), proved through the whole
stack: the real Django test client and middleware, real files generated here, private storage on
disk. Nothing of ours is mocked.

- Row 2: over HTTPS, with the security settings production computes (read from
  config/settings.py in a subprocess with PRESSPASS_ENV=production), HSTS and host-only cookies.
- Row 3: every page reachable by URL name carries the strict headers.
- Row 4: an upload without its CSRF token is 403 and keeps nothing.
- Row 6: each file field takes a file at the limit and refuses one byte more.
- Row 7: one file part too many is 400 and keeps nothing.
- Row 12: hostile file names, sent raw on the wire, never reach a storage path.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import URLResolver, get_resolver, resolve, reverse
from django.utils import timezone

from accreditation import apply
from accreditation.models import (
    AccreditationRequest,
    Document,
    Message,
    PendingUpload,
    Status,
)
from tests.factories import (
    application_data,
    application_files,
    image_bytes,
    make_request,
    make_user,
    pdf_bytes,
    portrait_bytes,
    upload,
)

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
ONE_YEAR = 31536000
FILE_SLOTS = ("identity", "press_card", "mission_letter", "photo")
# What a stored name may look like: a server-made folder, a random token, the type's extension.
STORED_NAME = re.compile(r"^(?:pending|documents)/[0-9a-f]{2}/[0-9a-f]{32}\.(?:jpg|png|pdf)$")


# --- Helpers --------------------------------------------------------------------------------


def files_on_disk(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()


def read_stored(name: str) -> bytes:
    """A stored file's content (encrypted on disk: tests/privacy/test_encryption.py)."""
    from accreditation.privacy.storage import private_storage

    with private_storage().open(name, "rb") as handle:
        return handle.read()


def plain_size(path: Path, folder: Path) -> int:
    """The size of a stored file's content, not of its encrypted form."""
    from accreditation.privacy.storage import private_storage

    return private_storage().size(str(path.relative_to(folder)))


def status_path(req) -> str:
    return apply.status_path(req)


def padded_pdf(size: int) -> bytes:
    """A valid PDF of exactly ``size`` bytes (a comment line after its header)."""
    pdf = pdf_bytes()
    head = pdf.index(b"\n") + 1
    filler = size - len(pdf) - 1
    assert filler >= 1
    return pdf[:head] + b"%" * filler + b"\n" + pdf[head:]


def padded_jpeg(size: int, base: bytes | None = None) -> bytes:
    """A valid JPEG (by default the real portrait) of exactly ``size`` bytes: comment (COM)
    segments after its start marker, each at most 65537 bytes long."""
    base = base or portrait_bytes()
    remaining = size - len(base)
    assert remaining >= 4
    segments = []
    while remaining:
        total = min(remaining, 65537)
        if 0 < remaining - total < 4:  # leave room for one more whole segment
            total -= 4
        payload = total - 4
        segments.append(b"\xff\xfe" + (payload + 2).to_bytes(2, "big") + b"A" * payload)
        remaining -= total
    result = base[:2] + b"".join(segments) + base[2:]
    assert len(result) == size
    return result


def padded(slot: str, size: int) -> tuple[str, bytes]:
    """A file for ``slot`` of exactly ``size`` bytes: a PDF for documents, a JPEG photo."""
    if slot == "photo":
        return "me.jpg", padded_jpeg(size)
    if slot == "press_card":
        return "card.jpg", padded_jpeg(size, image_bytes())
    return f"{slot}.pdf", padded_pdf(size)


BOUNDARY = "PresspassHostileNames7MA4YWxkTrZu0gW"


def raw_multipart(fields: dict, files: list[tuple[str, bytes, bytes, str]]) -> bytes:
    """A multipart body written by hand, so that a file name reaches the server exactly as
    given (Django's test client keeps only the base name of a file)."""
    b = BOUNDARY.encode()
    lines: list[bytes] = []
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            lines += [
                b"--" + b,
                f'Content-Disposition: form-data; name="{name}"'.encode(),
                b"",
                str(item).encode(),
            ]
    for field, filename_param, content, content_type in files:
        lines += [
            b"--" + b,
            b'Content-Disposition: form-data; name="' + field.encode() + b'"; ' + filename_param,
            f"Content-Type: {content_type}".encode(),
            b"",
            content,
        ]
    lines += [b"--" + b + b"--", b""]
    return b"\r\n".join(lines)


def post_raw(client, url: str, fields: dict, files: list, **extra):
    return client.post(
        url,
        data=raw_multipart(fields, files),
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        **extra,
    )


# --- Production's HTTPS settings -------------------------------------------------------------

PRODUCTION_SECURITY_SETTINGS = (
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
    "SESSION_COOKIE_NAME",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "SESSION_COOKIE_DOMAIN",
    "SESSION_COOKIE_PATH",
    "CSRF_COOKIE_NAME",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SAMESITE",
    "CSRF_COOKIE_DOMAIN",
    "CSRF_COOKIE_PATH",
    "LANGUAGE_COOKIE_NAME",
    "LANGUAGE_COOKIE_SECURE",
    "LANGUAGE_COOKIE_SAMESITE",
    "LANGUAGE_COOKIE_DOMAIN",
    "LANGUAGE_COOKIE_PATH",
    "PRESSPASS_REQUIRE_2FA",
    "PRESSPASS_TRUSTED_PROXIES",
)

_READ_SETTINGS = """
import json, os, sys
from config.keys import generate_keypair, private_key_b64
os.environ["BADGE_SIGNING_KEY"] = private_key_b64(generate_keypair()[0])
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
from django.conf import settings
print(json.dumps({name: getattr(settings, name) for name in sys.argv[1:]}))
"""


@functools.cache
def production_security_settings(trusted_proxies: int = 0) -> dict:
    """The security settings config/settings.py computes with PRESSPASS_ENV=production and
    nothing else overridden (the required settings given dummy values)."""
    overriding = ("SECURE_", "SESSION_", "CSRF_", "LANGUAGE_", "PRESSPASS_", "BADGE_", "DJANGO_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(overriding)}
    env.update(
        PRESSPASS_ENV="production",
        SECRET_KEY="production-like-" + "k" * 50,
        ALLOWED_HOSTS="press.example.org",
        DATABASE_URL="postgres://presspass@127.0.0.1/presspass",
        REDIS_URL="redis://127.0.0.1:6379/0",
        PRESSPASS_VAR_DIR=str(Path(django_settings.VAR_DIR)),
    )
    if trusted_proxies:
        env["PRESSPASS_TRUSTED_PROXIES"] = str(trusted_proxies)
    out = subprocess.run(
        [sys.executable, "-c", _READ_SETTINGS, *PRODUCTION_SECURITY_SETTINGS],
        env=env,
        cwd=str(django_settings.BASE_DIR),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    values = json.loads(out.strip().splitlines()[-1])
    if values["SECURE_PROXY_SSL_HEADER"] is not None:
        values["SECURE_PROXY_SSL_HEADER"] = tuple(values["SECURE_PROXY_SSL_HEADER"])
    return values


def as_production(settings, *, trusted_proxies: int = 0) -> dict:
    values = production_security_settings(trusted_proxies)
    for name, value in values.items():
        setattr(settings, name, value)
    return values


def hsts(response) -> dict[str, str]:
    header = response.headers.get("Strict-Transport-Security")
    assert header, f"no HSTS on {response.request['PATH_INFO']}"
    directives = {}
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        directives[key.lower()] = value
    return directives


def assert_hsts_a_year_with_subdomains(response) -> None:
    directives = hsts(response)
    assert int(directives["max-age"]) >= ONE_YEAR, directives
    assert "includesubdomains" in directives, directives


def cookie_attributes(morsel) -> tuple[str, dict[str, str]]:
    """The Set-Cookie header value as a browser reads it: the name, and its attributes."""
    header = morsel.OutputString()
    first, *attributes = [part.strip() for part in header.split(";")]
    parsed = {}
    for attribute in attributes:
        key, _, value = attribute.partition("=")
        parsed[key.lower()] = value
    return first.partition("=")[0], parsed


def assert_host_only_cookie(morsel, *, httponly: bool) -> None:
    """A ``__Host-`` cookie a browser accepts: Secure, Path=/, no Domain; and SameSite."""
    name, attributes = cookie_attributes(morsel)
    assert name.startswith("__Host-"), name
    assert "secure" in attributes, (name, attributes)
    assert attributes.get("path") == "/", (name, attributes)
    assert "domain" not in attributes, (name, attributes)
    assert attributes.get("samesite", "").lower() in {"lax", "strict"}, (name, attributes)
    if httponly:
        assert "httponly" in attributes, (name, attributes)


# --- Row 2: HTTPS ----------------------------------------------------------------------------


def test_row2_production_settings_over_https_are_the_ones_these_tests_use(settings):
    values = as_production(settings)
    assert values["SECURE_HSTS_SECONDS"] >= ONE_YEAR
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert values["CSRF_COOKIE_NAME"].startswith("__Host-")
    assert values["SESSION_COOKIE_DOMAIN"] is None and values["CSRF_COOKIE_DOMAIN"] is None


def test_row2_over_https_every_page_sends_hsts_for_a_year_with_subdomains(settings, event):
    as_production(settings)
    browser = Client()
    pages = [
        reverse("accreditation:events"),
        reverse("accreditation:apply", args=[event.slug]),
        status_path(make_request(event)),
        reverse("admin:login"),
        "/no-such-page/",  # an error page too
    ]
    for url in pages:
        response = browser.get(url, secure=True)
        assert response.status_code in (200, 404), url
        assert_hsts_a_year_with_subdomains(response)


def test_row2_over_https_the_journalists_session_and_csrf_cookies_are_host_only(settings, event):
    """The apply form keeps a draft in the session and carries a CSRF token: both cookies are
    set on the first visit, and both are Secure, Path=/, without Domain, SameSite; the session
    one HttpOnly. They are the only cookies set."""
    values = as_production(settings)
    response = Client().get(reverse("accreditation:apply", args=[event.slug]), secure=True)
    assert response.status_code == 200
    session, csrf = values["SESSION_COOKIE_NAME"], values["CSRF_COOKIE_NAME"]
    assert set(response.cookies) == {session, csrf}
    assert_host_only_cookie(response.cookies[session], httponly=True)
    assert_host_only_cookie(response.cookies[csrf], httponly=False)


def test_row2_a_staff_sign_in_over_https_gets_a_new_host_only_httponly_session(settings):
    """A real sign-in (password and authenticator code, as production requires) answers with
    a new session cookie that keeps every host-only attribute, and a new CSRF cookie."""
    from accreditation.staff import second_factor
    from tests.staff.helpers import code_now, next_code, sign_in

    values = as_production(settings)
    assert values["PRESSPASS_REQUIRE_2FA"] is True
    user = make_user("supervisor", "Supervisor")
    device = second_factor.enrolment_device(user)
    second_factor.enrol_confirm(user=user, device=device, code=code_now(device))
    device.refresh_from_db()
    code = next_code(device)  # the enrolment used the current one

    browser = Client()
    before = browser.get(reverse("admin:login"), secure=True)
    assert before.status_code == 200
    response = sign_in(browser, "supervisor", code=code, secure=True)
    assert response.status_code == 302, response.content[:500]
    session = values["SESSION_COOKIE_NAME"]
    assert session in response.cookies and response.cookies[session].value
    assert_host_only_cookie(response.cookies[session], httponly=True)
    assert_host_only_cookie(response.cookies[values["CSRF_COOKIE_NAME"]], httponly=False)
    assert_hsts_a_year_with_subdomains(response)
    assert browser.get(reverse("admin:index"), secure=True).status_code == 200


def test_row2_plain_http_is_sent_to_https_before_any_cookie_is_set(settings, event):
    as_production(settings)
    url = reverse("accreditation:apply", args=[event.slug])
    response = Client().get(url)
    assert response.status_code == 301
    assert response["Location"] == f"https://testserver{url}"
    assert not response.cookies
    # HSTS is only ever sent over HTTPS, where a browser takes it into account.
    assert "Strict-Transport-Security" not in response.headers


def test_row2_behind_the_trusted_proxy_x_forwarded_proto_https_gets_hsts_and_host_cookies(
    settings, event
):
    """Production behind nginx (PRESSPASS_TRUSTED_PROXIES=1): the proxy's X-Forwarded-Proto
    tells Django the request came over HTTPS."""
    values = as_production(settings, trusted_proxies=1)
    assert values["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    url = reverse("accreditation:apply", args=[event.slug])
    response = Client().get(url, HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200
    assert_hsts_a_year_with_subdomains(response)
    assert_host_only_cookie(response.cookies[values["SESSION_COOKIE_NAME"]], httponly=True)
    assert Client().get(url, HTTP_X_FORWARDED_PROTO="http").status_code == 301


def test_row2_over_https_the_language_switchers_cookie_is_secure_too(settings, event):
    """Found by this test: `django_language` was set without Secure over HTTPS."""
    values = as_production(settings)
    response = Client().post(reverse("set_language"), {"language": "fr", "next": "/"}, secure=True)
    assert response.status_code == 302
    morsel = response.cookies[values["LANGUAGE_COOKIE_NAME"]]
    name, attributes = cookie_attributes(morsel)
    assert "secure" in attributes, (name, attributes)
    assert name.startswith("__Host-")
    assert_host_only_cookie(morsel, httponly=False)


# --- Row 3: the strict headers on every HTML page --------------------------------------------

STRICT_REFERRER_POLICIES = {"no-referrer", "same-origin", "strict-origin"}


def assert_strict_headers(response, where) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    directives = {d.strip() for d in csp.split(";")}
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in directives, (where, directive, csp)
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("Referrer-Policy") in STRICT_REFERRER_POLICIES, where


def url_names() -> list[tuple[str, frozenset[str]]]:
    """Every named URL pattern of the project, with the arguments it takes."""
    found = []

    def walk(resolver, namespace: str, inherited: frozenset[str]):
        for pattern in resolver.url_patterns:
            args = inherited | set(pattern.pattern.regex.groupindex)
            if isinstance(pattern, URLResolver):
                ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern, ns, frozenset(args))
            elif pattern.name:
                found.append((namespace + pattern.name, frozenset(args)))

    walk(get_resolver(), "", frozenset())
    return sorted(set(found))


# URL names whose arguments no factory here can make (and that answer no HTML page).
UNFILLABLE = {"gate:api_photo"}  # a short-lived signed ticket from a scan, answered with JPEG


def capability_objects(event, *, journalist, reviewer, press_office, capture) -> dict:
    """One of each thing of the three capability apps, made through their services: an
    announcement with a file, sent to the accredited ``journalist`` (the outbox's tasks make
    and send its delivery); an interview target, and the journalist's interview request
    forwarded to its contact; an outlet registered with its proof and approved (which asks it
    to confirm the event's requests naming it), a member of its crew, and an outlet quota.

    Returns, for url_kwargs, the models of the ``pk`` arguments of their admin pages
    (``by_pk``), and the arguments of each private link (``links``), taken from the link the
    app itself makes, so that each token is a real one for its purpose."""
    from urllib.parse import urlsplit

    from django.db import transaction

    from accreditation.apply.pending import uploads_check
    from accreditation.communications import links as announcement_links
    from accreditation.communications import services as announcements
    from accreditation.communications.models import Announcement, Attachment, Delivery
    from accreditation.interviews import contact
    from accreditation.interviews import services as interviews
    from accreditation.interviews.models import InterviewRequest, InterviewTarget
    from accreditation.outlets import crews, registration
    from accreditation.outlets import links as outlet_links
    from accreditation.outlets.forms import PROOF_SLOT
    from accreditation.outlets.models import Confirmation, Outlet, OutletQuota, OutletStatus
    from events.models import Event

    # An announcement with a programme, sent: the journalist received it (their delivery).
    announcement = announcements.announcement_save(
        announcement=Announcement(
            event=event,
            titles={"fr": "Conférence de presse", "en": "Press conference"},
            bodies={"fr": "Elle aura lieu au Centre de presse.", "en": "At the Press centre."},
        ),
        actor=press_office,
        files=[upload("programme.pdf", pdf_bytes("Programme"), "application/pdf")],
    )
    with capture(execute=True), transaction.atomic():
        announcements.announcement_send(announcement=announcement, actor=press_office)
    attachment = Attachment.objects.get(announcement=announcement)
    delivery = Delivery.objects.get(announcement=announcement, request=journalist)
    assert delivery.state == Delivery.State.SENT, delivery.state

    # An interview target, and the journalist's request forwarded to its contact.
    target = InterviewTarget(
        event=event,
        kind=InterviewTarget.Kind.DELEGATION,
        country="MA",
        contact_name="Nadia Contact",
        contact_email="contact-ma@example.org",
        contact_language="fr",
    )
    interviews.target_save(target=target, actor=press_office)
    interview = interviews.interview_ask(
        request=journalist,
        target=target,
        topic="Cybercrime cooperation",
        languages=["fr", "en"],
        format="camera",
        preferred_times=[],
    )
    interviews.interview_forward(interview=interview, actor=press_office)
    interview.refresh_from_db()

    # An outlet, registered by its focal point with its proof (checked by content) and
    # approved; its approval asks it to confirm the requests naming it ("Le Matin").
    checked, refused = uploads_check(
        uploads={PROOF_SLOT: upload("letter.pdf", pdf_bytes("Editor's letter"))}
    )
    assert not refused, refused
    outlet = registration.outlet_register(
        event=event,
        data={
            "name": "Le Matin",
            "outlet_type": "print",
            "country": "MA",
            "website": "https://lematin.ma",
            "focal_name": "Nadia Bennani",
            "focal_email": "editor@lematin.ma",
        },
        proof=checked[PROOF_SLOT],
        language="fr",
    )
    registration.outlet_approve(actor=reviewer, outlet=outlet)
    outlet.refresh_from_db()
    assert outlet.status == OutletStatus.APPROVED
    member = crews.crew_add(
        outlet=outlet, name="Omar Tazi", email="omar@lematin.ma", role="camera", language="fr"
    )
    confirmation = Confirmation.objects.get(outlet=outlet, request=journalist)
    # A quota has no service: staff set it in the admin, a plain form.
    OutletQuota.objects.create(event=event, outlet_type="tv", people=6)

    def kwargs_of(url: str) -> dict:
        return resolve(urlsplit(url).path).kwargs

    status = kwargs_of(apply.status_path(journalist))
    # Data protection: the journalist's erasure request, a tombstone, the event's statistics.
    from accreditation.privacy import erasure_requests, retention
    from accreditation.privacy.erasure import erase_request
    from accreditation.privacy.models import ErasureRequest

    erasure_requests.erasure_ask(request=journalist)
    erase_request(request=make_request(event), cause="retention")
    retention.statistics_make(event=event)
    return {
        "by_pk": {
            "admin:communications_announcement_preview": Announcement,
            "admin:communications_announcement_send": Announcement,
            "admin:communications_announcement_resend": Announcement,
            "admin:communications_announcement_deliveries": Announcement,
            "admin:communications_announcement_file": {"pk": Announcement, "file_pk": Attachment},
            "admin:interviews_triage": InterviewRequest,
            "admin:outlets_outlet_decide": Outlet,
            "admin:privacy_erasurerequest_decide": ErasureRequest,
            "privacy:access_report": AccreditationRequest,
            "privacy:register": Event,
        },
        "links": {
            "communications:unsubscribe": kwargs_of(
                announcement_links.unsubscribe_path(journalist)
            ),
            "communications:file": kwargs_of(
                announcement_links.file_path(journalist, attachment.pk)
            ),
            # The journalist's own interview posts, from their status page.
            "interviews:ask": status,
            "interviews:act": {**status, "pk": interview.pk, "action": "confirm"},
            "interviews:contact": kwargs_of(contact.contact_path(interview)),
            "outlets:focal": kwargs_of(outlet_links.focal_url(outlet)),
            "outlets:crew": kwargs_of(outlet_links.crew_url(member)),
            "outlets:confirm": kwargs_of(outlet_links.confirm_url(confirmation)),
            "privacy:erasure": status,
        },
    }


@pytest.fixture
def site(event, tmp_path, django_capture_on_commit_callbacks):
    """One of everything a URL of the project may need, made the real way."""
    from django.contrib.contenttypes.models import ContentType
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accreditation import review
    from accreditation.badges import issuing, printing
    from accreditation.models import Badge, PrintBatch, RejectionReason
    from events.models import Checkpoint, Event

    superuser = make_user("root", "Supervisor", is_superuser=True)
    agent = make_user("gate", "Gate agent")
    reviewer = make_user("reviewer", "Reviewer")
    press_office = make_user("press", "Press office")
    req = make_request(event)
    approved = make_request(event)
    review.request_approve(request=approved, actor=reviewer)
    issuing.badge_issue(request_id=approved.pk)
    printing.batch_create(event=event, badges=Badge.objects.all(), actor=superuser)
    checkpoint = Checkpoint.objects.create(event=event, name="Main hall")
    phone_owner = make_user("phone-owner", "Reviewer")
    TOTPDevice.objects.create(user=phone_owner, name="phone")
    StaticDevice.objects.create(user=phone_owner, name="recovery codes")
    RejectionReason.objects.create(title="Not a journalist", text_en="Not a journalist.")
    apply.late_admission_create(
        event=event,
        name="Late Comer",
        email="late@example.com",
        valid_until=timezone.now() + dt.timedelta(days=1),
        actor=superuser,
    )
    # A failed and a good sign-in: rows for axes' admin pages.
    Client().post(reverse("admin:login"), {"username": "root", "password": "wrong password"})
    Client().post(reverse("admin:login"), {"username": "root", "password": "correct horse battery"})

    made = capability_objects(
        event,
        journalist=approved,
        reviewer=reviewer,
        press_office=press_office,
        capture=django_capture_on_commit_callbacks,
    )

    status_kwargs = resolve(status_path(req)).kwargs
    by_pk = {
        "admin:accreditation_request_decide": AccreditationRequest,
        "admin:accreditation_document_file": Document,
        "admin:otp_totp_totpdevice_config": TOTPDevice,
        "admin:otp_totp_totpdevice_qrcode": TOTPDevice,
        "desk:batch": PrintBatch,
        "desk:batch_file": PrintBatch,
        "desk:badge": Badge,
        **made["by_pk"],
    }
    return {
        "event": event,
        "request": req,
        "checkpoint": checkpoint,
        "superuser": superuser,
        "agent": agent,
        "press_office": press_office,
        "status_kwargs": status_kwargs,
        "by_pk": by_pk,
        "links": made["links"],
        "event_content_type": ContentType.objects.get_for_model(Event).pk,
    }


class Unfillable(Exception):
    pass


class NoObject(Exception):
    pass


def _admin_model(name: str):
    from django.contrib import admin

    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        if name.startswith(prefix):
            return model
    raise Unfillable(name)


def _first_pk(model):
    obj = model._default_manager.order_by("pk").first()
    if obj is None:
        raise NoObject(model)
    return obj.pk


def _pk_models(entry) -> dict:
    """A ``by_pk`` entry: the model of the ``pk`` argument, or a model per argument."""
    return entry if isinstance(entry, dict) else {"pk": entry}


def url_kwargs(name: str, args: frozenset[str], site: dict) -> dict:
    if name in site["links"]:  # a private link: its arguments as the app makes it, token and all
        link = site["links"][name]
        assert set(link) == args, (name, sorted(link), sorted(args))
        return dict(link)
    kwargs = {}
    for arg in args:
        if arg == "slug":
            kwargs[arg] = site["event"].slug
        elif arg in ("reference", "token"):
            kwargs[arg] = site["status_kwargs"][arg]
        elif arg == "checkpoint_id":
            kwargs[arg] = site["checkpoint"].pk
        elif arg == "app_label":
            kwargs[arg] = "accreditation"
        elif arg == "decision":
            kwargs[arg] = "approve"
        elif arg == "variant":
            kwargs[arg] = "original"
        elif name == "admin:view_on_site":
            kwargs["content_type_id"] = site["event_content_type"]
            kwargs["object_id"] = site["event"].pk
        elif name == "admin:auth_user_password_change" and arg == "id":
            kwargs[arg] = site["superuser"].pk
        elif arg == "object_id":
            kwargs[arg] = _first_pk(_admin_model(name))
        elif name in site["by_pk"] and arg in _pk_models(site["by_pk"][name]):
            kwargs[arg] = _first_pk(_pk_models(site["by_pk"][name])[arg])
        else:
            raise Unfillable(f"{name}: {arg}")
    return kwargs


def test_row3_every_html_page_reachable_by_url_name_carries_the_strict_headers(site):
    """Walks every named URL of the project (public, admin, desk, gate), fills its arguments
    with objects made for the test, and asks for it anonymously, as a supervisor and as a gate
    agent: every HTML answer — page, redirect or error — carries the headers."""
    visitors = {"anonymous": Client(), "supervisor": Client(), "gate agent": Client()}
    visitors["supervisor"].force_login(site["superuser"])
    visitors["gate agent"].force_login(site["agent"])
    unknown, html_pages = [], set()
    for name, args in url_names():
        if name in UNFILLABLE:
            continue
        try:
            url = reverse(name, kwargs=url_kwargs(name, args, site))
        except NoObject:
            continue  # nothing of that kind exists here (e.g. a scan): no page to ask for
        except Unfillable as exc:
            unknown.append(str(exc))
            continue
        for who, browser in visitors.items():
            response = browser.get(url)
            if not response.get("Content-Type", "").startswith("text/html"):
                continue
            assert_strict_headers(response, (who, name, url, response.status_code))
            if response.status_code == 200:
                html_pages.add((who, name))
    assert not unknown, f"a URL takes arguments this test cannot fill yet: {unknown}"
    must = {
        ("anonymous", "accreditation:events"),
        ("anonymous", "accreditation:apply"),
        ("anonymous", "accreditation:status"),
        ("anonymous", "admin:login"),
        ("gate agent", "gate:checkpoints"),
        ("gate agent", "gate:page"),
        ("supervisor", "admin:index"),
        ("supervisor", "desk:queue"),
        ("supervisor", "admin:accreditation_accreditationrequest_change"),
        # The capability apps' pages, their private links included.
        ("anonymous", "communications:unsubscribe"),
        ("anonymous", "interviews:contact"),
        ("anonymous", "outlets:register"),
        ("anonymous", "outlets:focal"),
        ("anonymous", "outlets:crew"),
        ("anonymous", "outlets:confirm"),
        ("supervisor", "admin:communications_announcement_change"),
        ("supervisor", "admin:communications_announcement_preview"),
        ("supervisor", "admin:communications_announcement_deliveries"),
        ("supervisor", "admin:interviews_board"),
        ("supervisor", "admin:interviews_triage"),
        ("supervisor", "admin:interviews_interviewtarget_change"),
        ("supervisor", "admin:outlets_outlet_change"),
        ("supervisor", "admin:outlets_outletquota_change"),
    }
    assert must <= html_pages, must - html_pages
    assert len(html_pages) >= 60, len(html_pages)


def test_row3_error_pages_carry_the_strict_headers_too(event):
    """404, 405, a CSRF refusal (403), a refused form (400): HTML answers all the same."""
    browser = Client(enforce_csrf_checks=True)
    apply_url = reverse("accreditation:apply", args=[event.slug])
    answers = {
        "404": browser.get("/no-such-page/"),
        "404 status link": browser.get("/status/NOPE/not-a-token/"),
        "405": browser.get(reverse("accreditation:resend_link", args=[event.slug])),
        "403 csrf": browser.post(apply_url, {"given_names": "x"}),
    }
    browser.get(apply_url)
    token = browser.cookies[django_settings.CSRF_COOKIE_NAME].value
    answers["400 form"] = browser.post(apply_url, {"csrfmiddlewaretoken": token})
    expected = {"404": 404, "404 status link": 404, "405": 405, "403 csrf": 403, "400 form": 400}
    for label, response in answers.items():
        assert response.status_code == expected[label], label
        assert response["Content-Type"].startswith("text/html"), label
        assert_strict_headers(response, label)


# --- Row 4: CSRF on the upload forms ---------------------------------------------------------


def csrf_cookie(browser) -> str:
    return browser.cookies[django_settings.CSRF_COOKIE_NAME].value


def test_row4_an_apply_upload_with_the_cookie_but_no_token_is_403_and_keeps_nothing(
    event, private_dir
):
    """The cross-site case: the browser holds the CSRF cookie (it visited the form) but the
    forged post has no token, then a wrong one. Nothing is kept; with the token it passes."""
    browser = Client(enforce_csrf_checks=True)
    url = reverse("accreditation:apply", args=[event.slug])
    assert browser.get(url).status_code == 200
    for token in (None, "x" * 64):
        data = {**application_data(event), **application_files()}
        if token:
            data["csrfmiddlewaretoken"] = token
        response = browser.post(url, data)
        assert response.status_code == 403, token
        assert not AccreditationRequest.objects.exists()
        assert not PendingUpload.objects.exists() and not Document.objects.exists()
        assert files_on_disk(private_dir) == set()
    # The same post with the token is taken: the 403 was the CSRF check's.
    data = {**application_data(event), **application_files()}
    data["csrfmiddlewaretoken"] = csrf_cookie(browser)
    assert browser.post(url, data).status_code == 302
    assert AccreditationRequest.objects.count() == 1


def test_row4_a_status_page_answer_upload_without_its_token_is_403_and_keeps_nothing(
    event, private_dir
):
    req = make_request(event, status=Status.INFO_REQUESTED)
    url = status_path(req)
    documents_before = set(Document.objects.values_list("pk", flat=True))
    on_disk_before = files_on_disk(private_dir)
    anonymous = Client(enforce_csrf_checks=True)
    answer = {"action": "answer", "body": "Here it is."}
    files = {"photo": upload("me.jpg", portrait_bytes()), "identity": upload("p.pdf", pdf_bytes())}
    # Without the cookie, with the cookie and no token, with a wrong token.
    assert anonymous.post(url, {**answer, **files}).status_code == 403
    browser = Client(enforce_csrf_checks=True)
    assert browser.get(url).status_code == 200
    for token in (None, "y" * 64):
        data = {
            **answer,
            "photo": upload("me.jpg", portrait_bytes()),
            "identity": upload("p.pdf", pdf_bytes()),
        }
        if token:
            data["csrfmiddlewaretoken"] = token
        assert browser.post(url, data).status_code == 403, token
    assert not PendingUpload.objects.exists()
    assert set(Document.objects.values_list("pk", flat=True)) == documents_before
    assert not Message.objects.filter(request=req).exists()
    assert files_on_disk(private_dir) == on_disk_before
    req.refresh_from_db()
    assert req.status == Status.INFO_REQUESTED
    # With its token the answer is taken.
    data = {**answer, "photo": upload("me.jpg", portrait_bytes())}
    data["csrfmiddlewaretoken"] = csrf_cookie(browser)
    assert browser.post(url, data).status_code == 302
    assert Document.objects.filter(request=req, kind="photo").count() == 2


# --- Row 6: each file field's size limit -----------------------------------------------------


@pytest.fixture
def one_mb_limit(settings):
    settings.PRESSPASS_MAX_FILE_MB = 1
    settings.PRESSPASS_MAX_TOTAL_MB = 20
    return 1 * MB


@pytest.mark.parametrize("slot", FILE_SLOTS)
def test_row6_apply_each_file_field_refuses_one_byte_over_the_limit_and_takes_the_limit(
    client, event, private_dir, one_mb_limit, slot
):
    url = reverse("accreditation:apply", args=[event.slug])
    name, over_content = padded(slot, one_mb_limit + 1)
    over = client.post(
        url, {**application_data(event), **application_files(**{slot: upload(name, over_content)})}
    )
    assert over.status_code == 400
    assert "larger than 1 MB" in " ".join(over.context["form"].errors[slot])
    assert slot not in PendingUpload.objects.values_list("slot", flat=True)
    assert all(plain_size(p, private_dir) != one_mb_limit + 1 for p in files_on_disk(private_dir))

    name, at_content = padded(slot, one_mb_limit)
    at = client.post(
        url, {**application_data(event), **application_files(**{slot: upload(name, at_content)})}
    )
    assert at.status_code == 302, at.context and at.context["form"].errors
    document = Document.objects.get(kind=slot)
    assert document.size == one_mb_limit
    assert read_stored(document.file.name) == at_content


@pytest.mark.parametrize("slot", FILE_SLOTS)
def test_row6_status_answer_each_file_field_refuses_one_byte_over_the_limit_and_takes_the_limit(
    client, event, private_dir, one_mb_limit, slot
):
    req = make_request(event, status=Status.INFO_REQUESTED, language="en")
    url = status_path(req)
    before = Document.objects.filter(request=req).count()
    name, over_content = padded(slot, one_mb_limit + 1)
    over = client.post(url, {"action": "answer", "body": "", slot: upload(name, over_content)})
    assert over.status_code == 400  # the page again, with the message on the field
    assert "larger than 1 MB" in " ".join(over.context["answer_form"].errors[slot])
    assert not PendingUpload.objects.exists()
    assert Document.objects.filter(request=req).count() == before
    assert all(plain_size(p, private_dir) != one_mb_limit + 1 for p in files_on_disk(private_dir))
    req.refresh_from_db()
    assert req.status == Status.INFO_REQUESTED

    name, at_content = padded(slot, one_mb_limit)
    at = client.post(url, {"action": "answer", "body": "", slot: upload(name, at_content)})
    assert at.status_code == 302
    new = Document.objects.filter(request=req, kind=slot, size=one_mb_limit).get()
    assert read_stored(new.file.name) == at_content
    req.refresh_from_db()
    assert req.status == Status.CHECKING


# --- Row 7: the number of file parts ---------------------------------------------------------


def too_many_files(settings) -> dict:
    """DATA_UPLOAD_MAX_NUMBER_FILES + 1 acceptable files, spread over the real slots."""
    count = settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1
    files: dict[str, list] = {slot: [] for slot in FILE_SLOTS}
    for n in range(count):
        slot = FILE_SLOTS[n % len(FILE_SLOTS)]
        content = portrait_bytes() if slot == "photo" else pdf_bytes(f"doc {n}")
        files[slot].append(upload(f"f{n}.{'jpg' if slot == 'photo' else 'pdf'}", content))
    assert sum(len(v) for v in files.values()) == count
    return files


def test_row7_apply_with_one_file_part_too_many_is_400_and_keeps_nothing(
    client, event, settings, private_dir
):
    response = client.post(
        reverse("accreditation:apply", args=[event.slug]),
        {**application_data(event), **too_many_files(settings)},
    )
    assert response.status_code == 400
    assert not AccreditationRequest.objects.exists()
    assert not PendingUpload.objects.exists() and not Document.objects.exists()
    assert files_on_disk(private_dir) == set()  # nothing left half-received either


def test_row7_status_answer_with_one_file_part_too_many_is_400_and_keeps_nothing(
    client, event, settings, private_dir
):
    req = make_request(event, status=Status.INFO_REQUESTED)
    documents_before = set(Document.objects.values_list("pk", flat=True))
    on_disk_before = files_on_disk(private_dir)
    response = client.post(
        status_path(req), {"action": "answer", "body": "Files", **too_many_files(settings)}
    )
    assert response.status_code == 400
    assert not PendingUpload.objects.exists()
    assert set(Document.objects.values_list("pk", flat=True)) == documents_before
    assert not Message.objects.filter(request=req).exists()
    assert files_on_disk(private_dir) == on_disk_before
    req.refresh_from_db()
    assert req.status == Status.INFO_REQUESTED


def test_row7_exactly_the_allowed_number_of_file_parts_is_not_refused_for_their_number(
    client, event, settings
):
    count = settings.DATA_UPLOAD_MAX_NUMBER_FILES
    files = too_many_files(settings)
    files["identity"].pop()  # the first slot got the extra one
    assert sum(len(v) for v in files.values()) == count
    response = client.post(
        reverse("accreditation:apply", args=[event.slug]), {**application_data(event), **files}
    )
    assert response.status_code == 302


# --- Row 12: hostile file names --------------------------------------------------------------

HOSTILE_NAMES = {
    "traversal": b'filename="../../etc/passwd.jpg"',
    "absolute": b'filename="/etc/passwd.jpg"',
    "backslashes": b'filename="..\\\\..\\\\windows\\\\win.ini.jpg"',
    "nul byte": b'filename="evil\x00.php.jpg"',
    "encoded nul (RFC 2231)": b"filename*=UTF-8''evil%00.php.jpg",
    "encoded traversal (RFC 2231)": b"filename*=UTF-8''..%2F..%2Fetc%2Fpasswd.jpg",
    "html entities": b'filename="..&#47;..&#47;etc&#47;passwd.jpg"',
    "300 characters": b'filename="' + b"x" * 300 + b'.jpg"',
    "double extension": b'filename="x.php.jpg"',
    "drive letter": b'filename="C:evil.php.jpg"',
}


def assert_name_is_harmless(row, private_dir: Path, tmp_path: Path) -> None:
    """The stored name is the server's (random, in its folder); the file is inside private
    storage; the name kept for display is short and holds no path separator nor NUL."""
    assert STORED_NAME.match(row.file.name), row.file.name
    path = (private_dir / row.file.name).resolve()
    assert path.is_file() and private_dir.resolve() in path.parents
    outside = [p for p in tmp_path.rglob("*") if p.is_file() and private_dir not in p.parents]
    assert outside == []
    for path in files_on_disk(private_dir):
        assert STORED_NAME.match(str(path.relative_to(private_dir))), path
    kept = row.original_name
    assert len(kept) <= 200, len(kept)
    assert "/" not in kept and "\\" not in kept and "\x00" not in kept, repr(kept)


def photo_part(filename_param: bytes):
    return ("photo", filename_param, portrait_bytes(), "image/jpeg")


def form_fields(event) -> dict:
    return application_data(event)


@pytest.mark.parametrize("filename_param", HOSTILE_NAMES.values(), ids=HOSTILE_NAMES.keys())
def test_row12_a_hostile_name_sent_to_the_apply_form_never_reaches_a_storage_path(
    client, event, private_dir, tmp_path, filename_param
):
    files = [
        ("identity", b'filename="passport.pdf"', pdf_bytes("Passport"), "application/pdf"),
        ("press_card", b'filename="card.jpg"', image_bytes(), "image/jpeg"),
        photo_part(filename_param),
    ]
    url = reverse("accreditation:apply", args=[event.slug])
    response = post_raw(client, url, form_fields(event), files)
    assert response.status_code == 302, response.context and response.context["form"].errors
    assert_name_is_harmless(Document.objects.get(kind="photo"), private_dir, tmp_path)


@pytest.mark.parametrize("filename_param", HOSTILE_NAMES.values(), ids=HOSTILE_NAMES.keys())
def test_row12_a_hostile_name_kept_with_a_refused_form_never_reaches_a_storage_path(
    client, event, private_dir, tmp_path, filename_param
):
    """A form with an error keeps its good files as pending uploads: the same care."""
    fields = {**form_fields(event), "date_of_birth": "1890-01-01"}
    url = reverse("accreditation:apply", args=[event.slug])
    response = post_raw(client, url, fields, [photo_part(filename_param)])
    assert response.status_code == 400
    assert_name_is_harmless(PendingUpload.objects.get(slot="photo"), private_dir, tmp_path)


@pytest.mark.parametrize("filename_param", HOSTILE_NAMES.values(), ids=HOSTILE_NAMES.keys())
def test_row12_a_hostile_name_sent_with_a_status_answer_never_reaches_a_storage_path(
    client, event, private_dir, tmp_path, filename_param
):
    req = make_request(event, status=Status.INFO_REQUESTED)
    before = set(Document.objects.values_list("pk", flat=True))
    response = post_raw(
        client, status_path(req), {"action": "answer", "body": ""}, [photo_part(filename_param)]
    )
    assert response.status_code == 302
    new = Document.objects.exclude(pk__in=before).get()
    assert_name_is_harmless(new, private_dir, tmp_path)


def test_row12_what_is_kept_of_a_hostile_name_is_its_last_part_shortened(
    client, event, private_dir
):
    """The name kept for display is what follows the last separator, at most 200 characters,
    shortened in its middle so that a long name keeps its extension."""
    url = reverse("accreditation:apply", args=[event.slug])
    fields = {**form_fields(event), "date_of_birth": "1890-01-01"}
    kept = {}
    for label in ("traversal", "encoded traversal (RFC 2231)", "html entities", "300 characters"):
        PendingUpload.objects.all().delete()
        post_raw(client, url, fields, [photo_part(HOSTILE_NAMES[label])])
        kept[label] = PendingUpload.objects.get(slot="photo").original_name
    assert kept["traversal"] == "passwd.jpg"
    assert kept["encoded traversal (RFC 2231)"] == "passwd.jpg"
    assert kept["html entities"] == "passwd.jpg"
    assert kept["300 characters"] == "x" * 195 + "….jpg"
    assert len(kept["300 characters"]) == 200
