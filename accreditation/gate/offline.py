"""Scans a phone decided offline: each recorded once, decided again by the server with the
rules of an online scan at its stated time, credited to its agent only with proof.
Imports: rules, keys, sql, tickets, decide, models."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _

from accreditation.badges.signing import (
    BadgeClaims,
)
from accreditation.errors import ServiceError
from accreditation.gate.decide import checkpoint_windows
from accreditation.gate.keys import verify
from accreditation.gate.rules import (
    ADMIT,
    ADMIT_REASONS,
    DENY,
    ENTRY,
    EXIT,
    MAX_DB_ID,
    choose_session,
    scan_reason,
)
from accreditation.gate.sql import agent_password, record_scan
from accreditation.gate.tickets import SCAN_KEY_SKEW, code_digest, scan_proven, synced_at
from accreditation.models import AccreditationRequest, Badge, Scan
from accreditation.workflow import audit
from events.models import Checkpoint


@dataclass(frozen=True, slots=True)
class OfflineScan:
    client_scan_id: str
    checkpoint_id: int
    code: str
    direction: str
    scanned_at: dt.datetime
    decision: str  # what the phone showed, as the phone says
    reason: str
    session_id: int | None
    # The sync stamp of the list the phone decided with (sync_stamp): the scan's time must lie
    # between it and now.
    sync: str | None = None
    # The agent who scanned, as the phone recorded it, with the page's proof: the scan key's id
    # and the MAC of the scan's fields (``mac_text``, as sent) under that key. Without a valid
    # proof: the uploading agent.
    agent_id: int | None = None
    agent_key: str | None = None
    agent_mac: str | None = None
    mac_text: str = ""


@dataclass(frozen=True, slots=True)
class UploadResult:
    client_scan_id: str
    status: str  # "recorded" or "duplicate"
    scan_id: int
    flag: str
    decision: str = ""
    reason: str = ""


def _refuse(index: int, code: str, message) -> ServiceError:
    return ServiceError(code, message, field=index)


def offline_upload(
    *, agent_id: int, device_id: str, scans: Sequence[OfflineScan], now: dt.datetime | None = None
) -> list[UploadResult]:
    """Record scans a device decided while offline: each exactly once, however often the
    upload is replayed — and each decided again here, with the rules of an online scan, at the
    scan's stated time. The server's decision and reason are what the log records; the phone's
    are kept beside them, and a scan whose phone showed another decision is flagged
    ``device_disagreed`` for the supervisors. So nothing a phone sends — a forged code, a
    revoked or replaced badge, a closed session — becomes an admission the server would refuse.

    A scan's time must lie after the list it was decided with was given to this device (its
    sync stamp, SCAN_KEY_SKEW of leeway) and not in the future; a scan id this device already
    used for another code is refused. The agent who scanned is ``scan.agent_id`` when the scan
    carries that agent's proof for this device (scan_proven); otherwise the uploader, who
    answers for what they send (``uploaded_by`` is always the uploader). A scan by an agent
    whose account may no longer scan when it arrives happened all the same: it is logged,
    flagged ``agent_not_allowed``. A new admitted entry that overlaps another admitted entry of
    the same badge and session (no exit between them) is flagged ``admitted_at_two_gates`` when
    the other came from another device — and an audit entry is written — or
    ``already_inside``. One flag per scan: device_disagreed, admitted_at_two_gates,
    agent_not_allowed, already_inside, in that order.

    Raises ServiceError (``field`` = the index of the bad scan) for a scan that names an
    unknown checkpoint, a session the checkpoint does not serve, a decision that does not match
    its reason, a time outside its sync window, or a reused scan id; ServiceError "forbidden"
    when the uploader's account is gone."""
    now = now or timezone.now()
    checkpoints = {
        cp.pk: cp
        for cp in Checkpoint.objects.filter(
            pk__in=[s.checkpoint_id for s in scans if 0 < s.checkpoint_id <= MAX_DB_ID]
        )
        .select_related("event")
        .prefetch_related("sessions")
    }
    windows = {pk: checkpoint_windows(cp) for pk, cp in checkpoints.items()}
    skew = dt.timedelta(seconds=SCAN_KEY_SKEW)
    claims_of: dict[int, tuple[BadgeClaims | None, str | None]] = {}
    synced: dict[int, dt.datetime] = {}
    for index, scan in enumerate(scans):
        checkpoint = checkpoints.get(scan.checkpoint_id)
        if checkpoint is None:
            raise _refuse(index, "unknown_checkpoint", _("There is no such checkpoint."))
        served = {w.id for w in windows[checkpoint.pk]}
        if scan.session_id is not None and scan.session_id not in served:
            raise _refuse(
                index, "unknown_session", _("This checkpoint does not serve that session.")
            )
        if (scan.decision == ADMIT) != (scan.reason in ADMIT_REASONS) or (
            scan.reason == "exit" and scan.direction != EXIT
        ):
            raise _refuse(index, "inconsistent", _("The decision does not match its reason."))
        when = synced_at(scan.sync, device_id=device_id)
        if when is None or not when - skew <= scan.scanned_at <= now + skew:
            raise _refuse(
                index,
                "outside_sync_window",
                _(
                    "This scan's time is not between the phone's last synchronisation and now, "
                    "or it does not come from this phone."
                ),
            )
        synced[index] = when
        claims, reason = verify(scan.code)
        if claims is not None and claims.event_id != checkpoint.event_id:
            claims, reason = None, "wrong_event"
        claims_of[index] = (claims, reason)
    # Who scanned each: the named agent if the scan proves it, else the uploader. One query per
    # other agent named (in practice the one or two who shared the phone) tells whether they
    # may still scan.
    scanned_by = [
        scan.agent_id
        if scan.agent_id is not None
        and scan_proven(
            scan.agent_key,
            scan.agent_mac,
            agent_id=scan.agent_id,
            device_id=device_id,
            text=scan.mac_text,
            scanned_at=scan.scanned_at,
        )
        else agent_id
        for scan in scans
    ]
    not_allowed = {a for a in set(scanned_by) - {agent_id} if agent_password(agent_id=a) is None}
    wanted = {c.badge_id for c, _r in claims_of.values() if c is not None}
    order = sorted(range(len(scans)), key=lambda i: (scans[i].scanned_at, i))
    results: dict[int, UploadResult] = {}
    with transaction.atomic():
        # Whether each agent still exists (a user without scans can be deleted, even while this
        # upload runs): read under a lock, which makes a concurrent deletion wait for the scans.
        # An agent gone leaves their scans to the uploader; the uploader gone, nobody answers.
        present = set(
            get_user_model()
            .objects.select_for_update(no_key=True)
            .filter(pk__in=sorted(set(scanned_by) | {agent_id}))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if agent_id not in present:
            raise ServiceError("forbidden", _("Only gate agents can use the gate."))
        scanned_by = [a if a in present else agent_id for a in scanned_by]
        not_allowed &= present
        # Lock the badges concerned, in a fixed order: two devices uploading the same badge at
        # once are serialised, so the second one sees the first one's scans and is flagged.
        badges = {
            pk: (request_id, (version, status, collected_at))
            for pk, request_id, version, status, collected_at in Badge.objects.select_for_update(
                of=("self",)
            )
            .filter(pk__in=sorted(wanted))
            .order_by("pk")
            .values_list("pk", "request_id", "version", "request__status", "collected_at")
        }
        for index in order:
            scan = scans[index]
            claims, code_reason = claims_of[index]
            cp = checkpoints[scan.checkpoint_id]
            granted = claims.session_ids if claims is not None and code_reason is None else ()
            session = choose_session(windows[cp.pk], scan.scanned_at, granted, scan.direction)
            found = badges.get(claims.badge_id) if claims is not None else None
            reason = scan_reason(
                claims=claims,
                code_reason=code_reason,
                badge=found[1] if found else None,
                session=session,
                now=scan.scanned_at,
                direction=scan.direction,
            )
            stale = scan.scanned_at - synced[index] > dt.timedelta(
                minutes=cp.event.gate_list_max_age_minutes
            )
            if reason == "ok" and stale and cp.event.gate_stale_list_blocks:
                reason = "stale_list"
            decision = ADMIT if reason in ADMIT_REASONS else DENY
            badge_id = claims.badge_id if found and claims else None
            flag = ""
            if decision != scan.decision:
                flag = "device_disagreed"
            elif scanned_by[index] in not_allowed:
                flag = "agent_not_allowed"
            scan_id = record_scan(
                checkpoint_id=cp.pk,
                session_id=session.id if session else None,
                badge_id=badge_id,
                badge_version=claims.version if found and claims else None,
                direction=scan.direction,
                decision=decision,
                reason=reason,
                agent_id=scanned_by[index],
                device_id=device_id,
                client_scan_id=scan.client_scan_id,
                scanned_at=scan.scanned_at,
                offline=True,
                flag=flag,
                uploaded_by_id=agent_id,
                code_digest=code_digest(scan.code),
                device_decision=scan.decision,
                device_reason=scan.reason,
            )
            if scan_id is None:
                first = Scan.objects.filter(
                    device_id=device_id, client_scan_id=scan.client_scan_id
                ).values_list("pk", "flag", "decision", "reason", "code_digest")[0]
                if not constant_time_compare(first[4], code_digest(scan.code)):
                    raise _refuse(
                        index,
                        "scan_id_reused",
                        _("This scan id was already used for another badge code."),
                    )
                results[index] = UploadResult(scan.client_scan_id, "duplicate", *first[:4])
                continue
            if (
                badge_id is not None
                and session is not None
                and decision == ADMIT
                and (scan.direction == ENTRY)
            ):
                overlap, other, other_agent = _overlap(
                    scan_id=scan_id,
                    badge_id=badge_id,
                    session_id=session.id,
                    scanned_at=scan.scanned_at,
                    device_id=device_id,
                )
                if (
                    overlap
                    and flag != "device_disagreed"
                    and (overlap == "admitted_at_two_gates" or not flag)
                ):
                    flag = overlap
                    Scan.objects.filter(pk=scan_id).update(flag=flag)
                if overlap == "admitted_at_two_gates":
                    assert found is not None  # only a badge found was admitted
                    audit(
                        action="gate.admitted_at_two_gates",
                        request=AccreditationRequest.objects.get(pk=found[0]),
                        actor_label=f"gate device {device_id}",
                        data={
                            "badge": badge_id,
                            "session": session.id,
                            "scans": [other, scan_id],
                            "agents": [other_agent, scanned_by[index]],
                        },
                    )
            if flag == "device_disagreed":
                audit(
                    action="gate.device_disagreed",
                    request=AccreditationRequest.objects.get(pk=found[0]) if found else None,
                    actor_label=f"gate device {device_id}",
                    data={
                        "scan": scan_id,
                        "device": [scan.decision, scan.reason],
                        "server": [decision, reason],
                    },
                )
            results[index] = UploadResult(
                scan.client_scan_id, "recorded", scan_id, flag, decision, reason
            )
    return [results[i] for i in range(len(scans))]


def _overlap(
    *, scan_id: int, badge_id: int, session_id: int, scanned_at: dt.datetime, device_id: str
) -> tuple[str, int | None, int | None]:
    """Whether a new admitted entry overlaps another admitted entry of the same badge and
    session with no admitted exit between them: the flag, the other scan's id and its agent."""
    admitted = Scan.objects.filter(
        badge_id=badge_id, session_id=session_id, decision=ADMIT
    ).exclude(pk=scan_id)
    before = (
        admitted.filter(scanned_at__lte=scanned_at)
        .order_by("-scanned_at", "-pk")
        .values_list("pk", "direction", "device_id", "agent_id")
        .first()
    )
    after = (
        admitted.filter(scanned_at__gt=scanned_at)
        .order_by("scanned_at", "pk")
        .values_list("pk", "direction", "device_id", "agent_id")
        .first()
    )
    flag, other, other_agent = "", None, None
    for neighbour in (before, after):
        if neighbour is None or neighbour[1] != ENTRY:
            continue
        if neighbour[2] != device_id:
            return "admitted_at_two_gates", neighbour[0], neighbour[3]
        flag, other, other_agent = "already_inside", neighbour[0], neighbour[3]
    return flag, other, other_agent
