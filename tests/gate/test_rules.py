"""Gates admit accredited media only to the sessions open to them, now; every scan is logged
(the rules, through the service)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.conf import settings

from accreditation import gate, review
from accreditation.badges import issuing
from accreditation.badges.signing import (
    BadgeClaims,
    generate_keypair,
    sign_claims,
)
from accreditation.models import Badge, Scan
from events.models import Checkpoint, Session
from tests.factories import make_event
from tests.gate.helpers import (
    DURING_OPENING,
    OPENING,
    US,
    checkpoint_for,
    code_for,
    collected,
    decide,
    issued,
    local,
    printed,
    session,
)

pytestmark = pytest.mark.django_db


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
    issuing.badge_handover(badge=badge, actor=badge_desk, identity_checked=True)
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
    issuing.badge_reissue(badge=badge, actor=badge_desk, reason="Lost", confirmed=True)
    badge.refresh_from_db()
    assert decide(main_hall, old_code, gate_agent).reason == "old_version"
    assert decide(main_hall, badge.qr_text, gate_agent).reason == "not_collected"
    printed(event, badge_desk, badge, reason="Lost")
    issuing.badge_handover(badge=badge, actor=badge_desk, identity_checked=True)
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
