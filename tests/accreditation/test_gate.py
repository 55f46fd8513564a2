"""Gates admit accredited media only to the sessions open to them, now; every scan is logged.

The event: opening ceremony on Monday 24 November 2025 at 10:30 in Marrakech (end not
announced), a plenary 14:30–18:30 closed to media, a closing ceremony whose time is not
announced, and a press conference on Tuesday 11:00–12:00 on request. Doors open 60 minutes
before a session.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zoneinfo

import jsonschema_rs
import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import resolve, reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accreditation import badging, gate, review
from accreditation.badges.signing import (
    BadgeClaims,
    generate_keypair,
    load_private_key,
    sign_claims,
)
from accreditation.gate.api import issue_token, read_token
from accreditation.gate.openapi import schema as openapi_schema
from accreditation.models import AuditEntry, Badge, Scan
from events.models import Checkpoint, Session
from tests.factories import make_event, make_request, make_user

pytestmark = pytest.mark.django_db

MARRAKECH = zoneinfo.ZoneInfo("Africa/Casablanca")
US = dt.timedelta(microseconds=1)


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=MARRAKECH)


OPENING = local(2025, 11, 24, 10, 30)
DURING_OPENING = local(2025, 11, 24, 11, 0)


@pytest.fixture
def event(db):
    event = make_event(slug="ga93", starts_on=dt.date(2025, 11, 24), ends_on=dt.date(2025, 11, 27))
    Session.objects.create(
        event=event,
        kind="press_conference",
        title="Press conference",
        starts_at=local(2025, 11, 25, 11, 0),
        ends_at=local(2025, 11, 25, 12, 0),
        media_access="on_request",
    )
    return event


def session(event, kind) -> Session:
    return event.sessions.get(kind=kind)


@pytest.fixture
def main_hall(event):
    checkpoint = Checkpoint.objects.create(event=event, name="Main hall")
    checkpoint.sessions.set(event.sessions.filter(kind__in=["opening", "plenary", "closing"]))
    return checkpoint


def checkpoint_for(event, *kinds, name=None) -> Checkpoint:
    checkpoint = Checkpoint.objects.create(event=event, name=name or "+".join(kinds))
    checkpoint.sessions.set(event.sessions.filter(kind__in=kinds))
    return checkpoint


def issued(event, reviewer, *, sessions=None, **fields) -> Badge:
    req = make_request(event, **fields)
    review.request_approve(request=req, actor=reviewer, sessions=sessions)
    return badging.badge_issue(request_id=req.pk)


def printed(event, badge_desk, *badges, reason="") -> None:
    badging.batch_render(
        batch_id=badging.batch_create(
            event=event, badges=list(badges), actor=badge_desk, reprint_reason=reason
        ).pk
    )


def collected(event, reviewer, badge_desk, *, sessions=None, **fields) -> Badge:
    """A badge handed over at the desk, the way the desk does it."""
    badge = issued(event, reviewer, sessions=sessions, **fields)
    printed(event, badge_desk, badge)
    badging.badge_handover(badge=badge, actor=badge_desk, identity_checked=True)
    badge.refresh_from_db()
    return badge


@pytest.fixture
def badge(event, reviewer, badge_desk):
    """Amina's badge: granted the open sessions she asked for (opening and closing)."""
    return collected(event, reviewer, badge_desk, given_names="Amina", outlet_name="Le Matin")


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


# --- the rules ----------------------------------------------------------------------------------


def test_a_collected_badge_is_admitted_to_an_open_session_it_grants_and_the_scan_is_logged(
    main_hall, badge, gate_agent
):
    result = decide(main_hall, badge.qr_text, gate_agent, device="phone-7", scan_id="abc")
    assert (result.decision, result.reason, result.flag) == ("admit", "ok", "")
    assert result.session.id == session(badge.event, "opening").pk
    assert result.holder.full_name == f"Amina {badge.request.family_names.upper()}"
    assert (result.holder.outlet, result.holder.country) == ("Le Matin", "MA")
    scan = Scan.objects.get()
    assert (scan.checkpoint, scan.session.kind, scan.badge, scan.badge_version) == (
        main_hall,
        "opening",
        badge,
        1,
    )
    assert (scan.decision, scan.reason, scan.agent, scan.device_id, scan.client_scan_id) == (
        "admit",
        "ok",
        gate_agent,
        "phone-7",
        "abc",
    )
    assert scan.scanned_at == DURING_OPENING and scan.offline is False
    assert scan.uploaded_by is None  # scanned and logged by the same agent, at once


@pytest.mark.parametrize(
    "at, reason",
    [
        (OPENING - dt.timedelta(minutes=60) - US, "too_early"),
        (OPENING - dt.timedelta(minutes=60), "ok"),  # doors open an hour before
        # End not announced: the event's default admission (120 minutes after the start) —
        # never "until midnight".
        (OPENING + dt.timedelta(minutes=120) - US, "ok"),
        (OPENING + dt.timedelta(minutes=120), "session_over"),
        (local(2025, 11, 24, 23, 0), "session_over"),
    ],
)
def test_an_open_session_without_an_end_admits_for_the_events_default_time(
    event, badge, gate_agent, at, reason
):
    door = checkpoint_for(event, "opening")
    with time_machine.travel(at, tick=False):
        assert decide(door, badge.qr_text, gate_agent, at=None).reason == reason


def test_an_open_session_without_an_end_admits_until_the_next_session_opens_its_doors(
    event, badge, gate_agent
):
    """The plenary's doors at the main hall open at 13:30: with a default of 5 hours, the
    opening would cover them; it stops admitting there."""
    event.open_session_default_minutes = 300
    event.save(update_fields=["open_session_default_minutes"])
    door = checkpoint_for(event, "opening", "plenary")
    plenary_doors = local(2025, 11, 24, 13, 30)
    assert decide(door, badge.qr_text, gate_agent, at=plenary_doors - US).reason == "ok"
    result = decide(door, badge.qr_text, gate_agent, at=plenary_doors)
    assert (result.reason, result.session.kind) == ("closed_to_media", "plenary")


@pytest.mark.parametrize(
    "at, reason",
    [
        (local(2025, 11, 25, 10, 0) - US, "too_early"),
        (local(2025, 11, 25, 10, 0), "ok"),
        (local(2025, 11, 25, 12, 0) - US, "ok"),
        (local(2025, 11, 25, 12, 0), "session_over"),  # the announced end is exclusive
    ],
)
def test_an_announced_end_closes_the_doors(event, reviewer, badge_desk, gate_agent, at, reason):
    press = session(event, "press_conference")
    badge = collected(event, reviewer, badge_desk, sessions=[press])
    room = checkpoint_for(event, "press_conference")
    with time_machine.travel(at, tick=False):
        assert decide(room, badge.qr_text, gate_agent, at=None).reason == reason


def test_the_doors_open_time_is_the_events_setting(main_hall, badge, gate_agent):
    event = badge.event
    event.doors_open_minutes = 15
    event.save(update_fields=["doors_open_minutes"])
    assert (
        decide(main_hall, badge.qr_text, gate_agent, at=OPENING - dt.timedelta(minutes=16)).reason
        == "too_early"
    )
    assert (
        decide(main_hall, badge.qr_text, gate_agent, at=OPENING - dt.timedelta(minutes=15)).reason
        == "ok"
    )


def test_a_closed_session_admits_no_media_badge_whatever_the_badge_grants(event, badge, gate_agent):
    plenary = session(event, "plenary")
    # A code that says it grants every session, the plenary included, genuinely signed.
    grants_all = code_for(badge, session_ids=tuple(event.sessions.values_list("pk", flat=True)))
    Badge.objects.filter(pk=badge.pk).update(qr_text=grants_all)
    door = checkpoint_for(event, "plenary")
    for at in (local(2025, 11, 24, 15, 0), local(2025, 11, 24, 9, 0), local(2025, 11, 26, 9, 0)):
        result = decide(door, grants_all, gate_agent, at=at)
        assert (result.decision, result.reason) == ("deny", "closed_to_media")
        assert result.session.id == plenary.pk
    assert str(result.message) == "This session is closed to media."


def test_a_session_closed_to_media_after_the_badges_were_issued_admits_no_one(
    event, main_hall, badge, gate_agent
):
    Session.objects.filter(event=event, kind="opening").update(media_access="closed")
    assert decide(main_hall, badge.qr_text, gate_agent).reason == "closed_to_media"


def test_during_a_closed_plenary_the_main_hall_denies_media_whatever_else_it_serves(
    event, main_hall, badge, gate_agent
):
    """The defect the review found: at the main hall, during the plenary on opening day, a media
    badge was admitted "Opening ceremony". Even an opening announced to end at 18:00 cannot
    admit media into the closed plenary (doors 13:30 to its end)."""
    Session.objects.filter(event=event, kind="opening").update(ends_at=local(2025, 11, 24, 18, 0))
    for at in (
        local(2025, 11, 24, 13, 30),
        local(2025, 11, 24, 15, 0),
        local(2025, 11, 24, 18, 29),
    ):
        result = decide(main_hall, badge.qr_text, gate_agent, at=at)
        assert (result.decision, result.reason, result.session.kind) == (
            "deny",
            "closed_to_media",
            "plenary",
        )
    # Before the plenary's doors the opening admits as announced; exits are always recorded.
    assert decide(main_hall, badge.qr_text, gate_agent, at=local(2025, 11, 24, 13, 29)).reason == (
        "ok"
    )
    out = decide(
        main_hall, badge.qr_text, gate_agent, at=local(2025, 11, 24, 15, 0), direction="out"
    )
    assert (out.decision, out.reason) == ("admit", "exit")


def test_a_session_whose_time_is_not_announced_admits_no_one(event, badge, gate_agent):
    door = checkpoint_for(event, "closing")
    assert session(event, "closing").pk in badge.sessions.values_list("pk", flat=True)
    result = decide(door, badge.qr_text, gate_agent, at=local(2025, 11, 27, 10, 0))
    assert (result.decision, result.reason) == ("deny", "not_announced")


def test_after_the_opening_the_main_hall_waits_for_the_closing_to_be_announced(
    main_hall, badge, gate_agent
):
    assert decide(main_hall, badge.qr_text, gate_agent, at=local(2025, 11, 26, 10, 0)).reason == (
        "not_announced"
    )


def test_a_session_on_request_admits_only_badges_granted_it(
    event, reviewer, badge_desk, badge, gate_agent
):
    room = checkpoint_for(event, "press_conference")
    at = local(2025, 11, 25, 11, 5)
    assert decide(room, badge.qr_text, gate_agent, at=at).reason == "not_granted"
    invited = collected(event, reviewer, badge_desk, sessions=[session(event, "press_conference")])
    assert decide(room, invited.qr_text, gate_agent, at=at).reason == "ok"


def test_an_open_session_the_badge_does_not_grant_is_refused(
    event, reviewer, badge_desk, main_hall, gate_agent
):
    closing_only = collected(event, reviewer, badge_desk, sessions=[session(event, "closing")])
    assert decide(main_hall, closing_only.qr_text, gate_agent).reason == "not_granted"


def test_a_checkpoint_serving_no_session_admits_no_one(event, badge, gate_agent):
    empty = Checkpoint.objects.create(event=event, name="Service door")
    result = decide(empty, badge.qr_text, gate_agent)
    assert (result.reason, result.session) == ("no_session", None)
    assert Scan.objects.get().reason == "no_session"


def test_a_printed_badge_not_handed_over_is_refused(
    event, reviewer, badge_desk, main_hall, gate_agent
):
    badge = issued(event, reviewer)
    assert decide(main_hall, badge.qr_text, gate_agent).reason == "not_collected"
    printed(event, badge_desk, badge)
    assert decide(main_hall, badge.qr_text, gate_agent).reason == "not_collected"
    badging.badge_handover(badge=badge, actor=badge_desk, identity_checked=True)
    assert decide(main_hall, badge.qr_text, gate_agent).reason == "ok"


def test_a_badge_admitted_then_revoked_is_refused_when_replayed(
    main_hall, badge, gate_agent, reviewer, supervisor
):
    assert decide(main_hall, badge.qr_text, gate_agent).reason == "ok"
    review.request_revoke(request=badge.request, actor=reviewer, reason="Press card forged")
    replay = decide(main_hall, badge.qr_text, gate_agent)
    assert (replay.decision, replay.reason) == ("deny", "revoked")
    assert replay.holder.badge_id == badge.pk  # the agent still sees whose badge it is
    review.request_reopen(request=badge.request, actor=supervisor, reason="Checking again")
    assert decide(main_hall, badge.qr_text, gate_agent).reason == "revoked"


def test_a_withdrawn_request_is_refused(event, reviewer, badge_desk, main_hall, gate_agent):
    from accreditation.workflow import transition

    badge = issued(event, reviewer)
    printed(event, badge_desk, badge)
    badge.request.refresh_from_db()
    transition(badge.request, to="withdrawn", actor_label="the journalist")
    assert decide(main_hall, badge.qr_text, gate_agent).reason == "revoked"


def test_a_lost_badge_reissued_refuses_the_old_code_and_admits_the_new_one_once_collected(
    event, main_hall, badge, gate_agent, badge_desk
):
    old_code = badge.qr_text
    badging.badge_reissue(badge=badge, actor=badge_desk, reason="Lost")
    badge.refresh_from_db()
    assert decide(main_hall, old_code, gate_agent).reason == "old_version"
    assert decide(main_hall, badge.qr_text, gate_agent).reason == "not_collected"
    printed(event, badge_desk, badge, reason="Lost")
    badging.badge_handover(badge=badge, actor=badge_desk, identity_checked=True)
    assert decide(main_hall, badge.qr_text, gate_agent).reason == "ok"
    assert decide(main_hall, old_code, gate_agent).reason == "old_version"
    assert decide(main_hall, code_for(badge, version=7), gate_agent).reason == "unknown_badge"


def test_forged_tampered_and_foreign_codes_are_refused_with_their_reason(
    main_hall, badge, gate_agent
):
    forger, _ = generate_keypair()
    forged = sign_claims(
        BadgeClaims(
            badge_id=badge.pk,
            version=1,
            event_id=badge.event_id,
            session_ids=tuple(badge.sessions.values_list("pk", flat=True)),
            key_id=settings.BADGE_SIGNING_KEY_ID,
        ),
        forger,
    )
    assert decide(main_hall, forged, gate_agent).reason == "bad_signature"
    # One character changed inside the signed body: still base45, no longer genuine.
    body_char = 20
    swapped = "1" if badge.qr_text[body_char] != "1" else "2"
    tampered = badge.qr_text[:body_char] + swapped + badge.qr_text[body_char + 1 :]
    assert decide(main_hall, tampered, gate_agent).reason in ("bad_signature", "malformed")
    assert decide(main_hall, code_for(badge, key_id=99), gate_agent).reason == "unknown_key"
    assert decide(main_hall, "PP2:ABC", gate_agent).reason == "unsupported_format"
    assert decide(main_hall, "https://example.org/", gate_agent).reason == "malformed"
    assert decide(main_hall, badge.qr_text.lower(), gate_agent).reason == "malformed"
    assert decide(main_hall, badge.qr_text + " ", gate_agent).reason == "malformed"
    assert decide(main_hall, code_for(badge, badge_id=badge.pk + 1000), gate_agent).reason == (
        "unknown_badge"
    )
    denied = Scan.objects.filter(decision="deny")
    assert denied.count() == 8
    assert denied.filter(badge__isnull=True).count() == 8  # no badge is credited with a forgery


def test_a_badge_of_another_event_is_refused(main_hall, reviewer, badge_desk, gate_agent):
    other = make_event(slug="ga92", starts_on=dt.date(2025, 11, 24), ends_on=dt.date(2025, 11, 27))
    foreign = collected(other, reviewer, badge_desk)
    result = decide(main_hall, foreign.qr_text, gate_agent)
    assert (result.decision, result.reason, result.holder) == ("deny", "wrong_event", None)


def test_a_second_entry_without_exit_is_admitted_and_flagged_and_counters_follow(
    event, main_hall, badge, reviewer, badge_desk, gate_agent
):
    other = collected(event, reviewer, badge_desk)
    opening = session(event, "opening").pk
    t = DURING_OPENING
    assert decide(main_hall, badge.qr_text, gate_agent, at=t).flag == ""
    again = decide(main_hall, badge.qr_text, gate_agent, at=t + dt.timedelta(minutes=1))
    assert (again.decision, again.flag) == ("admit", "already_inside")
    assert str(again.flag_message).startswith("Already inside")
    out = decide(
        main_hall, badge.qr_text, gate_agent, direction="out", at=t + dt.timedelta(minutes=2)
    )
    assert (out.decision, out.reason, out.flag) == ("admit", "exit", "")
    back = decide(main_hall, badge.qr_text, gate_agent, at=t + dt.timedelta(minutes=3))
    assert back.flag == ""
    decide(main_hall, other.qr_text, gate_agent, at=t + dt.timedelta(minutes=4))
    decide(main_hall, other.qr_text, gate_agent, direction="out", at=t + dt.timedelta(minutes=5))
    lonely_exit = decide(
        main_hall, other.qr_text, gate_agent, direction="out", at=t + dt.timedelta(minutes=6)
    )
    assert lonely_exit.flag == "not_inside"
    decide(main_hall, "garbage", gate_agent, at=t + dt.timedelta(minutes=7))
    counters = gate.session_counters(session_ids=[opening])
    assert counters[opening] == {"admitted": 2, "inside": 1}


def test_an_exit_after_the_session_is_recorded_against_it(main_hall, badge, gate_agent):
    decide(main_hall, badge.qr_text, gate_agent)
    late = decide(
        main_hall, badge.qr_text, gate_agent, direction="out", at=local(2025, 11, 25, 0, 30)
    )
    assert (late.reason, late.session.kind, late.flag) == ("exit", "opening", "")


def test_a_revoked_badge_may_still_leave(main_hall, badge, gate_agent, reviewer):
    decide(main_hall, badge.qr_text, gate_agent)
    review.request_revoke(request=badge.request, actor=reviewer, reason="Misconduct")
    assert decide(main_hall, badge.qr_text, gate_agent, direction="out").decision == "admit"


def test_public_keys_are_loaded_once_per_process():
    assert gate.public_keys() is gate.public_keys()


# --- the API --------------------------------------------------------------------------------------


def scan_url(checkpoint) -> str:
    return reverse("gate:api_scan", args=[checkpoint.pk])


def scan_body(code, **extra) -> dict:
    return {"code": code, "device_id": "phone-1", "client_scan_id": f"c{next(_scan_ids)}", **extra}


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


# --- offline ---------------------------------------------------------------------------------------


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
    with django_assert_max_num_queries(10):  # not one more per scan
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
    badging.badge_reissue(badge=reissued, actor=badge_desk, reason="Lost")
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
    }
    assert by_title["Plenary"]["admitted"] == 0


# --- the page -------------------------------------------------------------------------------------


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


# --- the OpenAPI description -------------------------------------------------------------------


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
