"""What a document check says: a machine code, an outcome and a message a person can read.

A check never raises on bad input. It returns results; the worst outcome decides what the
reviewer sees first. Codes are stable identifiers (``image.pixels``, ``pdf.javascript``, …):
tests and the admin rely on them, people read the message.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from django.utils.functional import Promise, lazy


class Outcome(StrEnum):
    """Declared from best to worst: :attr:`severity` and :func:`worst` rely on this order."""

    PASS = "pass"
    WARNING = "warning"
    FAIL = "fail"

    @property
    def severity(self) -> int:
        """0 for PASS, 1 for WARNING, 2 for FAIL (string comparison would rank them wrongly)."""
        return _SEVERITY[self]


_SEVERITY = {outcome: rank for rank, outcome in enumerate(Outcome)}


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check's verdict.

    ``message`` is a lazy translation (or a plain string); render it with ``str()`` inside the
    language the reader wants. ``value`` is what was measured, for the reviewer and the log:
    ``"3000×4000"``, ``"2 faces"``, ``"/Root/OpenAction"``.
    """

    code: str
    outcome: Outcome
    message: str | Promise
    value: str = ""

    @property
    def failed(self) -> bool:
        return self.outcome is Outcome.FAIL


def _interpolate(template: str | Promise, params: dict[str, object]) -> str:
    return str(template) % params


_lazy_interpolate = lazy(_interpolate, str)


def interpolate(template: str | Promise, **params: object) -> str | Promise:
    """``template % params``, evaluated only when the message is rendered.

    ``gettext_lazy(...) % {...}`` would translate at once, into whatever language happens to
    be active in the worker; this keeps the message lazy so that the reviewer reading it
    later gets it in theirs::

        interpolate(_("The picture is %(dimensions)s pixels."), dimensions="300×400")
    """
    return _lazy_interpolate(template, params)


def worst(results: Iterable[CheckResult]) -> Outcome:
    """The most severe outcome among ``results``; PASS when there are none."""
    return max((result.outcome for result in results), key=_severity_of, default=Outcome.PASS)


def _severity_of(outcome: Outcome) -> int:
    return outcome.severity
