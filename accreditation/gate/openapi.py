"""The gate API's one description: openapi.json beside this file (OpenAPI 3.1), served at
/gate/api/openapi.json, and the JSON Schema validator of request bodies (jsonschema-rs, about a
microsecond a scan). What JSON Schema cannot say — a time in the future, a decision that
contradicts its reason, an id that names no checkpoint — the API and the services check.
tests/gate/test_openapi.py keeps the enums of the document equal to the code's reasons and flags.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jsonschema_rs
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

DOCUMENT = Path(__file__).with_name("openapi.json")


@lru_cache(maxsize=1)
def schema() -> dict:
    return json.loads(DOCUMENT.read_text(encoding="utf-8"))


@lru_cache(maxsize=8)
def validator(component: str):
    """A compiled validator for ``#/components/schemas/<component>`` of the document."""
    document = schema()
    return jsonschema_rs.validator_for(
        {"$ref": f"#/components/schemas/{component}", "components": document["components"]}
    )


@dataclass(frozen=True, slots=True)
class InputError:
    field: str  # where, e.g. "scans[3].scanned_at"
    index: int | None  # the scan's index in an upload
    message: str  # for people, in the active language


def first_error(component: str, data) -> InputError | None:
    """The first thing wrong with ``data`` for ``component``, or None when it is valid."""
    check = validator(component)
    if check.is_valid(data):
        return None
    error = next(iter(check.iter_errors(data)))
    path = list(error.instance_path)
    kind = error.kind
    if kind.name == "required":
        path.append(kind.property)
    index = path[1] if len(path) > 1 and path[0] == "scans" and isinstance(path[1], int) else None
    where = "".join(
        f"[{p}]" if isinstance(p, int) else (f".{p}" if i else p) for i, p in enumerate(path)
    )
    name = next((p for p in reversed(path) if isinstance(p, str)), "body")
    return InputError(field=where or "body", index=index, message=_message(kind, name, error))


def _message(kind, name: str, error) -> str:
    values = {"field": name}
    if kind.name == "required":
        return _("%(field)s is required.") % values
    if kind.name == "enum":
        return _("%(field)s must be one of: %(choices)s.") % {
            **values,
            "choices": ", ".join(str(o) for o in kind.options),
        }
    if kind.name in ("minItems", "maxItems"):
        return ngettext(
            "%(field)s must be a list of 1 to %(max)s item.",
            "%(field)s must be a list of 1 to %(max)s items.",
            UPLOAD_MAX_SCANS,
        ) % {**values, "max": UPLOAD_MAX_SCANS}
    if kind.name == "minLength":
        return _("%(field)s must not be empty.") % values
    if kind.name == "maxLength":
        return ngettext(
            "%(field)s must be at most %(max)s character.",
            "%(field)s must be at most %(max)s characters.",
            kind.limit,
        ) % {**values, "max": kind.limit}
    if kind.name == "pattern" and name == "scanned_at":
        return date_time_message() % values
    if kind.name == "pattern":
        return _("%(field)s must be 1 to 64 letters, digits or . _ : -") % values
    if kind.name in ("minimum", "maximum") or (kind.name == "type" and "integer" in error.message):
        return _("%(field)s must be a positive integer.") % values
    if kind.name == "type" and '"string"' in error.message:
        return _("%(field)s must be a text.") % values
    if kind.name == "type" and '"object"' in error.message:
        return _("%(field)s must be an object.") % values
    if kind.name == "type" and '"array"' in error.message:
        return _("%(field)s must be a list.") % values
    return _("%(field)s is not valid: see /gate/api/openapi.json.") % values


def date_time_message() -> str:
    """Shared with the API's own check of a scan's time (not before 2000, not in the future)."""
    return _("%(field)s must be an ISO 8601 date and time with its offset, not in the future.")


UPLOAD_MAX_SCANS = schema()["components"]["schemas"]["OfflineUpload"]["properties"]["scans"][
    "maxItems"
]
