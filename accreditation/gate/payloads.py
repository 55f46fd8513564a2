"""What the gate's API answers, as JSON: a decision (with the holder's photo ticket and names), the messages the page shows, the signed revocation list with the session windows."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.translation import get_language
from django_countries import countries

from accreditation import gate
from events.models import Checkpoint, Session


def iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if value else None


def _session_payload(window: gate.SessionWindow, **extra) -> dict:
    return {
        "id": window.id,
        "title": window.display_title(),
        "kind": window.kind,
        "media_access": window.media_access,
        "colour": window.colour,
        "starts_at": iso(window.starts_at),
        "ends_at": iso(window.ends_at),
        "opens_at": iso(window.opens_at),
        "closes_at": iso(window.closes_at),
        **extra,
    }


@lru_cache(maxsize=8)
def _photo_url_prefix(root_urlconf, urlconf, script_prefix) -> str:
    return reverse("gate:api_photo", args=["-"])[:-1]


@lru_cache(maxsize=1024)
def _country_name(code: str, language: str | None) -> str:
    """The country's name in the active language (looked up once per process and language)."""
    return str(countries.name(code))


def decision_payload(result: gate.GateDecision, *, agent_id: int) -> dict:
    holder = None
    if result.holder is not None:
        h = result.holder
        ticket = gate.photo_ticket(
            badge_id=h.badge_id, version=h.version, scan_id=result.scan_id, agent_id=agent_id
        )
        holder = {
            "badge_id": h.badge_id,
            "number": h.number,
            "version": h.version,
            "name": h.full_name,
            "given_names": h.given_names,
            "family_names": h.family_names,
            "outlet": h.outlet,
            "country": h.country,
            "country_name": _country_name(h.country, get_language()) if h.country else "",
            "photo_url": _photo_url_prefix(
                settings.ROOT_URLCONF, get_urlconf(), get_script_prefix()
            )
            + ticket,
        }
    session = result.session
    return {
        "scan_id": result.scan_id,
        "duplicate": result.duplicate,
        "decision": result.decision,
        "reason": result.reason,
        "message": result.message,
        "flag": result.flag,
        "flag_message": result.flag_message,
        "direction": result.direction,
        "scanned_at": iso(result.scanned_at),
        "session": {
            "id": session.id,
            "title": session.display_title(),
            "media_access": session.media_access,
        }
        if session
        else None,
        "holder": holder,
    }


def messages_payload() -> dict:
    return {
        "reasons": {code: str(text) for code, text in gate.REASONS.items()},
        "flags": {code: str(text) for code, text in gate.FLAGS.items()},
    }


def revocations_payload(checkpoint: Checkpoint, *, device_id: str) -> dict:
    event = checkpoint.event
    # The sessions this checkpoint serves, with the windows its gate applies (an unknown end
    # settled against the other sessions here); the event's other sessions as announced.
    served = gate.checkpoint_windows(checkpoint)
    served_ids = {w.id for w in served}
    others = [
        gate.announced_window(s, event)
        for s in Session.objects.filter(event=event).exclude(pk__in=served_ids)
    ]
    sessions = [
        _session_payload(w, at_checkpoint=w.id in served_ids)
        for w in sorted(
            [*served, *others],
            key=lambda w: (w.starts_at is None, w.starts_at or dt.datetime.min, w.id),
        )
    ]
    return {
        "generated_at": iso(timezone.now()),
        "device_id": device_id,
        "sync": gate.sync_stamp(device_id),
        "event": {
            "id": event.pk,
            "name": event.display_name(),
            "time_zone": event.time_zone,
            "doors_open_minutes": event.doors_open_minutes,
            "list_max_age_minutes": event.gate_list_max_age_minutes,
            "stale_list_blocks": event.gate_stale_list_blocks,
        },
        "checkpoint": {"id": checkpoint.pk, "name": checkpoint.name},
        "keys": gate.public_keys_b64(),
        "sessions": sessions,
        **gate.revocation_list(event_id=event.pk),
        "messages": messages_payload(),
    }
