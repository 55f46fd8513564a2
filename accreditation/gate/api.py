"""The gate's JSON API: scan, revocation list (with keys and session windows), counters,
offline upload, the scanned holder's photo. Documented in accreditation/gate/openapi.py.

Authentication is a bearer token that the gate page receives when a gate agent opens it (or
from ``GET /gate/api/token`` with a signed-in session): a signed, expiring pair of the agent's
id and a fingerprint of their password hash. Every call re-checks in the database that the
agent is active and holds ``accreditation.scan_badge`` — for a scan inside the same query that
reads the checkpoint — so removing an agent from the group takes effect at once, and a
password change invalidates their tokens. No cookie authenticates these views, so they need no
CSRF token.

Anything malformed gets a 4xx JSON answer ``{"error": code, "message": text}``, never a 500.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import mimetypes
from functools import wraps

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, InterfaceError, OperationalError
from django.http import JsonResponse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from accreditation import gate
from accreditation.errors import ServiceError
from accreditation.gate import openapi as api_description
from accreditation.gate.payloads import decision_payload, iso, revocations_payload
from accreditation.gate.rules import media_area_full
from accreditation.privacy.storage import private_file_response
from accreditation.ratelimit import client_ip
from accreditation.roles import may_scan, signed_in
from config.logs import security_event
from events.models import Checkpoint, Session

SCAN_MAX_BYTES = 8 * 1024


UPLOAD_MAX_BYTES = 2 * 1024 * 1024


# The shapes of request bodies are in openapi.json (lengths, patterns, enums), checked by its
# validator; what JSON Schema cannot say is checked here: a scan's time is not before 2000 and
# not in the future (with CLOCK_SKEW for the phone's clock).
_EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


CLOCK_SKEW = dt.timedelta(minutes=10)


PROOF_MAX_LENGTH = 200  # a scan key's id or a MAC: a few fields and a signature


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, **extra) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra

    def response(self) -> JsonResponse:
        response = _json(
            {"error": self.code, "message": str(self.message), **self.extra}, status=self.status
        )
        if self.status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="gate"'
        return response


log = logging.getLogger(__name__)
RETRY_AFTER = 5  # seconds before the page tries the server again


def _json(data: dict, status: int = 200) -> JsonResponse:
    response = JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response


def api_view(method: str):
    """A JSON endpoint: one HTTP method, errors as JSON, no cookie auth (hence no CSRF)."""

    def decorate(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method != method:
                response = ApiError(
                    405, "method_not_allowed", _("Use %(method)s.") % {"method": method}
                ).response()
                response["Allow"] = method
                return response
            try:
                return view(request, *args, **kwargs)
            except ApiError as exc:
                return exc.response()
            except (OperationalError, InterfaceError) as exc:
                # The database is away (a restart, the network): JSON the page understands,
                # so it decides offline at once and sends its scans later.
                log.warning("gate API without its database: %s", exc.__class__.__name__)
                response = ApiError(
                    503,
                    "unavailable",
                    _("The server cannot record scans right now: the page decides offline."),
                    retry_after=RETRY_AFTER,
                ).response()
                response["Retry-After"] = str(RETRY_AFTER)
                return response

        return wrapper

    return decorate


def token_max_age() -> int:
    return settings.PRESSPASS_GATE_TOKEN_HOURS * 3600


def issue_token(user, device_id: str) -> str:
    """A gate token: the agent, a fingerprint of their password hash and the device it was
    issued to, signed and dated."""
    return gate.stamp(gate.TOKEN_SALT, user.pk, gate.token_fingerprint(user.password), device_id)


def read_token(token: str) -> tuple[int, str, str]:
    """The agent id, password fingerprint and device id a token carries; raises
    gate.StampError."""
    fields = gate.unstamp(gate.TOKEN_SALT, token, max_age=token_max_age())
    if len(fields) != 3 or not fields[0].isascii() or not fields[0].isdigit():
        raise gate.StampError("invalid")
    return int(fields[0]), fields[1], fields[2]


def _token_agent(request) -> tuple[int, str, str]:
    """The agent id, password fingerprint and device a bearer token carries (no database
    access)."""
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(
            401, "not_authenticated", _("Send the gate token: Authorization: Bearer <token>.")
        )
    try:
        return read_token(token)
    except gate.StampError as exc:
        security_event("gate_token.refused", reason=str(exc), client=client_ip(request))
        if str(exc) == "expired":
            raise ApiError(
                401, "token_expired", _("The gate token expired: reload the page.")
            ) from None
        raise ApiError(401, "invalid_token", _("This gate token is not valid.")) from None


def _same_device(device_id: str, token_device: str) -> None:
    """Scans name the device their token was issued to: no one records under another phone."""
    if not constant_time_compare(device_id, token_device):
        raise ApiError(
            403, "wrong_device", _("This gate token was issued to another device: reload the page.")
        )


def _check_agent(password: str | None, fingerprint: str) -> None:
    if password is None:
        raise ApiError(403, "forbidden", _("Only gate agents can use the gate."))
    if not constant_time_compare(gate.token_fingerprint(password), fingerprint):
        raise ApiError(401, "invalid_token", _("This gate token is not valid."))


def _agent(request) -> int:
    return _agent_and_device(request)[0]


def _agent_and_device(request) -> tuple[int, str]:
    agent_id, fingerprint, device_id = _token_agent(request)
    _check_agent(gate.agent_password(agent_id=agent_id), fingerprint)
    return agent_id, device_id


def _body(request, max_bytes: int) -> dict:
    try:
        raw = request.body
    except RequestDataTooBig:
        raise ApiError(413, "too_large", _("The request is too large.")) from None
    if len(raw) > max_bytes:
        raise ApiError(413, "too_large", _("The request is too large."))
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ApiError(400, "bad_json", _("The body must be a JSON object.")) from None
    if not isinstance(data, dict):
        raise ApiError(400, "bad_json", _("The body must be a JSON object."))
    return data


def _invalid(field: str, message: str, **extra) -> ApiError:
    return ApiError(400, "invalid", message, field=field, **extra)


def _valid(component: str, data: dict) -> dict:
    """``data`` if it is what openapi.json describes as ``component``; else a 400 naming the
    first field that is not (and, in an upload, the scan's index)."""
    error = api_description.first_error(component, data)
    if error is None:
        return data
    extra = {"index": error.index} if error.index is not None else {}
    raise _invalid(error.field, error.message, **extra)


def _id(value) -> int | None:
    """An id the schema accepted (an integer, perhaps written 1.0), or None."""
    return None if value is None else int(value)


def _when(value: str, field: str, index: int) -> dt.datetime:
    """A scan's time the schema accepted (RFC 3339 with its offset), within what can be."""
    try:
        when = dt.datetime.fromisoformat(value.upper()).astimezone(dt.UTC)
    except (ValueError, OverflowError):
        when = None
    if when is None or not _EARLIEST <= when <= timezone.now() + CLOCK_SKEW:
        raise _invalid(
            field, api_description.date_time_message() % {"field": "scanned_at"}, index=index
        )
    return when


@api_view("GET")
def token(request):
    """A gate token for the signed-in agent (session cookie), e.g. when the page's expired."""
    user = request.user
    if not signed_in(user):
        raise ApiError(401, "not_authenticated", _("Sign in first."))
    if not may_scan(user):
        raise ApiError(403, "forbidden", _("Only gate agents can use the gate."))
    expires = timezone.now() + dt.timedelta(seconds=token_max_age())
    # The phone's device id, if it shows one we made; otherwise a new one (a phone never
    # chooses its own id, so no one can record scans under another phone's).
    device_id = gate.device_from_credential(request.GET.get("device")) or gate.new_device_id()
    gate.record_token_issued(agent=user, ip_address=client_ip(request))
    key_id, key = gate.scan_key(user.pk, device_id)
    # Who is signed in now: a page the service worker kept may be an earlier agent's (a shared
    # phone), and the page tags its offline scans with this agent from then on, signed with the
    # scan key (kept in the page's memory only).
    return _json(
        {
            "token": issue_token(user, device_id),
            "expires_at": iso(expires),
            "device": {"id": device_id, "credential": gate.device_credential(device_id)},
            "agent": {
                "id": user.pk,
                "name": agent_name(user),
                "scan_key": {"id": key_id, "key": key},
            },
        }
    )


def agent_name(user) -> str:
    """How the gate page names the agent signed in on it."""
    return user.get_full_name() or user.get_username()


@api_view("POST")
def scan(request, checkpoint_id: int):
    agent_id, fingerprint, token_device = _token_agent(request)
    data = _valid("ScanRequest", _body(request, SCAN_MAX_BYTES))
    code = data["code"]
    direction = data.get("direction", gate.ENTRY)
    device_id, client_scan_id = data["device_id"], data["client_scan_id"]
    _same_device(device_id, token_device)
    digest = gate.code_digest(code)
    for attempt in (1, 2):
        context = gate.checkpoint_context(checkpoint_id=checkpoint_id, agent_id=agent_id, code=code)
        _check_agent(context.agent_password, fingerprint)
        if not context.exists:
            raise ApiError(404, "unknown_checkpoint", _("There is no such checkpoint."))
        try:
            result = gate.gate_decide(
                context=context,
                agent_id=agent_id,
                direction=direction,
                device_id=device_id,
                client_scan_id=client_scan_id,
                digest=digest,
            )
        except ServiceError as exc:
            raise ApiError(409, exc.code, str(exc.message)) from None
        except IntegrityError:
            # A row the scan names was deleted since it was read (the agent's account, the
            # checkpoint, a session): decide again on what is there now.
            if attempt == 2:
                raise
        else:
            return _json(decision_payload(result, agent_id=agent_id))


def _checkpoint(checkpoint_id: int) -> Checkpoint:
    found = None
    if 0 < checkpoint_id <= gate.MAX_DB_ID:
        found = Checkpoint.objects.select_related("event").filter(pk=checkpoint_id).first()
    if found is None:
        raise ApiError(404, "unknown_checkpoint", _("There is no such checkpoint."))
    return found


@api_view("GET")
def revocations(request, checkpoint_id: int):
    """What the page needs to decide on its own — keys, session windows, revocation list — as a
    JSON text signed by the server (``payload``, ``signature``, ``key_id``): the page checks it
    with the key it was served with before trusting what its storage kept."""
    _agent_id, device_id = _agent_and_device(request)
    checkpoint = _checkpoint(checkpoint_id)
    payload = json.dumps(
        revocations_payload(checkpoint, device_id=device_id),
        ensure_ascii=False,
        separators=(",", ":"),
    )
    key_id, signature = gate.sign_list(payload)
    return _json({"payload": payload, "signature": signature, "key_id": key_id})


@api_view("GET")
def counters(request, checkpoint_id: int):
    _agent(request)
    checkpoint = _checkpoint(checkpoint_id)
    windows = gate.checkpoint_windows(checkpoint)
    counts = gate.session_counters(session_ids=[w.id for w in windows])
    places = dict(
        Session.objects.filter(pk__in=[w.id for w in windows]).values_list("pk", "media_capacity")
    )
    return _json(
        {
            "generated_at": iso(timezone.now()),
            "sessions": [
                {
                    "id": w.id,
                    "title": w.display_title(),
                    **counts[w.id],
                    "capacity": places.get(w.id),
                    "full": media_area_full(counts[w.id]["inside"], places.get(w.id)),
                }
                for w in windows
            ],
        }
    )


@api_view("POST")
def offline_scans(request):
    agent_id, token_device = _agent_and_device(request)
    data = _valid("OfflineUpload", _body(request, UPLOAD_MAX_BYTES))
    device_id = data["device_id"]
    _same_device(device_id, token_device)
    scans = []
    seen = set()
    for index, item in enumerate(data["scans"]):
        client_scan_id = item["client_scan_id"]
        if client_scan_id in seen:
            raise _invalid(
                f"scans[{index}].client_scan_id", _("A scan id appears twice."), index=index
            )
        seen.add(client_scan_id)
        checkpoint_id, session_id = int(item["checkpoint"]), _id(item.get("session"))
        direction = item.get("direction", gate.ENTRY)
        # An unusable proof of the agent is no proof (the scan is the uploader's), never a
        # refusal: a scan is never lost for its agent.
        key, mac = item.get("agent_key"), item.get("agent_mac")
        scans.append(
            gate.OfflineScan(
                client_scan_id=client_scan_id,
                checkpoint_id=checkpoint_id,
                code=item["code"],
                direction=direction,
                scanned_at=_when(item["scanned_at"], f"scans[{index}].scanned_at", index),
                decision=item["decision"],
                reason=item["reason"],
                session_id=session_id,
                sync=item["sync"],
                agent_id=_id(item.get("agent")),
                agent_key=key if isinstance(key, str) and len(key) <= PROOF_MAX_LENGTH else None,
                agent_mac=mac if isinstance(mac, str) and len(mac) <= PROOF_MAX_LENGTH else None,
                # The fields as sent, in the order the page signs them (gate.js: macText).
                mac_text=gate.scan_mac_text(
                    client_scan_id,
                    checkpoint_id,
                    item["code"],
                    direction,
                    item["scanned_at"],
                    item["decision"],
                    item["reason"],
                    session_id,
                    item["sync"],
                ),
            )
        )
    for attempt in (1, 2):
        try:
            results = gate.offline_upload(agent_id=agent_id, device_id=device_id, scans=scans)
        except IntegrityError:
            # A checkpoint or session the scans name was deleted while the upload ran (the
            # whole upload was rolled back): check them again against what is there now.
            if attempt == 2:
                raise
        except ServiceError as exc:
            if exc.code == "forbidden":  # the uploader's account was deleted meanwhile
                raise ApiError(403, exc.code, str(exc.message)) from None
            raise ApiError(400, exc.code, str(exc.message), index=exc.field) from None
        else:
            break
    return _json(
        {
            "results": [
                {
                    "client_scan_id": r.client_scan_id,
                    "status": r.status,
                    "scan_id": r.scan_id,
                    "flag": r.flag,
                    "flag_message": gate.flag_message(r.flag),
                    "decision": r.decision,
                    "reason": r.reason,
                }
                for r in results
            ],
            "recorded": sum(r.status == "recorded" for r in results),
            "duplicates": sum(r.status == "duplicate" for r in results),
        }
    )


@api_view("GET")
def photo(request, ticket: str):
    """The photo of a badge this agent just scanned (the ticket comes with the scan)."""
    name = gate.photo_for_ticket(ticket, agent_id=_agent(request))
    if name is None:
        raise ApiError(404, "no_photo", _("No photo for this scan."))
    try:
        return private_file_response(
            name,
            filename=None,  # Content-Disposition: inline
            content_type=mimetypes.guess_type(name)[0] or "image/jpeg",
            as_attachment=False,
        )
    except (FileNotFoundError, OSError):
        raise ApiError(404, "no_photo", _("No photo for this scan.")) from None


@api_view("GET")
def openapi(request):
    response = JsonResponse(
        api_description.schema(), json_dumps_params={"ensure_ascii": False, "indent": 1}
    )
    response["Cache-Control"] = "public, max-age=300"
    return response


@csrf_exempt  # a POST to a wrong address gets this JSON 404, not the CSRF failure page
def not_found(request, *args, **kwargs):
    """Any other address under /gate/api/: JSON, like the rest of the API."""
    return ApiError(404, "not_found", _("There is no such API endpoint.")).response()
