"""Gates: which badge may enter which session, now; the log of every scan; the phones that
decide offline. Owns the Scan log and the gate's pages and JSON API (under /gate/).

| module | what |
|---|---|
| rules.py | the rules, pure: session windows, the session a checkpoint applies, reasons, the supervisors' timeline and warnings |
| keys.py | the badge public keys, verifying a code, signing the phone's list |
| tickets.py | tokens, device credentials, scan keys and MACs, sync stamps, photo tickets |
| sql.py | the online scan's two statements (the only module touching connection internals) |
| decide.py | deciding and logging an online scan; counters; revocation list; windows of a checkpoint |
| offline.py | uploads of scans decided offline, decided again here |
| api.py, views.py, urls.py, openapi.py | the JSON API, the agent's pages, their URLs, the API's description |

May import: accreditation.models, .errors, .workflow (audit), .roles, .storage, .badges
(signing), events.models. Nothing imports the gate but the URLconf, the admin's timeline and
the tests. This module names what the rest of the project uses, so that ``gate.X`` reads the
same from anywhere; each name lives in the module above.
"""

# ruff: noqa: F401 - the names the rest of the project uses, re-exported

from accreditation.gate.decide import (
    TOKEN_ISSUED,
    GateDecision,
    Holder,
    announced_window,
    checkpoint_windows,
    disagreements_per_checkpoint,
    event_windows,
    gate_decide,
    record_token_issued,
    revocation_list,
    session_counters,
)
from accreditation.gate.keys import (
    LIST_SIGNATURE_CONTEXT,
    list_signature_valid,
    public_keys,
    public_keys_b64,
    sign_list,
    verify,
)
from accreditation.gate.offline import OfflineScan, UploadResult, offline_upload
from accreditation.gate.rules import (
    ADMIT,
    ADMIT_REASONS,
    CLOSED,
    DENY,
    ENTRY,
    EXIT,
    FLAGS,
    MAX_DB_ID,
    NOT_COLLECTED_STATUSES,
    REASONS,
    SessionWindow,
    TimelineSegment,
    WindowWarning,
    admission_window,
    badge_reason,
    checkpoint_timeline,
    checkpoint_warnings,
    choose_session,
    flag_message,
    make_window,
    reason_message,
    scan_reason,
    session_reason,
    settle_windows,
)
from accreditation.gate.sql import (
    CheckpointContext,
    agent_password,
    checkpoint_context,
    record_scan,
)
from accreditation.gate.tickets import (
    DEVICE_ID,
    SCAN_KEY_MAX_AGE,
    SCAN_KEY_SALT,
    SCAN_KEY_SKEW,
    SYNC_SALT,
    TOKEN_SALT,
    StampError,
    code_digest,
    device_credential,
    device_from_credential,
    new_device_id,
    photo_for_ticket,
    photo_ticket,
    scan_key,
    scan_mac_text,
    scan_proven,
    stamp,
    sync_stamp,
    synced_at,
    token_fingerprint,
    unstamp,
)
