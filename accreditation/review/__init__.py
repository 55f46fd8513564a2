"""Review: staff decide requests (``decisions``: approve, reject, ask, revoke, reopen, each
through the state machine and audited), and the security vetting (``vetting``: the list for
the vetting authority, its answers read back, CSV/XLSX exports).

May import: accreditation.models, .errors, .workflow, .roles, .notify. The staff pages (the
admin) call it; it calls no page. ``review.X`` names each function where it lives.
"""

# ruff: noqa: F401 - the names the rest of the project uses, re-exported

from accreditation.review.decisions import (
    ISSUE_BADGE_TASK,
    approval_refusal,
    request_approve,
    request_ask_info,
    request_reject,
    request_reopen,
    request_revoke,
)
from accreditation.review.vetting import (
    VETTING_COLUMNS,
    VettingImport,
    read_vetting_file,
    rows_to_csv,
    rows_to_xlsx,
    vetting_import,
    vetting_rows,
)
