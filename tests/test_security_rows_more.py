"""Security checklist rows 18, 20, 24 and 26 (docs/security.md), proved through the whole
stack: the real Django test client and middleware, the real services and Celery tasks, private
storage on disk, the clock moved with time_machine. Nothing of ours is mocked.

- Row 18: every named URL of the project, asked for anonymously and as each staff role
  (reviewer, supervisor, badge desk, gate agent, press office), answers as one expected matrix
  says; a gate agent gets no admin page but signing in and out; the press office gets the
  announcements and interviews and never a request, a document or an export of requests;
  reviewers cannot delete or export in bulk.
- Row 20: a status link's token is 160 bits of HMAC over a fresh 128-bit nonce, unrelated
  from one request to the next and kept nowhere; an unknown reference, a wrong token and an
  expired link get the same 404, byte for byte.
- Row 24: a form opened before the deadline and sent after it is refused with the closed page
  and keeps nothing; sent one second before the deadline it is taken.
- Row 26: each e-mail task run twice for the same outbox row sends one e-mail; the retention
  purge run twice leaves the database as the first run left it.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import time_machine
from django.apps import apps
from django.conf import settings as django_settings
from django.core import mail
from django.db import transaction
from django.test import Client, override_settings
from django.urls import resolve, reverse
from django.utils import timezone

from accreditation import apply, gate, review, tasks, tokens
from accreditation.apply.submission import REFERENCE_ALPHABET
from accreditation.badges import issuing, printing
from accreditation.gate.api import issue_token
from accreditation.models import (
    AccreditationRequest,
    AuditEntry,
    Badge,
    Document,
    OutboxTask,
    PendingUpload,
    PrintBatch,
    Scan,
)
from accreditation.notify import outbox
from tests.factories import (
    application_data,
    application_files,
    make_event,
    make_request,
    make_user,
)
from tests.test_security_rows import UNFILLABLE, capability_objects, url_kwargs, url_names

pytestmark = pytest.mark.django_db


def files_on_disk(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()


# --- Row 18: the URL x role matrix -----------------------------------------------------------

# The columns of the matrix, in this order.
ANONYMOUS, REVIEWER, SUPERVISOR, DESK, GATE, PRESS = (
    "anonymous",
    "reviewer",
    "supervisor",
    "badge desk",
    "gate agent",
    "press office",
)
VISITORS = (ANONYMOUS, REVIEWER, SUPERVISOR, DESK, GATE, PRESS)

# What a GET answers. OK: the page (200). NO: refused — a visitor is sent to the sign-in page,
# a signed-in one gets 401/403/404 (or is sent to sign in again); a link without its token is
# 404/410. GO: sent on elsewhere (302), which is no page of its own. POST: the address takes
# no GET (405). IN: the sign-in page for someone signed in already (the page, or sent on).
OK, NO, GO, POST, IN = "OK", "NO", "GO", "POST", "IN"

# Each role's browser carries the two credentials the project knows: a session (signed in, as
# force_login does) and a gate token issued to them (the gate API reads only that one). The
# matrix is what the product must do, not a snapshot: the cells it does not do yet are in
# KNOWN_GAPS below, each checked by a strict xfail test (the matrix test leaves them out).
#
# fmt: off
MATRIX: dict[str, tuple[str, str, str, str, str, str]] = {
    #                                                     anon  review super desk  gate  press
    # The journalists' side: the same for everyone.
    "accreditation:events":                               (OK,   OK,   OK,   OK,   OK,   OK),
    "accreditation:apply":                                (OK,   OK,   OK,   OK,   OK,   OK),
    "accreditation:submitted":                            (GO,   GO,   GO,   GO,   GO,   GO),
    "accreditation:resend_link":                          (POST, POST, POST, POST, POST, POST),
    "accreditation:address_start":                        (POST, POST, POST, POST, POST, POST),
    "accreditation:address_sent":                         (GO,   GO,   GO,   GO,   GO,   GO),
    "accreditation:address_confirm":                      (NO,   NO,   NO,   NO,   NO,   NO),
    "accreditation:status":                               (OK,   OK,   OK,   OK,   OK,   OK),
    # Signing in and out, and the second factor.
    "admin:login":                                        (OK,   IN,   IN,   IN,   IN,   IN),
    "admin:logout":                                       (POST, POST, POST, POST, POST, POST),
    "admin:staff_enrol":                                  (NO,   OK,   OK,   OK,   OK,   OK),
    "admin:staff_recovery_codes":                         (NO,   OK,   OK,   OK,   NO,   OK),
    "admin:password_change":                              (NO,   OK,   OK,   OK,   NO,   OK),
    "admin:password_change_done":                         (NO,   OK,   OK,   OK,   NO,   OK),
    # The admin itself. The desk is let in for the holder's photo (desk/badge.html shows it
    # through admin:accreditation_document_file), the press office for its announcements and
    # interviews; a gate agent has nothing to do there.
    "admin:index":                                        (NO,   OK,   OK,   OK,   NO,   OK),
    "admin:jsi18n":                                       (NO,   OK,   OK,   OK,   NO,   OK),
    "admin:app_list":                                     (NO,   OK,   OK,   NO,   NO,   NO),
    "admin:autocomplete":                                 (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:view_on_site":                                 (NO,   NO,   NO,   NO,   NO,   NO),
    # Requests: reviewers and supervisors (not the press office); no one adds or deletes one
    # here; decisions are POSTs (GET refused); only supervisors export, vet and read the
    # statistics.
    "admin:accreditation_accreditationrequest_changelist": (NO,  OK,   OK,   NO,   NO,   NO),
    "admin:accreditation_accreditationrequest_change":    (NO,   OK,   OK,   NO,   NO,   NO),
    "admin:accreditation_accreditationrequest_history":   (NO,   OK,   OK,   NO,   NO,   NO),
    "admin:accreditation_accreditationrequest_add":       (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:accreditation_accreditationrequest_delete":    (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:accreditation_request_decide":                 (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:accreditation_request_export":                 (NO,   NO,   OK,   NO,   NO,   NO),
    "admin:accreditation_request_statistics":             (NO,   NO,   OK,   NO,   NO,   NO),
    "admin:accreditation_request_vetting":                (NO,   NO,   OK,   NO,   NO,   NO),
    # Documents: an identity document for reviewers and supervisors only; the photo for the
    # badge desk too (to match the face); never for a gate agent nor the press office.
    "admin:accreditation_document_file":                  (NO,   OK,   OK,   NO,   NO,   NO),
    "admin:accreditation_document_file (photo)":          (NO,   OK,   OK,   OK,   NO,   NO),
    # The audit log and the background tasks: supervisors read them; no one edits them.
    "admin:accreditation_auditentry_changelist":          (NO,   NO,   OK,   NO,   NO,   NO),
    "admin:accreditation_auditentry_change":              (NO,   NO,   OK,   NO,   NO,   NO),
    "admin:accreditation_auditentry_history":             (NO,   NO,   OK,   NO,   NO,   NO),
    "admin:accreditation_auditentry_add":                 (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:accreditation_auditentry_delete":              (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:accreditation_outboxtask_changelist":          (NO,   NO,   OK,   NO,   NO,   NO),
    "admin:accreditation_outboxtask_change":              (NO,   NO,   OK,   NO,   NO,   NO),
    "admin:accreditation_outboxtask_history":             (NO,   NO,   OK,   NO,   NO,   NO),
    "admin:accreditation_outboxtask_add":                 (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:accreditation_outboxtask_delete":              (NO,   NO,   NO,   NO,   NO,   NO),
    # The scan log: supervisors, read-only; gate agents record scans, they do not read them.
    "admin:accreditation_scan_changelist":                (NO,   NO,   OK,   NO,   NO,   NO),
    "admin:accreditation_scan_change":                    (NO,   NO,   OK,   NO,   NO,   NO),
    "admin:accreditation_scan_history":                   (NO,   NO,   OK,   NO,   NO,   NO),
    "admin:accreditation_scan_add":                       (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:accreditation_scan_delete":                    (NO,   NO,   NO,   NO,   NO,   NO),
    # Late admissions: reviewers grant them (after the deadline); never deleted.
    "admin:accreditation_lateadmission_changelist":       (NO,   OK,   OK,   NO,   NO,   NO),
    "admin:accreditation_lateadmission_change":           (NO,   OK,   OK,   NO,   NO,   NO),
    "admin:accreditation_lateadmission_history":          (NO,   OK,   OK,   NO,   NO,   NO),
    "admin:accreditation_lateadmission_add":              (NO,   OK,   OK,   NO,   NO,   NO),
    "admin:accreditation_lateadmission_delete":           (NO,   NO,   NO,   NO,   NO,   NO),
    # Rejection reasons: reviewers read them, supervisors write them.
    "admin:accreditation_rejectionreason_changelist":     (NO,   OK,   OK,   NO,   NO,   NO),
    "admin:accreditation_rejectionreason_change":         (NO,   OK,   OK,   NO,   NO,   NO),
    "admin:accreditation_rejectionreason_history":        (NO,   OK,   OK,   NO,   NO,   NO),
    "admin:accreditation_rejectionreason_add":            (NO,   NO,   OK,   NO,   NO,   NO),
    "admin:accreditation_rejectionreason_delete":         (NO,   NO,   NO,   NO,   NO,   NO),
    # Events and sessions: reviewers and the press office (an announcement concerns a session)
    # read, supervisors change; checkpoints are supervisors'.
    "admin:events_event_changelist":                      (NO,   OK,   OK,   NO,   NO,   OK),
    "admin:events_event_change":                          (NO,   OK,   OK,   NO,   NO,   OK),
    "admin:events_event_history":                         (NO,   OK,   OK,   NO,   NO,   OK),
    "admin:events_event_add":                             (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:events_event_delete":                          (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:events_session_changelist":                    (NO,   OK,   OK,   NO,   NO,   OK),
    "admin:events_session_change":                        (NO,   OK,   OK,   NO,   NO,   OK),
    "admin:events_session_history":                       (NO,   OK,   OK,   NO,   NO,   OK),
    "admin:events_session_add":                           (NO,   NO,   OK,   NO,   NO,   NO),
    "admin:events_session_delete":                        (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:events_checkpoint_changelist":                 (NO,   NO,   OK,   NO,   NO,   NO),
    "admin:events_checkpoint_change":                     (NO,   NO,   OK,   NO,   NO,   NO),
    "admin:events_checkpoint_history":                    (NO,   NO,   OK,   NO,   NO,   NO),
    "admin:events_checkpoint_timeline":                   (NO,   NO,   OK,   NO,   NO,   NO),
    "admin:events_checkpoint_add":                        (NO,   NO,   OK,   NO,   NO,   NO),
    "admin:events_checkpoint_delete":                     (NO,   NO,   NO,   NO,   NO,   NO),
    # Accounts: supervisors see the users (to reset a lost second factor); nothing more.
    "admin:auth_user_changelist":                         (NO,   NO,   OK,   NO,   NO,   NO),
    "admin:auth_user_change":                             (NO,   NO,   OK,   NO,   NO,   NO),
    "admin:auth_user_history":                            (NO,   NO,   OK,   NO,   NO,   NO),
    "admin:auth_user_add":                                (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:auth_user_delete":                             (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:auth_user_password_change":                    (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:auth_group_changelist":                        (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:auth_group_change":                            (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:auth_group_history":                           (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:auth_group_add":                               (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:auth_group_delete":                            (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:otp_totp_totpdevice_changelist":               (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:otp_totp_totpdevice_change":                   (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:otp_totp_totpdevice_history":                  (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:otp_totp_totpdevice_add":                      (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:otp_totp_totpdevice_delete":                   (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:otp_totp_totpdevice_config":                   (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:otp_totp_totpdevice_qrcode":                   (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:otp_static_staticdevice_changelist":           (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:otp_static_staticdevice_change":               (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:otp_static_staticdevice_history":              (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:otp_static_staticdevice_add":                  (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:otp_static_staticdevice_delete":               (NO,   NO,   NO,   NO,   NO,   NO),
    # The sign-in throttle's records (django-axes): superusers only.
    "admin:axes_accessattempt_changelist":                (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:axes_accessattempt_change":                    (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:axes_accessattempt_history":                   (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:axes_accessattempt_add":                       (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:axes_accessattempt_delete":                    (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:axes_accessfailurelog_changelist":             (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:axes_accessfailurelog_change":                 (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:axes_accessfailurelog_history":                (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:axes_accessfailurelog_add":                    (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:axes_accessfailurelog_delete":                 (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:axes_accesslog_changelist":                    (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:axes_accesslog_change":                        (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:axes_accesslog_history":                       (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:axes_accesslog_add":                           (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:axes_accesslog_delete":                        (NO,   NO,   NO,   NO,   NO,   NO),
    # The badge desk: the desk, and supervisors (who hold print_badge).
    "desk:queue":                                         (NO,   NO,   OK,   OK,   NO,   NO),
    "desk:handover":                                      (NO,   NO,   OK,   OK,   NO,   NO),
    "desk:batch":                                         (NO,   NO,   OK,   OK,   NO,   NO),
    "desk:batch_file":                                    (NO,   NO,   OK,   OK,   NO,   NO),
    "desk:badge":                                         (NO,   NO,   OK,   OK,   NO,   NO),
    # The gates: gate agents, and supervisors (who hold scan_badge). The API reads the gate
    # token only; its POST endpoints take no GET.
    "gate:checkpoints":                                   (NO,   NO,   OK,   NO,   OK,   NO),
    "gate:page":                                          (NO,   NO,   OK,   NO,   OK,   NO),
    "gate:service_worker":                                (OK,   OK,   OK,   OK,   OK,   OK),
    "gate:api_token":                                     (NO,   NO,   OK,   NO,   OK,   NO),
    "gate:api_revocations":                               (NO,   NO,   OK,   NO,   OK,   NO),
    "gate:api_counters":                                  (NO,   NO,   OK,   NO,   OK,   NO),
    "gate:api_scan":                                      (POST, POST, POST, POST, POST, POST),
    "gate:api_offline_scans":                             (POST, POST, POST, POST, POST, POST),
    "gate:api_openapi":                                   (OK,   OK,   OK,   OK,   OK,   OK),
    "gate:api_not_found":                                 (NO,   NO,   NO,   NO,   NO,   NO),
    # Announcements (issue 19): the press office writes, previews, sends and follows them; no
    # other role reads them here. The one here is sent: it is read, no longer changed nor
    # deleted (people received it); sending and resending are POSTs (GET refused).
    "admin:communications_announcement_changelist":       (NO,   NO,   NO,   NO,   NO,   OK),
    "admin:communications_announcement_add":              (NO,   NO,   NO,   NO,   NO,   OK),
    "admin:communications_announcement_change":           (NO,   NO,   NO,   NO,   NO,   OK),
    "admin:communications_announcement_history":          (NO,   NO,   NO,   NO,   NO,   OK),
    "admin:communications_announcement_delete":           (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:communications_announcement_preview":          (NO,   NO,   NO,   NO,   NO,   OK),
    "admin:communications_announcement_send":             (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:communications_announcement_resend":           (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:communications_announcement_deliveries":       (NO,   NO,   NO,   NO,   NO,   OK),
    "admin:communications_announcement_file":             (NO,   NO,   NO,   NO,   NO,   OK),
    # A journalist's links of an announcement (unsubscribing, its file): the holder's.
    "communications:unsubscribe":                         (OK,   OK,   OK,   OK,   OK,   OK),
    "communications:file":                                (OK,   OK,   OK,   OK,   OK,   OK),
    # Interviews (issue 19): the press office's; reviewers and the desk do not see the threads.
    # A request opens on its triage page (sent on there); no one deletes here; the schedule's
    # export is the press office's own (no request's identity data).
    "admin:interviews_interviewtarget_changelist":        (NO,   NO,   NO,   NO,   NO,   OK),
    "admin:interviews_interviewtarget_add":               (NO,   NO,   NO,   NO,   NO,   OK),
    "admin:interviews_interviewtarget_change":            (NO,   NO,   NO,   NO,   NO,   OK),
    "admin:interviews_interviewtarget_history":           (NO,   NO,   NO,   NO,   NO,   OK),
    "admin:interviews_interviewtarget_delete":            (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:interviews_interviewrequest_changelist":       (NO,   NO,   NO,   NO,   NO,   OK),
    "admin:interviews_interviewrequest_add":              (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:interviews_interviewrequest_change":           (NO,   NO,   NO,   NO,   NO,   GO),
    "admin:interviews_interviewrequest_history":          (NO,   NO,   NO,   NO,   NO,   OK),
    "admin:interviews_interviewrequest_delete":           (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:interviews_triage":                            (NO,   NO,   NO,   NO,   NO,   OK),
    "admin:interviews_board":                             (NO,   NO,   NO,   NO,   NO,   OK),
    "admin:interviews_export":                            (NO,   NO,   NO,   NO,   NO,   OK),
    # The journalist's interview posts from the status page (GET refused), and the target
    # contact's private page: the holder's.
    "interviews:ask":                                     (POST, POST, POST, POST, POST, POST),
    "interviews:act":                                     (POST, POST, POST, POST, POST, POST),
    "interviews:contact":                                 (OK,   OK,   OK,   OK,   OK,   OK),
    # Outlets (issue 20): reviewers and supervisors, with the permission they decide requests
    # with; registrations come from the public form, never added or deleted here; a decision
    # is a POST (a GET is sent back to the outlet). Quotas per outlet type: reviewers read
    # them, supervisors set them (like sessions); never deleted.
    "privacy:erasure":                                    (OK,   OK,   OK,   OK,   OK,   OK),
    "privacy:export":                                     (OK,   OK,   OK,   OK,   OK,   OK),
    "privacy:access_report":                              (NO,   NO,   OK,   NO,   NO,   NO),
    "privacy:register":                                   (NO,   NO,   OK,   NO,   NO,   NO),
    "admin:privacy_erasurerequest_changelist":            (NO,   NO,   OK,   NO,   NO,   NO),
    "admin:privacy_erasurerequest_add":                   (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:privacy_erasurerequest_change":                (NO,   NO,   OK,   NO,   NO,   NO),
    "admin:privacy_erasurerequest_history":               (NO,   NO,   OK,   NO,   NO,   NO),
    "admin:privacy_erasurerequest_delete":                (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:privacy_erasurerequest_decide":                (NO,   NO,   GO,   NO,   NO,   NO),
    "admin:privacy_tombstone_changelist":                 (NO,   NO,   OK,   NO,   NO,   NO),
    "admin:privacy_tombstone_add":                        (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:privacy_tombstone_change":                     (NO,   NO,   OK,   NO,   NO,   NO),
    "admin:privacy_tombstone_history":                    (NO,   NO,   OK,   NO,   NO,   NO),
    "admin:privacy_tombstone_delete":                     (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:privacy_eventstatistics_changelist":           (NO,   NO,   OK,   NO,   NO,   NO),
    "admin:privacy_eventstatistics_add":                  (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:privacy_eventstatistics_change":               (NO,   NO,   OK,   NO,   NO,   NO),
    "admin:privacy_eventstatistics_history":              (NO,   NO,   OK,   NO,   NO,   NO),
    "admin:privacy_eventstatistics_delete":               (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:outlets_outlet_changelist":                    (NO,   OK,   OK,   NO,   NO,   NO),
    "admin:outlets_outlet_add":                           (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:outlets_outlet_change":                        (NO,   OK,   OK,   NO,   NO,   NO),
    "admin:outlets_outlet_history":                       (NO,   OK,   OK,   NO,   NO,   NO),
    "admin:outlets_outlet_delete":                        (NO,   NO,   NO,   NO,   NO,   NO),
    "admin:outlets_outlet_decide":                        (NO,   GO,   GO,   NO,   NO,   NO),
    "admin:outlets_outletquota_changelist":               (NO,   OK,   OK,   NO,   NO,   NO),
    "admin:outlets_outletquota_add":                      (NO,   NO,   OK,   NO,   NO,   NO),
    "admin:outlets_outletquota_change":                   (NO,   OK,   OK,   NO,   NO,   NO),
    "admin:outlets_outletquota_history":                  (NO,   OK,   OK,   NO,   NO,   NO),
    "admin:outlets_outletquota_delete":                   (NO,   NO,   NO,   NO,   NO,   NO),
    # The outlets' public pages: the registration form (and its done page, sent back to the
    # form without a registration in the session), and the focal point's, a crew member's
    # and a confirmation's private links: the holder's.
    "outlets:register":                                   (OK,   OK,   OK,   OK,   OK,   OK),
    "outlets:registered":                                 (GO,   GO,   GO,   GO,   GO,   GO),
    "outlets:focal":                                      (OK,   OK,   OK,   OK,   OK,   OK),
    "outlets:crew":                                       (OK,   OK,   OK,   OK,   OK,   OK),
    "outlets:confirm":                                    (OK,   OK,   OK,   OK,   OK,   OK),
    # The rest of the site.
    "health":                                             (OK,   OK,   OK,   OK,   OK,   OK),
    "health_live":                                        (OK,   OK,   OK,   OK,   OK,   OK),
    "metrics":                                            (NO,   NO,   NO,   NO,   NO,   NO),
    "javascript-catalog":                                 (OK,   OK,   OK,   OK,   OK,   OK),
    "set_language":                                       (GO,   GO,   GO,   GO,   GO,   GO),
}
# fmt: on

# The /admin/ addresses a gate agent needs: they sign in there (with the second factor,
# enrolled at the first sign-in when production requires it) and sign out.
GATE_AGENT_SIGN_IN = {"admin:login", "admin:logout", "admin:staff_enrol"}

# What the product does not do yet, cell by cell, and where. The matrix test leaves these
# cells out; test_row18_a_cell_the_product_does_not_do_yet checks each one as a strict xfail,
# so that a fix makes it pass (and fail, until the cell is taken off this list).
# (None today: the outlet decisions' and quotas' permissions were the last, fixed 2026-12-04.)
KNOWN_GAPS: dict[tuple[str, str], str] = {}


@pytest.fixture
def world(event, private_dir, django_capture_on_commit_callbacks):
    """One of everything a URL of the project may need, made the real way, and one account
    per role, none a superuser (the superuser "root" is only there to be acted on)."""
    from axes.models import AccessFailureLog
    from django.contrib.contenttypes.models import ContentType
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accreditation.models import RejectionReason
    from events.models import Checkpoint, Event

    superuser = make_user("root", "Supervisor", is_superuser=True)
    staff = {
        REVIEWER: make_user("reviewer", "Reviewer"),
        SUPERVISOR: make_user("supervisor", "Supervisor"),
        DESK: make_user("desk", "Badge desk"),
        GATE: make_user("gate", "Gate agent"),
        PRESS: make_user("press", "Press office"),
    }
    req = make_request(event)
    approved = make_request(event)
    review.request_approve(request=approved, actor=staff[REVIEWER])
    badge = issuing.badge_issue(request_id=approved.pk)
    batch = printing.batch_create(event=event, badges=[badge], actor=staff[DESK])
    printing.batch_render(batch_id=batch.pk)
    checkpoint = Checkpoint.objects.create(event=event, name="Main hall")
    checkpoint.sessions.set(event.sessions.all())
    agent = staff[GATE]
    gate.gate_decide(
        context=gate.checkpoint_context(
            checkpoint_id=checkpoint.pk, agent_id=agent.pk, code=badge.qr_text
        ),
        agent_id=agent.pk,
        direction="in",
        device_id="phone-1",
        client_scan_id="matrix-1",
        now=timezone.now(),
    )
    phone_owner = make_user("phone-owner", "Reviewer")
    TOTPDevice.objects.create(user=phone_owner, name="phone")
    StaticDevice.objects.create(user=phone_owner, name="recovery codes")
    RejectionReason.objects.create(title="Not a journalist", text_en="Not a journalist.")
    apply.late_admission_create(
        event=event,
        name="Late Comer",
        email="late@example.com",
        valid_until=timezone.now() + dt.timedelta(days=1),
        actor=superuser,
    )
    # Rows for the sign-in throttle's pages: a failed sign-in that stays (no success after it
    # for that name), and a good one.
    Client().post(reverse("admin:login"), {"username": "intruder", "password": "guess"})
    Client().post(reverse("admin:login"), {"username": "root", "password": "correct horse battery"})
    # The failure log's pages, though this project leaves that log off (no row is ever made).
    AccessFailureLog.objects.create(username="intruder", ip_address="127.0.0.1", path_info="/")
    assert Scan.objects.exists() and PrintBatch.objects.get().state == PrintBatch.State.DONE
    # Announcements, interviews, outlets: one of each, the accredited journalist's own.
    made = capability_objects(
        event,
        journalist=approved,
        reviewer=staff[REVIEWER],
        press_office=staff[PRESS],
        capture=django_capture_on_commit_callbacks,
    )

    photo = Document.objects.get(request=req, kind="photo")
    return {
        # what tests/test_security_rows.url_kwargs reads
        "event": event,
        "request": req,
        "checkpoint": checkpoint,
        "superuser": superuser,
        "status_kwargs": resolve(apply.status_path(req)).kwargs,
        "by_pk": {
            "admin:accreditation_request_decide": AccreditationRequest,
            "admin:accreditation_document_file": Document,  # the first: an identity document
            "admin:otp_totp_totpdevice_config": TOTPDevice,
            "admin:otp_totp_totpdevice_qrcode": TOTPDevice,
            "desk:batch": PrintBatch,
            "desk:batch_file": PrintBatch,
            "desk:badge": Badge,
            **made["by_pk"],
        },
        "links": made["links"],
        "event_content_type": ContentType.objects.get_for_model(Event).pk,
        # and this test's own
        "staff": staff,
        "extra_urls": {
            "admin:accreditation_document_file (photo)": reverse(
                "admin:accreditation_document_file", args=[photo.pk, "original"]
            ),
        },
    }


def browsers(world) -> dict[str, Client]:
    clients = {ANONYMOUS: Client()}
    for who, user in world["staff"].items():
        token = issue_token(user, "phone-1")
        clients[who] = Client(headers={"Authorization": f"Bearer {token}"})
        clients[who].force_login(user)
    return clients


def matrix_urls(world) -> dict[str, str]:
    """Every named URL of the project that can be built, by its matrix label."""
    urls = {}
    for name, args in url_names():
        if name in UNFILLABLE:
            continue
        urls[name] = reverse(name, kwargs=url_kwargs(name, args, world))
    assert world["request"].documents.order_by("pk").first().kind == "identity"
    urls.update(world["extra_urls"])
    return urls


def outcome(response) -> str:
    status = response.status_code
    if status == 200:
        return OK
    if status in (301, 302):
        login = reverse("admin:login")
        return NO if response["Location"].startswith(login) else GO
    if status in (401, 403, 404, 410):
        return NO
    if status == 405:
        return POST
    return str(status)


def fits(expected: str, got: str) -> bool:
    return got in (OK, GO) if expected == IN else got == expected


def walk(world, labels=None, who=VISITORS) -> dict[tuple[str, str], str]:
    """What each visitor gets at each URL (a GET)."""
    clients = browsers(world)
    answers = {}
    for label, url in matrix_urls(world).items():
        if labels is not None and label not in labels:
            continue
        for visitor in who:
            answers[(label, visitor)] = outcome(clients[visitor].get(url))
    return answers


def test_row18_every_url_answers_each_role_as_the_matrix_says(world):
    """The whole matrix: every named URL (the argument filler of row 3) plus the photo,
    anonymously and as each role. A URL missing from MATRIX fails too, so that a new page is
    given its row before it ships."""
    answers = walk(world)
    labels = {label for label, _who in answers}
    assert labels == set(MATRIX), (
        f"not in MATRIX: {sorted(labels - set(MATRIX))}; "
        f"no longer a URL: {sorted(set(MATRIX) - labels)}"
    )
    wrong = [
        f"{label} as {who}: expected {MATRIX[label][VISITORS.index(who)]}, got {got}"
        for (label, who), got in sorted(answers.items())
        if (label, who) not in KNOWN_GAPS and not fits(MATRIX[label][VISITORS.index(who)], got)
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    "label, who",
    [
        pytest.param(
            label,
            who,
            marks=pytest.mark.xfail(strict=True, raises=AssertionError, reason=reason),
            id=f"{label} as {who}",
        )
        for (label, who), reason in KNOWN_GAPS.items()
    ],
)
def test_row18_a_cell_the_product_does_not_do_yet(world, label, who):
    expected = MATRIX[label][VISITORS.index(who)]
    got = walk(world, labels={label}, who=(who,))[(label, who)]
    assert fits(expected, got), f"{label} as {who}: expected {expected}, got {got}"


def test_row18_the_press_office_gets_announcements_and_interviews_never_a_request(world):
    """Issue 19's role: each announcement and interview page of the admin opens for the press
    office; no page of the requests, their documents (the photo too), the audit log, the
    outlets, the users or the desk does, nor an export of requests. (The interview schedule's
    export is the press office's own: it carries no identity data.)"""
    answers = walk(world, who=(PRESS,))
    press = VISITORS.index(PRESS)
    theirs = [
        label
        for label in MATRIX
        if label.startswith(("admin:communications_", "admin:interviews_"))
        and MATRIX[label][press] in (OK, GO)
    ]
    assert len(theirs) >= 15, theirs
    shut = [label for label in theirs if answers[(label, PRESS)] not in (OK, GO)]
    assert shut == [], f"the press office is refused these pages: {shut}"
    out_of_bounds = ("admin:accreditation_", "admin:outlets_", "admin:auth_", "desk:")
    let_in = sorted(
        label
        for (label, _who), got in answers.items()
        if got == OK
        and (label.startswith(out_of_bounds) or label in ("admin:app_list", "gate:page"))
    )
    assert let_in == [], f"the press office gets these pages: {let_in}"
    assert answers[("admin:accreditation_request_export", PRESS)] == NO
    assert answers[("admin:accreditation_document_file", PRESS)] == NO


def test_row18_a_gate_agent_gets_no_admin_page_but_signing_in_and_out(world):
    admin_labels = {label for label in MATRIX if label.startswith("admin:")}
    answers = walk(world, labels=admin_labels, who=(GATE,))
    let_in = sorted(
        label
        for (label, _who), got in answers.items()
        if got == OK and label not in GATE_AGENT_SIGN_IN
    )
    assert let_in == [], f"a gate agent gets these admin pages: {let_in}"


def test_row18_a_gate_agent_signs_in_to_the_gate_and_can_sign_out(world):
    """Kept out of the admin, a gate agent still signs in there, lands on the gate, and signs
    out (the admin's own logout would send them to an index they may not see)."""
    agent = world["staff"][GATE]
    browser = Client()
    browser.force_login(agent)
    landed = browser.get(reverse("admin:login"))
    assert landed.status_code == 302 and landed["Location"] == reverse("gate:checkpoints")
    assert browser.get(reverse("gate:checkpoints")).status_code == 200
    out = browser.post(reverse("admin:logout"))
    assert out.status_code == 200  # the signed-out page
    assert "_auth_user_id" not in browser.session
    assert browser.get(reverse("gate:checkpoints")).status_code == 302


def test_row18_every_refusal_of_a_staff_page_to_a_visitor_sends_them_to_sign_in(world):
    """Refused anonymously means sent to the sign-in page (or 401 from the token-only API),
    never a page with data and never a bare error for a staff page."""
    anonymous = Client()
    for label, url in matrix_urls(world).items():
        if not label.startswith(("admin:", "desk:", "gate:")) or MATRIX[label][0] != NO:
            continue
        response = anonymous.get(url)
        if label.startswith("gate:api"):
            assert response.status_code in (401, 404), (label, response.status_code)
        else:
            assert response.status_code == 302, (label, response.status_code)
            assert response["Location"].startswith(reverse("admin:login")), label


def test_row18_reviewers_are_offered_no_bulk_delete_or_export_and_a_forged_one_does_nothing(
    client, world
):
    """The queue's bulk actions as a reviewer: neither deleting nor exporting is offered, and
    a POST naming them (as a forged form would) deletes nothing and exports nothing."""
    reviewer = world["staff"][REVIEWER]
    client.force_login(reviewer)
    url = reverse("admin:accreditation_accreditationrequest_changelist")
    page = client.get(url)
    assert page.status_code == 200
    offered = {name for name, _label in page.context["action_form"].fields["action"].choices}
    assert "delete_selected" not in offered and "export_selected" not in offered, offered
    assert "approve_selected" in offered  # what a reviewer does in bulk

    pks = list(AccreditationRequest.objects.values_list("pk", flat=True))
    exports = AuditEntry.objects.filter(action="requests.exported").count()
    for action in ("delete_selected", "export_selected"):
        response = client.post(url, {"action": action, "_selected_action": pks, "post": "yes"})
        assert response.status_code in (200, 302), (action, response.status_code)
        assert not response.get("Content-Type", "").startswith("text/csv"), action
        assert "attachment" not in response.get("Content-Disposition", ""), action
    assert sorted(AccreditationRequest.objects.values_list("pk", flat=True)) == sorted(pks)
    assert AuditEntry.objects.filter(action="requests.exported").count() == exports
    assert client.get(reverse("admin:accreditation_request_export")).status_code == 403

    # The same post from a supervisor exports: the reviewer's was refused, not malformed.
    supervisor = Client()
    supervisor.force_login(world["staff"][SUPERVISOR])
    export = supervisor.post(url, {"action": "export_selected", "_selected_action": pks})
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    assert AuditEntry.objects.filter(action="requests.exported").count() == exports + 1


# --- Row 20: status link tokens --------------------------------------------------------------

STATUS_LINK = re.compile(r"https?://[^/\s]+(/status/([^/\s]+)/([^/\s]+)/)")
CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"')


def submit(client, event, email: str, capture) -> tuple[AccreditationRequest, str, str]:
    """A request made through the form; its status path, reference and token as e-mailed."""
    before = len(mail.outbox)
    with capture(execute=True):
        response = client.post(
            reverse("accreditation:apply", args=[event.slug]),
            {**application_data(event, email=email), **application_files()},
        )
    assert response.status_code == 302, response.context and response.context["form"].errors
    req = AccreditationRequest.objects.get(email=email)
    bodies = " ".join(m.body for m in mail.outbox[before:] if m.to == [email])
    path, reference, token = STATUS_LINK.search(bodies).groups()
    assert reference == req.reference
    return req, path, token


def test_row20_status_tokens_are_160_bits_of_keyed_hmac_over_a_fresh_128_bit_nonce(
    event, django_capture_on_commit_callbacks
):
    first, first_path, first_token = submit(
        Client(), event, "one@example.com", django_capture_on_commit_callbacks
    )
    second, second_path, second_token = submit(
        Client(), event, "two@example.com", django_capture_on_commit_callbacks
    )
    for req, token in ((first, first_token), (second, second_token)):
        assert re.fullmatch(r"[0-9a-f]{40}", token), token  # 40 hex digits: 160 bits
        assert re.fullmatch(r"[0-9a-f]{32}", req.status_nonce)  # 16 random bytes: 128 bits
        assert token == tokens.make_token("status", req.pk, req.status_nonce)
        # Hashed at rest: no column of the request holds the token.
        row = AccreditationRequest.objects.filter(pk=req.pk).values().get()
        assert not [k for k, v in row.items() if token in str(v)], row
        # The public reference is a code of its own, not the database id.
        assert re.fullmatch(
            rf"[{REFERENCE_ALPHABET}]{{4}}-[{REFERENCE_ALPHABET}]{{4}}", req.reference
        )
    # Unrelated: different nonces, and tokens that agree on no more digits than chance.
    assert first.status_nonce != second.status_nonce
    same_digits = sum(a == b for a, b in zip(first_token, second_token, strict=True))
    assert same_digits < 14, (first_token, second_token)  # chance: 2.5 of 40

    # The token is keyed: the same request and nonce under another SECRET_KEY give another.
    with override_settings(SECRET_KEY="another-secret-" + "x" * 50):
        assert tokens.make_token("status", first.pk, first.status_nonce) != first_token
    # And the nonce is fresh each time, from the system's random source.
    nonces = {tokens.new_nonce() for _ in range(2000)}
    assert len(nonces) == 2000 and all(re.fullmatch(r"[0-9a-f]{32}", n) for n in nonces)
    # The links work, each for its own request.
    assert Client().get(first_path).status_code == 200
    assert Client().get(second_path).status_code == 200


def refusal(response) -> tuple[int, bytes, dict]:
    """A 404 as the journalist's browser sees it: status, body (the CSRF token of a form on it
    masked, as it is new at every response), and headers but the request's own id."""
    headers = {k: v for k, v in response.headers.items() if k.lower() not in {"x-request-id"}}
    return response.status_code, CSRF_INPUT.sub(b"csrf", response.content), headers


def test_row20_unknown_reference_wrong_token_and_expired_link_get_the_same_404(client, event):
    req = make_request(event)
    other = make_request(event)
    reference = req.reference
    token = resolve(apply.status_path(req)).kwargs["token"]
    other_token = resolve(apply.status_path(other)).kwargs["token"]
    flipped = ("1" if token[0] == "0" else "0") + token[1:]
    unknown_reference = "QQQQ-QQQQ" if reference != "QQQQ-QQQQ" else "WWWW-WWWW"
    assert not AccreditationRequest.objects.filter(reference=unknown_reference).exists()

    def get(ref, tok):
        return client.get(reverse("accreditation:status", args=[ref, tok]))

    answers = {
        "unknown reference": get(unknown_reference, token),
        "known reference, wrong token": get(reference, flipped),
        "known reference, another request's token": get(reference, other_token),
        "known reference, token cut short": get(reference, token[:20]),
        "known reference, no real token": get(reference, "x"),
    }
    last_day = dt.datetime.combine(event.personal_data_until, dt.time(12), tzinfo=event.tz)
    with time_machine.travel(last_day + dt.timedelta(days=1), tick=False):
        answers["right token, past the retention period"] = get(reference, token)
    assert get(reference, token).status_code == 200  # the right link works

    expected = refusal(answers.pop("unknown reference"))
    assert expected[0] == 404
    for label, response in answers.items():
        got = refusal(response)
        assert got[0] == expected[0], label
        assert got[1] == expected[1], label
        assert got[2] == expected[2], label


# --- Row 24: the deadline, for a form opened before it ---------------------------------------


def csrf_token(browser) -> str:
    return browser.cookies[django_settings.CSRF_COOKIE_NAME].value


@pytest.fixture
def deadline(db):
    """An event whose accreditation closes at a whole second, a fortnight from now."""
    closes = timezone.now().replace(microsecond=0) + dt.timedelta(days=14)
    event = make_event(slug="deadline", deadline_in_days=14)
    event.accreditation_deadline = closes
    event.save(update_fields=["accreditation_deadline"])
    return event


def nothing_kept_since(before: dict, private_dir: Path) -> None:
    assert not AccreditationRequest.objects.exists()
    assert not Document.objects.exists()
    assert set(PendingUpload.objects.values_list("pk", flat=True)) == before["pending"]
    assert set(OutboxTask.objects.values_list("pk", flat=True)) == before["outbox"]
    assert set(AuditEntry.objects.values_list("pk", flat=True)) == before["audit"]
    assert files_on_disk(private_dir) == before["files"]
    assert mail.outbox == []


def kept(private_dir: Path) -> dict:
    return {
        "pending": set(PendingUpload.objects.values_list("pk", flat=True)),
        "outbox": set(OutboxTask.objects.values_list("pk", flat=True)),
        "audit": set(AuditEntry.objects.values_list("pk", flat=True)),
        "files": files_on_disk(private_dir),
    }


def test_row24_a_form_opened_before_the_deadline_and_sent_after_it_is_refused_and_kept_nothing(
    deadline, private_dir, django_capture_on_commit_callbacks
):
    browser = Client(enforce_csrf_checks=True)
    url = reverse("accreditation:apply", args=[deadline.slug])
    with time_machine.travel(deadline.accreditation_deadline - dt.timedelta(hours=1), tick=False):
        opened = browser.get(url)
        assert opened.status_code == 200
        assert "accreditation/apply.html" in [t.name for t in opened.templates]
        token = csrf_token(browser)
    before = kept(private_dir)
    with (
        time_machine.travel(deadline.accreditation_deadline + dt.timedelta(seconds=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        data = {**application_data(deadline), **application_files(), "csrfmiddlewaretoken": token}
        response = browser.post(url, data)
    assert response.status_code == 403
    assert "accreditation/closed.html" in [t.name for t in response.templates]
    assert response.context["state"] == "closed"
    nothing_kept_since(before, private_dir)


def test_row24_files_kept_with_a_draft_before_the_deadline_make_no_request_after_it(
    deadline, private_dir, django_capture_on_commit_callbacks
):
    """The draft case: a form sent with a mistake before the deadline keeps its files; the
    corrected form, sent after the deadline, is refused and the kept files make no request."""
    browser = Client(enforce_csrf_checks=True)
    url = reverse("accreditation:apply", args=[deadline.slug])
    with time_machine.travel(deadline.accreditation_deadline - dt.timedelta(minutes=5), tick=False):
        browser.get(url)
        token = csrf_token(browser)
        wrong = {**application_data(deadline, date_of_birth="1890-01-01"), **application_files()}
        draft = browser.post(url, {**wrong, "csrfmiddlewaretoken": token})
        assert draft.status_code == 400
    assert PendingUpload.objects.count() == 3
    before = kept(private_dir)
    with (
        time_machine.travel(deadline.accreditation_deadline + dt.timedelta(seconds=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = browser.post(url, {**application_data(deadline), "csrfmiddlewaretoken": token})
    assert response.status_code == 403
    assert "accreditation/closed.html" in [t.name for t in response.templates]
    nothing_kept_since(before, private_dir)


def test_row24_a_form_sent_one_second_before_the_deadline_is_taken(
    deadline, django_capture_on_commit_callbacks
):
    browser = Client(enforce_csrf_checks=True)
    url = reverse("accreditation:apply", args=[deadline.slug])
    with time_machine.travel(deadline.accreditation_deadline - dt.timedelta(hours=1), tick=False):
        assert browser.get(url).status_code == 200
        token = csrf_token(browser)
    with (
        time_machine.travel(deadline.accreditation_deadline - dt.timedelta(seconds=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        data = {**application_data(deadline), **application_files(), "csrfmiddlewaretoken": token}
        response = browser.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == reverse("accreditation:submitted", args=[deadline.slug])
    req = AccreditationRequest.objects.get()
    assert req.submitted_at == deadline.accreditation_deadline - dt.timedelta(seconds=1)
    assert Document.objects.filter(request=req).count() == 3


# --- Row 26: tasks run twice -----------------------------------------------------------------


def _request_email(event) -> OutboxTask:
    req = make_request(event)
    with transaction.atomic():
        return outbox.enqueue(
            "accreditation.send_request_email", request_id=req.pk, kind="status_link"
        )


def _contact_notice(event) -> OutboxTask:
    req = make_request(event)
    with transaction.atomic():
        return outbox.enqueue("accreditation.send_contact_notice", request_id=req.pk)


def _late_admission(event) -> OutboxTask:
    apply.late_admission_create(
        event=event,
        name="Late Comer",
        email="late@example.com",
        valid_until=timezone.now() + dt.timedelta(days=1),
        actor=make_user("supervisor", "Supervisor"),
    )
    return OutboxTask.objects.get(task_name="accreditation.send_late_admission")


def _address_check(event) -> OutboxTask:
    from accreditation.apply.address import address_check_start

    address_check_start(event=event, email="new@example.com", language="fr")
    return OutboxTask.objects.get(task_name="accreditation.send_address_check")


EMAIL_TASKS = {
    "send_request_email": _request_email,
    "send_contact_notice": _contact_notice,
    "send_late_admission": _late_admission,
    "send_address_check": _address_check,
}


@pytest.mark.parametrize("task_name", EMAIL_TASKS)
def test_row26_an_email_task_delivered_twice_for_one_outbox_row_sends_one_email(event, task_name):
    """The row is written in a transaction as the services do; the test's own transaction
    never commits, so nothing is sent until the task runs here. Then the broker delivers the
    same message twice (a redelivery): one e-mail, the row done once."""
    row = EMAIL_TASKS[task_name](event)
    assert row.task_name == f"accreditation.{task_name}"
    assert mail.outbox == [] and row.completed_at is None
    task = getattr(tasks, task_name)
    message = {**row.kwargs, "outbox_id": row.pk}  # what outbox._dispatch publishes

    first = task.apply(kwargs=message)
    row.refresh_from_db()
    done_at = row.completed_at
    assert first.successful() and done_at is not None and row.runs == 1
    assert len(mail.outbox) == 1

    second = task.apply(kwargs=message)
    assert second.successful()
    assert len(mail.outbox) == 1, [m.subject for m in mail.outbox]
    row.refresh_from_db()
    assert row.runs == 1 and row.completed_at == done_at and row.failed_at is None


def _issue_badge(event, private_dir) -> tuple[OutboxTask, object]:
    req = make_request(event)
    review.request_approve(request=req, actor=make_user("reviewer", "Reviewer"))
    assert req.status == "approved"
    row = OutboxTask.objects.get(task_name="accreditation.issue_badge")

    def done():
        return {
            "badges": list(Badge.objects.filter(request=req).values_list("pk", "qr_text")),
            "issued": AuditEntry.objects.filter(request=req, to_status="badge_issued").count(),
        }

    return row, done


def _render_print_batch(event, private_dir) -> tuple[OutboxTask, object]:
    req = make_request(event)
    review.request_approve(request=req, actor=make_user("reviewer", "Reviewer"))
    badge = issuing.badge_issue(request_id=req.pk)
    printing.batch_create(event=event, badges=[badge], actor=make_user("desk", "Badge desk"))
    row = OutboxTask.objects.get(task_name="accreditation.render_print_batch")

    def done():
        batches = list(PrintBatch.objects.values_list("pk", "state", "file"))
        return {
            "batches": batches,
            "files": sorted(files_on_disk(private_dir / "batches")),
            "printed": AuditEntry.objects.filter(request=req, to_status="printed").count(),
        }

    return row, done


WORK_TASKS = {"issue_badge": _issue_badge, "render_print_batch": _render_print_batch}


@pytest.mark.parametrize("task_name", WORK_TASKS)
def test_row26_a_work_task_redelivered_after_its_worker_died_does_its_work_once(
    event, private_dir, task_name
):
    """acks_late: a worker that dies after the work and before marking the row done gets its
    message redelivered. The first delivery is played the way _run plays it (the row started,
    the work done) but never finished; the redelivery and one more after it change nothing:
    one badge, one PDF."""
    row, done = WORK_TASKS[task_name](event, private_dir)
    task = getattr(tasks, task_name)
    message = {**row.kwargs, "outbox_id": row.pk}
    assert outbox.start(row.pk, row.task_name, max_runs=task.max_retries + 2)
    if task_name == "issue_badge":
        issuing.badge_issue(request_id=row.kwargs["request_id"])
    else:
        printing.batch_render(batch_id=row.kwargs["batch_id"])
    after_work = done()
    if task_name == "issue_badge":  # the work was done, once
        assert len(after_work["badges"]) == 1 and after_work["issued"] == 1, after_work
    else:
        assert len(after_work["files"]) == 1 and after_work["printed"] == 1, after_work

    redelivered = task.apply(kwargs=message)
    assert redelivered.successful()
    row.refresh_from_db()
    assert row.completed_at is not None and row.failed_at is None and row.runs == 2
    assert done() == after_work

    again = task.apply(kwargs=message)
    assert again.successful()
    assert done() == after_work
    assert OutboxTask.objects.values_list("runs", flat=True).get(pk=row.pk) == 2


def database_state() -> dict[str, list[tuple]]:
    """Every row of every table of the project's models, in order."""
    state = {}
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        rows = model._base_manager.order_by("pk").values_list()
        state[model._meta.label] = list(rows)
    return state


@pytest.fixture
def past_retention(private_dir):
    """An event with what a real one holds by its end (requests with documents, a badge
    printed and scanned, a late admission), another event still running, and the moment the
    first one's retention period is over."""
    from events.models import Checkpoint

    old = make_event(slug="old", retention_days=30)
    current = make_event(slug="current", retention_days=30, deadline_in_days=400)
    reviewer, desk = make_user("reviewer", "Reviewer"), make_user("desk", "Badge desk")
    agent = make_user("gate", "Gate agent")
    make_request(old)
    approved = make_request(old)
    review.request_approve(request=approved, actor=reviewer)
    badge = issuing.badge_issue(request_id=approved.pk)
    printing.batch_render(batch_id=printing.batch_create(event=old, badges=[badge], actor=desk).pk)
    checkpoint = Checkpoint.objects.create(event=old, name="Main hall")
    checkpoint.sessions.set(old.sessions.all())
    gate.gate_decide(
        context=gate.checkpoint_context(
            checkpoint_id=checkpoint.pk, agent_id=agent.pk, code=badge.qr_text
        ),
        agent_id=agent.pk,
        direction="in",
        device_id="phone-1",
        client_scan_id="retention-1",
        now=timezone.now(),
    )
    make_request(current)
    after = dt.datetime.combine(
        old.personal_data_until + dt.timedelta(days=2), dt.time(12), tzinfo=old.tz
    )
    assert current.personal_data_until > after.date()
    return {"old": old, "current": current, "after": after}


def test_row26_the_retention_purge_run_twice_leaves_the_database_as_the_first_run_left_it(
    past_retention, private_dir
):
    old, current = past_retention["old"], past_retention["current"]
    files_before = files_on_disk(private_dir)
    kept_files = {
        private_dir / d.file.name for d in Document.objects.filter(request__event=current)
    }
    with time_machine.travel(past_retention["after"], tick=False):
        first = tasks.retention_purge.apply(throw=True).get()
        after_first = database_state()
        files_after_first = files_on_disk(private_dir)
        second = tasks.retention_purge.apply(throw=True).get()
        after_second = database_state()
        files_after_second = files_on_disk(private_dir)

    # The first run did the work: the old event's people are gone, the current one's kept.
    assert first == {"requests": 2, "files": 7}, first  # 2 x 3 documents, 1 batch PDF
    assert not AccreditationRequest.objects.filter(event=old).exists()
    assert not Badge.objects.filter(event=old).exists()
    assert not Scan.objects.filter(checkpoint__event=old).exists()
    assert not PrintBatch.objects.filter(event=old).exists()
    assert AccreditationRequest.objects.filter(event=current).count() == 1
    assert files_after_first < files_before and kept_files <= files_after_first
    tombstones = [
        e.data for e in AuditEntry.objects.filter(action="retention.purged").order_by("pk")
    ]
    assert tombstones[0] == {"event": old.pk, "requests": 2, "files": first["files"]}

    # The second run finds nothing to do and changes nothing.
    assert second == {"requests": 0, "files": 0}
    assert files_after_second == files_after_first
    changed = {
        label: (after_first[label], after_second.get(label))
        for label in after_first
        if after_first[label] != after_second.get(label)
    }
    assert changed == {}, changed
    assert len(tombstones) == 1, tombstones
