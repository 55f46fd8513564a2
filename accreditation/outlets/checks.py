"""An outlet's proof goes through the same file checks as a journalist's documents
(accreditation.checks.pipeline: type from content, size, SHA-256, antivirus, PDF and image
inspection), and the worst outcome is shown to the reviewer with each result, in the reader's
language: each message is kept in every language of the site, as CheckResult.messages are."""

from __future__ import annotations

from types import SimpleNamespace

from django.utils import translation
from django.utils.translation import get_language

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
    from accreditation.checks.pipeline import in_every_language

    with translation.override(outlet.event.staff_language):
        stored = [
            {
                "code": r.code,
                "outcome": str(r.outcome),
                "value": r.value,
                "message": str(r.message),  # the staff language's, as CheckResult.message
                "messages": in_every_language(r.message),
            }
            for r in results
        ]
    outcome = str(worst(results)) if results else ""
    Outlet.objects.filter(pk=outlet.pk).update(proof_checks=stored, proof_outcome=outcome)
    return outcome


def proof_results(outlet: Outlet) -> list[dict]:
    """The proof's check results for the page being rendered, each with ``text``: its message
    in the active language (the reader's), else in the staff language (older results)."""
    language = (get_language() or "")[:2]
    return [
        {**r, "text": (r.get("messages") or {}).get(language) or r.get("message", "")}
        for r in outlet.proof_checks
    ]
