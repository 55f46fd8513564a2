"""The accreditation app's models, one module per capability (one app label, ``accreditation``):

| module | what |
|---|---|
| choices.py | the request's statuses and field choices |
| requests.py | the request, late admissions, rejection reasons, messages with the journalist |
| documents.py | documents, uploads waiting for a form, check results |
| audit.py | the audit log |
| outbox.py | the transactional outbox |
| badges.py | badges and print batches |
| gate.py | the scan log |

Import models from here (``from accreditation.models import Badge``); each lives in one module.
"""

# ruff: noqa: F401 - the names the rest of the project imports, re-exported

from accreditation.models.audit import AuditEntry
from accreditation.models.badges import Badge, PrintBatch
from accreditation.models.choices import (
    CheckOutcome,
    Employment,
    IdDocumentType,
    OutletType,
    Role,
    Status,
    Vetting,
)
from accreditation.models.documents import CheckResult, Document, DocumentQuerySet, PendingUpload
from accreditation.models.gate import Scan
from accreditation.models.outbox import OutboxTask
from accreditation.models.requests import (
    AccreditationRequest,
    AddressCheck,
    LateAdmission,
    Message,
    RejectionReason,
    WaitingPlace,
    document_number_is,
)
