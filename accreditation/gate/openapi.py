"""The OpenAPI 3.1 description of the gate API, written by hand and served at
/gate/api/openapi.json. tests/accreditation/test_gate.py checks that every path exists and
that the API's answers have the shapes described here."""

from __future__ import annotations

from functools import lru_cache

from accreditation import gate
from accreditation.gate import MAX_DB_ID


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict:
    return _json(_ref("Error"), description)


NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
CHECKPOINT_ID = {
    "name": "checkpoint_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_DB_ID},
}
AUTH_ERRORS = {
    "401": _error(
        "No, invalid or expired token (`not_authenticated`, `invalid_token`, `token_expired`)."
    ),
    "403": _error(
        "The agent may not scan badges (`forbidden`), or the token was issued to another "
        "device than the one the body names (`wrong_device`)."
    ),
}


@lru_cache(maxsize=1)
def schema() -> dict:
    reasons = list(gate.REASONS)
    flags = ["", *gate.FLAGS]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Presspass gate API",
            "version": "1",
            "description": (
                "Scan badges at a checkpoint, fetch what a gate needs to decide offline "
                "(public keys, session windows, revocation list), and upload scans made "
                "offline. See docs/gate.md and docs/badge-format.md. Errors are JSON objects "
                "with a machine `error` code and a translated `message`."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"gateToken": []}],
        "paths": {
            "/gate/api/token": {
                "get": {
                    "operationId": "token",
                    "summary": "A gate token for the agent signed in with a session cookie.",
                    "security": [{"sessionCookie": []}],
                    "responses": {
                        "200": _json(_ref("Token"), "A token valid for some hours."),
                        "401": _error("Not signed in (`not_authenticated`)."),
                        "403": _error("The user may not scan badges (`forbidden`)."),
                    },
                }
            },
            "/gate/api/checkpoints/{checkpoint_id}/scan": {
                "post": {
                    "operationId": "scan",
                    "summary": "Decide one scan now, and log it.",
                    "description": (
                        "Idempotent per (`device_id`, `client_scan_id`): a retry of the same "
                        "code returns the first answer with `duplicate: true` and records "
                        "nothing more; the same scan id with another code is refused (409). "
                        "`device_id` must be the device the token was issued to. A code "
                        "that is not a valid badge is an ordinary denial (200), not an error."
                    ),
                    "parameters": [CHECKPOINT_ID],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("ScanRequest")}},
                    },
                    "responses": {
                        "200": _json(_ref("ScanResult"), "The decision."),
                        "400": _error("Malformed request (`bad_json`, `invalid`)."),
                        **AUTH_ERRORS,
                        "404": _error("No such checkpoint (`unknown_checkpoint`)."),
                        "409": _error("Scan id already used for another code (`scan_id_reused`)."),
                        "413": _error("Body too large (`too_large`)."),
                    },
                }
            },
            "/gate/api/checkpoints/{checkpoint_id}/revocations": {
                "get": {
                    "operationId": "revocations",
                    "summary": "Everything a gate needs to decide offline.",
                    "description": (
                        "A JSON text (`payload`, a GateList) signed by the server with "
                        "Ed25519 over `presspass-gate-list-v1\\n` + its UTF-8 bytes "
                        "(`signature`, base64; `key_id`: one of the badge keys the gate page "
                        "is served with). The list holds the public keys, the event's sessions "
                        "with their admission windows, the revocation list — badges refused in "
                        "their current version (`revoked`, `not_collected`) or only in older "
                        'versions (`""`), by id and version only — and a sync stamp for the '
                        "device the token names, which each scan made offline with this list "
                        "carries. A genuine code of a badge above `max_badge_id` is "
                        "`unknown_badge` until the next synchronisation."
                    ),
                    "parameters": [CHECKPOINT_ID],
                    "responses": {
                        "200": _json(_ref("Revocations"), "The current list."),
                        **AUTH_ERRORS,
                        "404": _error("No such checkpoint (`unknown_checkpoint`)."),
                    },
                }
            },
            "/gate/api/checkpoints/{checkpoint_id}/counters": {
                "get": {
                    "operationId": "counters",
                    "summary": "Per session served: badges admitted so far, and inside now.",
                    "parameters": [CHECKPOINT_ID],
                    "responses": {
                        "200": _json(_ref("Counters"), "The counters."),
                        **AUTH_ERRORS,
                        "404": _error("No such checkpoint (`unknown_checkpoint`)."),
                    },
                }
            },
            "/gate/api/offline-scans": {
                "post": {
                    "operationId": "offlineScans",
                    "summary": "Upload scans decided while offline.",
                    "description": (
                        "Each scan is recorded once, however often the upload is replayed "
                        "(`status: duplicate` the second time), and decided again by the "
                        "server with the rules of an online scan at its `scanned_at`: the "
                        "server's `decision` and `reason` are logged (and returned), the "
                        "phone's kept beside them, and a scan whose phone showed another "
                        "decision is flagged `device_disagreed`. `scanned_at` must lie between "
                        "the list named by `sync` (given to this device) and now. Each scan is "
                        "logged as made by its `agent` when `agent_key` and `agent_mac` prove "
                        "it (the caller otherwise) and as uploaded by the caller. An "
                        "admitted entry that overlaps another device's admitted entry of the "
                        "same badge and session is flagged `admitted_at_two_gates`. A bad scan "
                        "rejects the whole upload with its `index`."
                    ),
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("OfflineUpload")}},
                    },
                    "responses": {
                        "200": _json(_ref("UploadResults"), "What was recorded."),
                        "400": _error(
                            "Malformed upload (`bad_json`, `invalid`, `unknown_checkpoint`, "
                            "`unknown_session`, `inconsistent`, `outside_sync_window`, "
                            "`scan_id_reused`); `index` names the scan."
                        ),
                        **AUTH_ERRORS,
                        "413": _error("Body too large (`too_large`)."),
                    },
                }
            },
            "/gate/api/photos/{ticket}": {
                "get": {
                    "operationId": "photo",
                    "summary": "The photo of the badge just scanned (ticket from the scan).",
                    "parameters": [
                        {
                            "name": "ticket",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "The badge photo (3:4).",
                            "content": {
                                "image/jpeg": {"schema": {"type": "string", "format": "binary"}}
                            },
                        },
                        **AUTH_ERRORS,
                        "404": _error("Bad or expired ticket, or no photo (`no_photo`)."),
                    },
                }
            },
            "/gate/api/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This description.",
                    "security": [],
                    "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1 document.")},
                }
            },
        },
        "components": {
            "securitySchemes": {
                "gateToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "From the gate page or GET /gate/api/token.",
                },
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "sessionid"},
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "message"],
                    "properties": {
                        "error": {"type": "string"},
                        "message": {"type": "string"},
                        "field": {"type": "string"},
                        "index": {"type": ["integer", "null"]},
                    },
                    "additionalProperties": False,
                },
                "Token": {
                    "type": "object",
                    "required": ["token", "expires_at", "device", "agent"],
                    "properties": {
                        "token": {"type": "string"},
                        "expires_at": {"type": "string", "format": "date-time"},
                        "device": {
                            "type": "object",
                            "description": (
                                "The device the token is issued to: the one the `device` "
                                "query parameter's credential names, or a new one. Keep the "
                                "credential and send it next time; use `id` as `device_id`."
                            ),
                            "required": ["id", "credential"],
                            "properties": {
                                "id": _ref("Ident"),
                                "credential": {"type": "string"},
                            },
                            "additionalProperties": False,
                        },
                        "agent": {
                            "type": "object",
                            "description": (
                                "The agent signed in (the session's user), whom the token "
                                "names: a page kept for offline use may be an earlier "
                                "agent's, and tags its offline scans with this one instead."
                            ),
                            "required": ["id", "name", "scan_key"],
                            "properties": {
                                "id": {"type": "integer", "minimum": 1},
                                "name": {"type": "string"},
                                "scan_key": {
                                    "type": "object",
                                    "description": (
                                        "Keep `key` in memory only. A scan made offline by this "
                                        "agent on this device carries `agent_key` = `id` and "
                                        "`agent_mac` = hex HMAC-SHA256 under the UTF-8 bytes "
                                        "of `key` over its client_scan_id, checkpoint, code, "
                                        "direction, scanned_at, decision, reason, session and "
                                        "sync, as sent, joined by newlines (null: empty). "
                                        "Valid 7 days."
                                    ),
                                    "required": ["id", "key"],
                                    "properties": {
                                        "id": {"type": "string"},
                                        "key": {"type": "string"},
                                    },
                                    "additionalProperties": False,
                                },
                            },
                            "additionalProperties": False,
                        },
                    },
                    "additionalProperties": False,
                },
                "ScanRequest": {
                    "type": "object",
                    "required": ["code", "device_id", "client_scan_id"],
                    "properties": {
                        "code": {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": 4096,
                            "description": "The QR text, verbatim (docs/badge-format.md).",
                        },
                        "direction": {"type": "string", "enum": ["in", "out"], "default": "in"},
                        "device_id": _ref("Ident"),
                        "client_scan_id": _ref("Ident"),
                    },
                },
                "Ident": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,64}$"},
                "ScanResult": {
                    "type": "object",
                    "required": [
                        "scan_id",
                        "duplicate",
                        "decision",
                        "reason",
                        "message",
                        "flag",
                        "flag_message",
                        "direction",
                        "scanned_at",
                        "session",
                        "holder",
                    ],
                    "properties": {
                        "scan_id": {"type": "integer"},
                        "duplicate": {"type": "boolean"},
                        "decision": {"type": "string", "enum": ["admit", "deny"]},
                        "reason": {"type": "string", "enum": reasons},
                        "message": {"type": "string"},
                        "flag": {"type": "string", "enum": flags},
                        "flag_message": {"type": "string"},
                        "direction": {"type": "string", "enum": ["in", "out"]},
                        "scanned_at": {"type": "string", "format": "date-time"},
                        "session": {
                            "oneOf": [
                                {"type": "null"},
                                {
                                    "type": "object",
                                    "required": ["id", "title", "media_access"],
                                    "properties": {
                                        "id": {"type": "integer"},
                                        "title": {"type": "string"},
                                        "media_access": {
                                            "type": "string",
                                            "enum": ["open", "closed", "on_request"],
                                        },
                                    },
                                    "additionalProperties": False,
                                },
                            ]
                        },
                        "holder": {"oneOf": [{"type": "null"}, _ref("Holder")]},
                    },
                    "additionalProperties": False,
                },
                "Holder": {
                    "type": "object",
                    "description": "The holder of a known badge, to match the face.",
                    "required": [
                        "badge_id",
                        "number",
                        "version",
                        "name",
                        "given_names",
                        "family_names",
                        "outlet",
                        "country",
                        "country_name",
                        "photo_url",
                    ],
                    "properties": {
                        "badge_id": {"type": "integer"},
                        "number": {"type": "string"},
                        "version": {"type": "integer"},
                        "name": {"type": "string"},
                        "given_names": {"type": "string"},
                        "family_names": {"type": "string"},
                        "outlet": {"type": "string"},
                        "country": {"type": "string"},
                        "country_name": {"type": "string"},
                        "photo_url": {"type": "string"},
                    },
                    "additionalProperties": False,
                },
                "Session": {
                    "type": "object",
                    "required": [
                        "id",
                        "title",
                        "kind",
                        "media_access",
                        "colour",
                        "starts_at",
                        "ends_at",
                        "opens_at",
                        "closes_at",
                        "at_checkpoint",
                    ],
                    "properties": {
                        "id": {"type": "integer"},
                        "title": {"type": "string"},
                        "kind": {"type": "string"},
                        "media_access": {
                            "type": "string",
                            "enum": ["open", "closed", "on_request"],
                        },
                        "colour": {"type": "string"},
                        "starts_at": NULLABLE_TIME,
                        "ends_at": NULLABLE_TIME,
                        "opens_at": {
                            **NULLABLE_TIME,
                            "description": "Doors open; null: not announced, admits no one.",
                        },
                        "closes_at": {
                            **NULLABLE_TIME,
                            "description": "End of admission (exclusive).",
                        },
                        "at_checkpoint": {"type": "boolean"},
                    },
                    "additionalProperties": False,
                },
                "Revocations": {
                    "type": "object",
                    "required": ["payload", "signature", "key_id"],
                    "properties": {
                        "payload": {"type": "string", "description": "A GateList, as JSON."},
                        "signature": {"type": "string"},
                        "key_id": {"type": "integer"},
                    },
                    "additionalProperties": False,
                },
                "GateList": {
                    "type": "object",
                    "required": [
                        "generated_at",
                        "device_id",
                        "sync",
                        "event",
                        "checkpoint",
                        "keys",
                        "sessions",
                        "max_badge_id",
                        "badges",
                        "messages",
                    ],
                    "properties": {
                        "generated_at": {"type": "string", "format": "date-time"},
                        "device_id": _ref("Ident"),
                        "sync": {"type": "string"},
                        "event": {
                            "type": "object",
                            "required": [
                                "id",
                                "name",
                                "time_zone",
                                "doors_open_minutes",
                                "list_max_age_minutes",
                                "stale_list_blocks",
                            ],
                            "properties": {
                                "id": {"type": "integer"},
                                "name": {"type": "string"},
                                "time_zone": {"type": "string"},
                                "doors_open_minutes": {"type": "integer"},
                                "list_max_age_minutes": {"type": "integer"},
                                "stale_list_blocks": {"type": "boolean"},
                            },
                            "additionalProperties": False,
                        },
                        "checkpoint": {
                            "type": "object",
                            "required": ["id", "name"],
                            "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
                            "additionalProperties": False,
                        },
                        "keys": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["key_id", "public_key"],
                                "properties": {
                                    "key_id": {"type": "integer"},
                                    "public_key": {
                                        "type": "string",
                                        "description": "Base64 of the 32 raw Ed25519 bytes.",
                                    },
                                },
                                "additionalProperties": False,
                            },
                        },
                        "sessions": {"type": "array", "items": _ref("Session")},
                        "max_badge_id": {"type": "integer"},
                        "badges": {
                            "type": "array",
                            "description": "[badge_id, current_version, reason]",
                            "items": {
                                "type": "array",
                                "prefixItems": [
                                    {"type": "integer"},
                                    {"type": "integer"},
                                    {"type": "string", "enum": ["", "revoked", "not_collected"]},
                                ],
                                "items": False,
                                "minItems": 3,
                            },
                        },
                        "messages": {
                            "type": "object",
                            "required": ["reasons", "flags"],
                            "properties": {
                                "reasons": {
                                    "type": "object",
                                    "additionalProperties": {"type": "string"},
                                },
                                "flags": {
                                    "type": "object",
                                    "additionalProperties": {"type": "string"},
                                },
                            },
                            "additionalProperties": False,
                        },
                    },
                    "additionalProperties": False,
                },
                "Counters": {
                    "type": "object",
                    "required": ["generated_at", "sessions"],
                    "properties": {
                        "generated_at": {"type": "string", "format": "date-time"},
                        "sessions": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["id", "title", "admitted", "inside"],
                                "properties": {
                                    "id": {"type": "integer"},
                                    "title": {"type": "string"},
                                    "admitted": {"type": "integer"},
                                    "inside": {"type": "integer"},
                                },
                                "additionalProperties": False,
                            },
                        },
                    },
                    "additionalProperties": False,
                },
                "OfflineUpload": {
                    "type": "object",
                    "required": ["device_id", "scans"],
                    "properties": {
                        "device_id": _ref("Ident"),
                        "scans": {
                            "type": "array",
                            "minItems": 1,
                            "maxItems": 500,
                            "items": _ref("OfflineScan"),
                        },
                    },
                },
                "OfflineScan": {
                    "type": "object",
                    "required": [
                        "client_scan_id",
                        "checkpoint",
                        "code",
                        "scanned_at",
                        "decision",
                        "reason",
                        "sync",
                    ],
                    "properties": {
                        "client_scan_id": _ref("Ident"),
                        "checkpoint": {"type": "integer", "minimum": 1, "maximum": MAX_DB_ID},
                        "code": {"type": "string", "minLength": 1, "maxLength": 4096},
                        "direction": {"type": "string", "enum": ["in", "out"], "default": "in"},
                        "scanned_at": {
                            "type": "string",
                            "format": "date-time",
                            "description": (
                                "RFC 3339, with its UTC offset; from 2000 on, and not in the "
                                "future (10 minutes' leeway for the phone's clock)."
                            ),
                        },
                        "decision": {
                            "type": "string",
                            "enum": ["admit", "deny"],
                            "description": "Must agree with `reason` (else `inconsistent`).",
                        },
                        "reason": {"type": "string", "enum": reasons},
                        "session": {
                            "type": ["integer", "null"],
                            "minimum": 1,
                            "maximum": MAX_DB_ID,
                        },
                        "sync": {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": 200,
                            "description": "The `sync` of the list the scan was decided with.",
                        },
                        "agent": {
                            "type": ["integer", "null"],
                            "minimum": 1,
                            "maximum": MAX_DB_ID,
                            "description": (
                                "The user id of the agent who scanned (signed in on the phone "
                                "then), believed only with `agent_key` and `agent_mac`; "
                                "otherwise, and when absent or null, the scan is the uploading "
                                "agent's. A proven agent whose account may no longer scan "
                                "(closed, or out of the gate role) is still recorded, flagged "
                                "`agent_not_allowed`."
                            ),
                        },
                        # No type: any value is accepted, and only a valid proof counts.
                        "agent_key": {
                            "description": (
                                "The `scan_key.id` the token endpoint gave that agent on this "
                                "device before the scan. Anything unusable counts as no proof "
                                "(the scan is the uploader's), never as an error."
                            ),
                        },
                        "agent_mac": {"description": "See Token.agent.scan_key."},
                    },
                },
                "UploadResults": {
                    "type": "object",
                    "required": ["results", "recorded", "duplicates"],
                    "properties": {
                        "results": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": [
                                    "client_scan_id",
                                    "status",
                                    "scan_id",
                                    "flag",
                                    "flag_message",
                                ],
                                "properties": {
                                    "client_scan_id": {"type": "string"},
                                    "status": {"type": "string", "enum": ["recorded", "duplicate"]},
                                    "scan_id": {"type": "integer"},
                                    "flag": {"type": "string", "enum": flags},
                                    "flag_message": {"type": "string"},
                                    "decision": {"type": "string", "enum": ["admit", "deny"]},
                                    "reason": {"type": "string", "enum": reasons},
                                },
                                "additionalProperties": False,
                            },
                        },
                        "recorded": {"type": "integer"},
                        "duplicates": {"type": "integer"},
                    },
                    "additionalProperties": False,
                },
            },
        },
    }
