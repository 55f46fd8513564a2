"""Helpers for the gate tests: scans through the service and the API, offline scans as the
gate page queues and signs them, and the check of an answer against the OpenAPI description."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

import jsonschema_rs
import time_machine
from django.conf import settings
from django.urls import reverse
from hypothesis import strategies as st

from accreditation import gate, review
from accreditation.badges import issuing, printing
from accreditation.badges.signing import (
    BadgeClaims,
    load_private_key,
    sign_claims,
)
from accreditation.gate.api import issue_token
from accreditation.gate.openapi import schema as openapi_schema
from accreditation.models import Badge
from events.models import Checkpoint, Session
from tests.factories import make_request

MARRAKECH = zoneinfo.ZoneInfo("Africa/Casablanca")


US = dt.timedelta(microseconds=1)


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=MARRAKECH)


OPENING = local(2025, 11, 24, 10, 30)


DURING_OPENING = local(2025, 11, 24, 11, 0)


def session(event, kind) -> Session:
    return event.sessions.get(kind=kind)


def checkpoint_for(event, *kinds, name=None) -> Checkpoint:
    checkpoint = Checkpoint.objects.create(event=event, name=name or "+".join(kinds))
    checkpoint.sessions.set(event.sessions.filter(kind__in=kinds))
    return checkpoint


def issued(event, reviewer, *, sessions=None, **fields) -> Badge:
    req = make_request(event, **fields)
    review.request_approve(request=req, actor=reviewer, sessions=sessions)
    return issuing.badge_issue(request_id=req.pk)


def printed(event, badge_desk, *badges, reason="") -> None:
    printing.batch_render(
        batch_id=printing.batch_create(
            event=event, badges=list(badges), actor=badge_desk, reprint_reason=reason
        ).pk
    )


def collected(event, reviewer, badge_desk, *, sessions=None, **fields) -> Badge:
    """A badge handed over at the desk, the way the desk does it."""
    badge = issued(event, reviewer, sessions=sessions, **fields)
    printed(event, badge_desk, badge)
    issuing.badge_handover(badge=badge, actor=badge_desk, identity_checked=True)
    badge.refresh_from_db()
    return badge


_scan_ids = iter(range(1, 10**9))


def decide(
    checkpoint, code, agent, *, direction="in", at=DURING_OPENING, device="phone-1", scan_id=None
):
    """One scan through the service; ``at=None`` means the (frozen) clock."""
    context = gate.checkpoint_context(checkpoint_id=checkpoint.pk, agent_id=agent.pk, code=code)
    return gate.gate_decide(
        context=context,
        agent_id=agent.pk,
        direction=direction,
        device_id=device,
        client_scan_id=scan_id or f"s{next(_scan_ids)}",
        now=at,
    )


def code_for(badge: Badge, **changes) -> str:
    """A code signed with the organiser's real key (as if issued by the system)."""
    values = dict(
        badge_id=badge.pk,
        version=badge.version,
        event_id=badge.event_id,
        session_ids=tuple(badge.sessions.values_list("pk", flat=True)),
        key_id=settings.BADGE_SIGNING_KEY_ID,
    )
    values.update(changes)
    return sign_claims(BadgeClaims(**values), load_private_key(settings.BADGE_SIGNING_KEY))


def bearer(user, device="phone-1") -> dict:
    """The header of a gate token issued to ``user`` on ``device``."""
    return {"Authorization": f"Bearer {issue_token(user, device)}"}


def post_json(client, url, body, user=None, headers=None):
    """POST JSON with ``user``'s gate token, issued to the device the body names."""
    device = body.get("device_id") if isinstance(body, dict) else None
    if not isinstance(device, str) or not device:
        device = "phone-1"
    return client.post(
        url,
        data=body if isinstance(body, (bytes, str)) else json.dumps(body),
        content_type="application/json",
        headers={**(bearer(user, device) if user else {}), **(headers or {})},
    )


def scan_url(checkpoint) -> str:
    return reverse("gate:api_scan", args=[checkpoint.pk])


def scan_body(code, **extra) -> dict:
    return {"code": code, "device_id": "phone-1", "client_scan_id": f"c{next(_scan_ids)}", **extra}


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


_scan_like = st.fixed_dictionaries(
    {},
    optional={
        "code": st.one_of(st.text(max_size=80), st.integers(), st.none(), st.just("PP1:")),
        "device_id": st.one_of(st.text(max_size=70), st.integers(), st.just("phone-1")),
        "client_scan_id": st.one_of(st.text(max_size=70), st.uuids().map(str)),
        "direction": st.one_of(st.sampled_from(["in", "out", "IN", ""]), st.integers()),
        "checkpoint": _json_values,
        "scans": _json_values,
    },
)


def key_before(at, agent, device):
    """The scan key the agent's gate page got with its token on ``device``, an hour before."""
    with time_machine.travel(at - dt.timedelta(hours=1)):
        return gate.scan_key(agent.pk if hasattr(agent, "pk") else agent, device)


def sync_before(at, device):
    """The sync stamp of the list ``device`` fetched an hour before ``at``."""
    with time_machine.travel(at - dt.timedelta(hours=1)):
        return gate.sync_stamp(device)


def mac_text(scan: dict) -> str:
    return gate.scan_mac_text(
        *(
            scan.get(k)
            for k in (
                "client_scan_id",
                "checkpoint",
                "code",
                "direction",
                "scanned_at",
                "decision",
                "reason",
                "session",
                "sync",
            )
        )
    )


def sign_scan(scan: dict, key: tuple[str, str]) -> dict:
    """The scan signed as the gate page signs it, with ``key`` = (key id, key)."""
    import hashlib
    import hmac

    key_id, secret = key
    mac = hmac.new(secret.encode(), mac_text(scan).encode(), hashlib.sha256).hexdigest()
    return {**scan, "agent_key": key_id, "agent_mac": mac}


def offline_scan(
    checkpoint, code, at, *, scan_id, decision="admit", reason="ok", direction="in", agent=None
):
    """A scan as the gate page queues it; ``agent``: who scanned (upload() signs it with that
    agent's scan key for the uploading device, as the page does)."""
    return {
        **({"agent": agent.pk, "_sign": True} if agent else {}),
        "client_scan_id": scan_id,
        "checkpoint": checkpoint.pk,
        "code": code,
        "direction": direction,
        "scanned_at": at.isoformat(),
        "decision": decision,
        "reason": reason,
        "session": checkpoint.sessions.get(kind="opening").pk
        if checkpoint.sessions.filter(kind="opening").exists()
        else None,
    }


def sealed(scan: dict, device: str) -> dict:
    """What the page sends: the sync stamp of its list (an hour before the scan), and, for a
    scan marked to be signed, the MAC under its agent's scan key."""
    scan = dict(scan)
    at = None
    if isinstance(scan.get("scanned_at"), str):
        try:
            at = dt.datetime.fromisoformat(scan["scanned_at"].upper())
        except ValueError:
            at = None
    if at is not None and at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)  # no offset: refused for its time, not for its list
    if "sync" not in scan and at is not None:
        scan["sync"] = sync_before(at, device)
    if scan.pop("_sign", False):
        scan = sign_scan(scan, key_before(at, scan["agent"], device))
    return scan


def upload(client, agent, device, scans):
    return post_json(
        client,
        reverse("gate:api_offline_scans"),
        {"device_id": device, "scans": [sealed(s, device) for s in scans]},
        agent,
    )


def check_response(response, path: str, method: str) -> None:
    """The response matches what the OpenAPI description says for this path and status
    (validated by the same JSON Schema validator the API checks its requests with)."""
    spec = openapi_schema()
    responses = spec["paths"][path][method]["responses"]
    assert str(response.status_code) in responses, (path, response.status_code)
    content = responses[str(response.status_code)]["content"]
    assert "application/json" in content
    assert response["Content-Type"] == "application/json"
    validator = jsonschema_rs.validator_for(
        {**content["application/json"]["schema"], "components": spec["components"]}
    )
    errors = [
        f"{list(e.instance_path)}: {e.message}" for e in validator.iter_errors(response.json())
    ]
    assert not errors, errors
