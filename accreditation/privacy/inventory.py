"""Every field of every model of the project, and whether it holds personal data: the one list
tests/privacy/test_personal_data_coverage.py checks against the models (a new field in no list
fails it), and the one place that says how each kind of personal data goes.

Categories:

- PERSON: the journalist's own data (or text about them). Erased with their request
  (erasure.erase_request), so also at the retention purge's identity stage.
- OTHERS: personal data of someone other than the journalist (an outlet's focal point, an
  interview contact, a person let in late who never applied). Purged with the event at the
  identity stage (retention.py), and with the journalist where it names them.
- STAFF: a link to a staff account (who decided, who printed). Kept: the organiser's
  accountability; staff accounts have their own life (accreditation.staff).
- FILE: a stored file's name; the file is personal (documents, photos, batches): deleted at
  the documents stage (retention.py) and with the person.
- NONE: not personal (configuration, states, counts, times of events, random nonces).

Django's own apps: the admin's log (admin.LogEntry repeats objects' names) and the browser
sessions (the address step remembers an address) are covered here. The staff's accounts and
their sign-in records (auth, django_otp, axes) are the staff's personal data, not the
journalists', and follow the staff accounts' lifecycle: they are left out of this inventory.
"""

from __future__ import annotations

PERSON = "person"
OTHERS = "others"
STAFF = "staff"
FILE = "file"
NONE = "none"
CATEGORIES = (PERSON, OTHERS, STAFF, FILE, NONE)

# The apps whose models the inventory covers (labels).
APPS = (
    "accreditation",
    "communications",
    "interviews",
    "outlets",
    "events",
    "privacy",
    "admin",
    "sessions",
)

# fmt: off
INVENTORY: dict[str, dict[str, tuple[str, ...]]] = {
    "admin.LogEntry": {
        PERSON: ("object_repr", "object_id", "change_message"),
        STAFF: ("user",),
        NONE: ("id", "action_time", "content_type", "action_flag"),
    },
    "sessions.Session": {
        PERSON: ("session_data",),
        NONE: ("session_key", "expire_date"),
    },
    "events.Event": {
        STAFF: ("staff",),
        NONE: (
            "contact_email",  # the organiser's office address, published on every page
            "id", "name", "names", "slug", "organiser", "venue", "venues", "city", "country",
            "time_zone", "starts_on", "ends_on", "accreditation_opens_at",
            "accreditation_deadline", "contact_language", "languages", "retention_days",
            "document_retention_days", "security_vetting_required", "second_approval",
            "badge_collection_info", "badge_collection_infos", "colour", "ask_for_replacements",
            "badge_languages", "badge_format", "doors_open_minutes",
            "open_session_default_minutes", "gate_list_max_age_minutes",
            "gate_stale_list_blocks", "consent_text", "consent_texts", "consent_version",
        ),
    },
    "events.Session": {
        NONE: (
            "id", "event", "kind", "title", "titles", "starts_at", "ends_at", "location",
            "media_capacity", "media_access", "colour",
        ),
    },
    "events.Checkpoint": {NONE: ("id", "event", "name", "sessions")},
    "events.ConsentNotice": {
        NONE: ("id", "event", "version", "language", "text", "sha256", "created_at"),
    },
    "accreditation.AddressCheck": {
        PERSON: ("email",),
        NONE: ("id", "event", "language", "nonce", "created_at", "used_at"),
    },
    "accreditation.LateAdmission": {
        PERSON: ("name", "email"),
        STAFF: ("created_by",),
        NONE: ("id", "event", "nonce", "valid_until", "created_at", "used_at"),
    },
    "accreditation.AccreditationRequest": {
        PERSON: (
            "reference", "given_names", "family_names", "name_native", "name_key",
            "date_of_birth", "nationality", "id_document_type", "id_document_number",
            "id_document_hash",
            "id_document_country", "id_document_expiry", "email", "phone", "outlet_name",
            "outlet_website", "press_card_number", "press_card_year",
            "filming_authorisation_number", "interview_requests", "equipment",
            "consent_given_at", "email_confirmed_at", "submitted_at", "vetting",
            "vetting_note", "late_admission", "language", "status",
        ),
        STAFF: ("first_approved_by",),
        NONE: (
            "id", "event", "outlet_type", "outlet_country", "role", "employment",
            "consent_version", "status_nonce", "first_approved_at", "updated_at",
            "check_outcome", "checks_started_at", "decided_at", "reminded_at",
            "sessions_requested", "sessions_granted",
        ),
    },
    "accreditation.RejectionReason": {
        NONE: ("id", "title", "text_en", "text_fr", "text_es", "text_ar", "active"),
    },
    "accreditation.WaitingPlace": {PERSON: ("request",), NONE: ("id", "session", "created_at")},
    "accreditation.Message": {
        PERSON: ("request", "body"),
        STAFF: ("staff_user",),
        NONE: ("id", "author", "created_at"),
    },
    "accreditation.AuditEntry": {
        # The request's entries: copied into its tombstone as actions and times, then deleted
        # with it. Entries without a request (a print batch's) lose the person's badge and the
        # reprint reason (erasure._batches_forget).
        PERSON: ("request", "reason", "data", "ip_address", "from_status", "to_status"),
        STAFF: ("actor", "actor_label"),
        NONE: ("id", "at", "action"),
    },
    "accreditation.Badge": {
        PERSON: ("request", "qr_text", "collected_at", "handover_code_nonce"),
        STAFF: ("collected_by",),
        NONE: (
            "id", "event", "version", "key_id", "issued_at", "printed_at", "print_count",
            "sessions",
        ),
    },
    "accreditation.PrintBatch": {
        FILE: ("file",),
        PERSON: ("badges", "reprint_reason", "error"),
        STAFF: ("created_by",),
        NONE: ("id", "event", "layout", "created_at", "state", "total", "done"),
    },
    "accreditation.Document": {
        FILE: ("file", "derived"),
        PERSON: ("request", "original_name", "sha256", "phash"),
        NONE: ("id", "kind", "content_type", "size", "uploaded_at", "superseded_at"),
    },
    "accreditation.CheckResult": {
        PERSON: ("request", "document", "value", "message", "messages"),
        NONE: ("id", "document_kind", "code", "outcome", "checked_at"),
    },
    "accreditation.PendingUpload": {
        # A file of a form not sent yet: tied to a browser draft, deleted after a day.
        FILE: ("file",),
        PERSON: ("original_name",),
        NONE: ("id", "draft_key", "slot", "content_type", "size", "created_at"),
    },
    "accreditation.Scan": {
        PERSON: ("badge",),  # set to NULL: the scan stays for the statistics
        STAFF: ("agent", "uploaded_by"),
        NONE: (
            "id", "checkpoint", "session", "badge_version", "direction", "decision", "reason",
            "device_id", "client_scan_id", "scanned_at", "received_at", "offline", "flag",
            "code_digest", "device_decision", "device_reason",
        ),
    },
    "accreditation.OutboxTask": {
        # Rows naming the person's request, interviews, crew place, late admission… go.
        PERSON: ("kwargs", "last_error"),
        NONE: (
            "id", "task_name", "created_at", "dispatched_at", "completed_at", "attempts",
            "runs", "started_at", "failed_at",
        ),
    },
    "communications.Announcement": {
        STAFF: ("created_by", "sent_by"),
        NONE: (
            "id", "event", "session", "titles", "bodies", "operational", "audience_statuses",
            "audience_session", "audience_country", "audience_outlet_type", "state",
            "proposed", "calendar", "recipients_count", "created_at", "updated_at",
            "send_started_at", "planned_at", "sent_at",
        ),
    },
    "communications.Attachment": {
        NONE: ("id", "announcement", "file", "original_name", "content_type", "size"),
    },
    "communications.Delivery": {
        PERSON: ("request", "error"),
        NONE: ("id", "announcement", "batch", "language", "fallback", "state", "attempts",
               "sent_at"),
    },
    "communications.OptOut": {PERSON: ("request",), NONE: ("created_at",)},
    "communications.SessionCalendar": {NONE: ("session", "sequence", "announced")},
    "communications.Reminder": {PERSON: ("request",), NONE: ("id", "kind", "sent_at")},
    "interviews.InterviewTarget": {
        OTHERS: ("name", "names", "contact_name", "contact_email"),
        NONE: ("id", "event", "kind", "country", "contact_language", "active"),
    },
    "interviews.InterviewRequest": {
        PERSON: ("request", "topic", "languages", "preferred_times", "reason", "merged_into"),
        NONE: (
            "id", "event", "target", "format", "status", "merged_session", "starts_at",
            "ends_at", "place", "contact_nonce", "contact_link_expires_at", "created_at",
            "updated_at",
        ),
    },
    "interviews.InterviewSlot": {
        PERSON: ("interview",),
        NONE: ("id", "starts_at", "ends_at", "place", "withdrawn"),
    },
    "interviews.InterviewMessage": {
        PERSON: ("interview", "body"),
        STAFF: ("staff_user",),
        NONE: ("id", "author", "created_at"),
    },
    "outlets.Outlet": {
        FILE: ("proof",),
        OTHERS: ("focal_name", "focal_email", "proof_name", "proof_checks", "staff_message"),
        NONE: (
            "id", "event", "name", "name_key", "host", "outlet_type", "country", "website",
            "language", "status", "proof_content_type", "proof_size", "proof_outcome",
            "quota_raised_to", "nonce", "submitted_at", "decided_at",
        ),
    },
    "outlets.CrewMember": {
        PERSON: ("name", "email", "request", "role", "language"),
        NONE: ("id", "outlet", "priority", "status", "nonce", "invited_at", "started_at"),
    },
    "outlets.Confirmation": {
        PERSON: ("request", "answer"),
        NONE: ("id", "outlet", "nonce", "created_at", "answered_at"),
    },
    "outlets.OutletLink": {
        PERSON: ("request",),
        NONE: ("id", "outlet", "how", "excluded", "priority", "created_at"),
    },
    "outlets.OutletQuota": {NONE: ("id", "event", "outlet_type", "people")},
    "outlets.QuotaPlace": {PERSON: ("request",), NONE: ("id", "outlet", "state", "created_at")},
    "privacy.Tombstone": {
        NONE: ("id", "event", "final_status", "submitted_on", "erased_at", "cause", "trail"),
    },
    "privacy.ErasureRequest": {
        # The request link is emptied by the erasure; the reason and the address for the
        # outcome e-mail are emptied once it is sent (erasure_requests.py) or by the purge.
        PERSON: ("request", "refusal_reason", "notify_email", "notify_language"),
        STAFF: ("decided_by",),
        NONE: ("id", "event", "tombstone", "status", "asked_at", "decided_at", "notified_at"),
    },
    "privacy.EventStatistics": {
        NONE: (
            "id", "event", "made_at", "requests", "by_status", "by_nationality",
            "by_outlet_country", "by_outlet_type", "by_role", "by_day", "sessions",
            "badges_printed", "badges_collected", "interviews",
        ),
    },
    "privacy.EventPurge": {NONE: ("event", "documents_purged_at", "identities_purged_at")},
    "privacy.FileToDelete": {NONE: ("id", "name", "created_at")},
}
# fmt: on

# Relations to a request that do not cascade when it is deleted, and what the erasure does
# with each instead (erasure.erase_request). A new one fails the coverage test until listed.
NOT_CASCADING: dict[str, str] = {
    "accreditation.Scan.badge": "set to NULL before the badge goes (the scan stays)",
    "accreditation.AccreditationRequest.late_admission": "the admission is deleted after the request",
    "outlets.CrewMember.request": "the crew member is deleted with the request",
    "interviews.InterviewRequest.merged_into": "another journalist's interview, left merged into nothing",
    "privacy.ErasureRequest.request": "emptied; the erasure request keeps its tombstone",
}


def category(label: str, field: str) -> str | None:
    """The category of ``app.Model``'s ``field``, or None when the inventory does not list it."""
    for name, fields in INVENTORY.get(label, {}).items():
        if field in fields:
            return name
    return None
