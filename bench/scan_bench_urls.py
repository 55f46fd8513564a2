"""URLconf for bench/bench_scan.py only: a trivial JSON view and the lean scan probe beside
the whole project."""

import json

from django.db import connection
from django.http import JsonResponse
from django.urls import include, path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from accreditation.badges.signing import PREFIX, SIGNATURE_LENGTH, b45decode, claims_from_body
from accreditation.gate import public_keys


def trivial(request):
    """The baseline: Django's whole request cycle and a JSON answer, no database."""
    return JsonResponse({"ok": True})


@csrf_exempt
def lean_probe(request, checkpoint_id: int, agent_id: int):
    """A calibration, not a gate: the lean scan path the gate's 0.3× target was set from, which
    reached about 0.3× the trivial view on the machine where the target was set (2 workers;
    see bench/README.md) — an Ed25519 verification with `cryptography`, one indexed SELECT, one
    INSERT committed before the answer. No rules, no token, no agent check, none of the answer
    a gate needs."""
    data = json.loads(request.body)
    raw = b45decode(data["code"][len(PREFIX) :])
    body, signature = raw[:-SIGNATURE_LENGTH], raw[-SIGNATURE_LENGTH:]
    claims = claims_from_body(body)
    public_keys()[claims.key_id].verify(signature, body)  # raises if forged
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, version FROM accreditation_badge WHERE id = %s", [claims.badge_id]
        )
        badge = cursor.fetchone()
        cursor.execute(
            "INSERT INTO accreditation_scan (checkpoint_id, badge_id, badge_version, direction,"
            " decision, reason, agent_id, device_id, client_scan_id, scanned_at, received_at,"
            " offline, flag, code_digest, device_decision, device_reason) VALUES (%s, %s, %s,"
            " 'in', 'admit', 'ok', %s, %s, %s, %s, %s, false, '', '', '', '') RETURNING id",
            [
                checkpoint_id,
                badge[0],
                badge[1],
                agent_id,
                "probe-" + data["device_id"],
                data["client_scan_id"],
                now,
                now,
            ],
        )
        scan_id = cursor.fetchone()[0]
    return JsonResponse({"decision": "admit", "scan_id": scan_id})


urlpatterns = [
    path("bench/trivial", trivial),
    # The same for a POST with a body like a scan's (no CSRF token: like the gate's API).
    path("bench/trivial-post", csrf_exempt(trivial)),
    path("bench/lean-probe/<int:checkpoint_id>/<int:agent_id>", lean_probe),
    path("gate/", include("accreditation.gate.urls")),
    path("", include("config.urls")),
]
