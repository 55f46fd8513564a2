"""The gate API's description is one data file (accreditation/gate/openapi.json): it validates
the requests and documents the answers. Its lists must stay those of the code."""

from __future__ import annotations

from accreditation import gate
from accreditation.gate import openapi


def components():
    return openapi.schema()["components"]["schemas"]


def test_the_documented_reasons_and_flags_are_the_codes():
    reasons = set(gate.REASONS)
    flags = {"", *gate.FLAGS}
    schemas = components()
    assert set(schemas["ScanResult"]["properties"]["reason"]["enum"]) == reasons
    assert set(schemas["OfflineScan"]["properties"]["reason"]["enum"]) == reasons
    assert set(schemas["ScanResult"]["properties"]["flag"]["enum"]) == flags
    item = schemas["UploadResults"]["properties"]["results"]["items"]
    assert set(item["properties"]["flag"]["enum"]) == flags
    assert set(item["properties"]["reason"]["enum"]) == reasons


def test_ids_are_bounded_by_the_databases_integers():
    schemas = components()
    assert schemas["OfflineScan"]["properties"]["checkpoint"]["maximum"] == gate.MAX_DB_ID


def test_a_request_body_is_refused_with_the_field_and_a_message_in_the_readers_language():
    from django.utils import translation

    scan = {
        "client_scan_id": "a",
        "checkpoint": 0,
        "code": "x",
        "scanned_at": "2025-11-24T10:00:00Z",
        "decision": "deny",
        "reason": "malformed",
        "sync": "s",
    }
    body = {"device_id": "phone-1", "scans": [scan]}
    with translation.override("fr"):
        error = openapi.first_error("OfflineUpload", body)
    assert (error.field, error.index) == ("scans[0].checkpoint", 0)
    assert "entier" in error.message  # "… doit être un entier positif."
    valid = {"code": "x", "device_id": "phone-1", "client_scan_id": "s1"}
    assert openapi.first_error("ScanRequest", valid) is None
