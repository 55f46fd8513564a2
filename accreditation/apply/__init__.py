"""Applying: the journalist's form, its uploads, the private status page and its links.

| module | what |
|---|---|
| submission.py | whether the form is open, what is wrong with it, the request it makes |
| pending.py | files decided by content at upload and kept for the draft |
| address.py | the first step: the address proved by a single-use link before the form |
| pow.py | the address step's proof of work (ALTCHA format) |
| links.py | status, confirmation and late-admission links |
| answers.py | answering staff's question, withdrawing |
| uploads.py | the upload handler that bounds sizes while the body streams in |
| forms.py, views.py, urls.py | the public pages |

May import: accreditation.models, .errors, .workflow, .tokens, .filetypes, .ratelimit,
.notify, .storage, events.models. ``apply.X`` names each service where it lives.
"""

# ruff: noqa: F401 - the names the rest of the project uses, re-exported

from accreditation.apply.answers import request_answer, request_withdraw
from accreditation.apply.links import (
    late_admission_create,
    late_admission_from_token,
    late_admission_url,
    request_confirm_email,
    request_from_status_link,
    request_link_renew,
    request_resend_link,
    status_path,
    status_url,
)
from accreditation.apply.pending import (
    ALLOWED_TYPES,
    PHOTO_MIN_SIZE,
    TYPE_LABELS,
    CheckedUpload,
    pending_discard,
    pending_purge,
    pending_uploads,
    uploads_check,
    uploads_stash,
)
from accreditation.apply.submission import (
    REQUEST_FIELDS,
    RUN_CHECKS,
    Submission,
    accreditation_open,
    application_errors,
    media_sessions,
    new_reference,
    request_submit,
)
