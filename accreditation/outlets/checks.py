"""An outlet's proof goes through the same file checks as a journalist's documents
(accreditation.checks.pipeline: type from content, size, SHA-256, antivirus, PDF and image
inspection), and the worst outcome is shown to the reviewer with each result."""

from __future__ import annotations

from types import SimpleNamespace

from django.utils import translation

from accreditation.checks.results import worst
from accreditation.models import Document
from accreditation.outlets.models import Outlet


def proof_check(*, outlet_id: int) -> str:
    """Run the checks on the outlet's proof and keep their results (idempotent: a run
    replaces them). Returns the worst outcome."""
    from accreditation.checks.pipeline import _file_checks

    outlet = Outlet.objects.get(pk=outlet_id)
    # The pipeline checks a Document's file; the proof is checked as a mission letter (the
    # same types allowed, the same inspection). Its derived previews are named from the file.
    document = SimpleNamespace(
        file=outlet.proof,
        sha256="",
        kind=Document.Kind.MISSION_LETTER,
        size=outlet.proof_size,
    )
    results, _derived, _phash = _file_checks(document)
    with translation.override(outlet.event.staff_language):
        stored = [
            {
                "code": r.code,
                "outcome": str(r.outcome),
                "value": r.value,
                "message": str(r.message),
            }
            for r in results
        ]
    outcome = str(worst(results)) if results else ""
    Outlet.objects.filter(pk=outlet.pk).update(proof_checks=stored, proof_outcome=outcome)
    return outcome
