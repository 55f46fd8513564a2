"""Plausibility of what the applicant typed from their identity document.

Security screening matches the document number character for character, so a slip of the
finger costs the applicant their badge. These checks catch what is certainly wrong (FAIL:
characters no document uses, a length no document has, a Spanish DNI whose control letter
does not match) and point out what is merely unusual (WARNING: a number that does not look
like the issuing country's usual format, which may be an older series). They never decide
on their own; the reviewer does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from accreditation.checks.results import CheckResult, Outcome, interpolate

EXPIRY = "identity.expiry"
DOCUMENT_NUMBER = "identity.document_number"

DOCUMENT_TYPES = ("passport", "national_id", "other")
# Passports and identity cards run for ten years at most; more than this after the event
# is a mistyped year far more often than a real document.
FAR_FUTURE_YEARS = 15


def check_expiry(expiry: date, event_end: date) -> CheckResult:
    """The identity document must still be valid on the last day of the event."""
    value = expiry.isoformat()
    if expiry < event_end:
        return CheckResult(
            EXPIRY,
            Outcome.FAIL,
            interpolate(
                _(
                    "The identity document expires on %(expiry)s, before the end of the "
                    "event on %(event_end)s."
                ),
                expiry=value,
                event_end=event_end.isoformat(),
            ),
            value,
        )
    if expiry.year - event_end.year > FAR_FUTURE_YEARS:
        return CheckResult(
            EXPIRY,
            Outcome.WARNING,
            interpolate(
                _("The expiry date %(expiry)s is unusually far away; check the year."),
                expiry=value,
            ),
            value,
        )
    return CheckResult(
        EXPIRY, Outcome.PASS, _("The identity document is valid until the end of the event."), value
    )


@dataclass(frozen=True, slots=True)
class NumberRule:
    """``pattern`` must match the number in capitals with spaces and hyphens removed."""

    pattern: re.Pattern[str]
    description: str | Promise  # for people: what the format looks like


def _rule(pattern: str, description: str | Promise) -> NumberRule:
    return NumberRule(re.compile(pattern), description)


# Lengths of the compact number (letters and digits only) for any country.
# (PASS range, WARNING range): outside the WARNING range is a FAIL.
GENERAL_LENGTHS = {
    "passport": ((6, 9), (5, 12)),  # the machine-readable zone has 9 places
    "national_id": ((5, 20), (3, 24)),
    "other": ((3, 30), (1, 40)),
}

# Country formats in use today. A number that does not match is a WARNING, never a FAIL:
# older series stay valid for years.
COUNTRY_RULES: dict[tuple[str, str], NumberRule] = {
    ("passport", "MA"): _rule(r"[A-Z]{2}\d{7}", _("2 letters and 7 digits")),
    ("passport", "FR"): _rule(r"\d{2}[A-Z]{2}\d{5}", _("2 digits, 2 letters, 5 digits")),
    ("passport", "US"): _rule(r"\d{9}|[A-Z]\d{8}", _("9 digits, or a letter and 8 digits")),
    ("passport", "GB"): _rule(r"\d{9}", _("9 digits")),
    ("passport", "DE"): _rule(
        r"[CFGHJK][CFGHJKLMNPRTVWXYZ0-9]{8}", _("9 characters starting with C, F, G, H, J or K")
    ),
    ("passport", "IT"): _rule(r"[A-Z]{2}\d{7}", _("2 letters and 7 digits")),
    ("passport", "ES"): _rule(r"[A-Z]{2,3}\d{6}", _("2 or 3 letters and 6 digits")),
    ("passport", "CA"): _rule(r"[A-Z]{2}\d{6}", _("2 letters and 6 digits")),
    ("passport", "IN"): _rule(r"[A-Z]\d{7}", _("a letter and 7 digits")),
    ("national_id", "MA"): _rule(r"[A-Z]{1,2}\d{1,6}", _("1 or 2 letters and up to 6 digits")),
    ("national_id", "FR"): _rule(r"\d{12}|[A-Z0-9]{9}", _("12 digits, or 9 letters and digits")),
    ("national_id", "ES"): _rule(r"\d{8}[A-Z]|[XYZ]\d{7}[A-Z]", _("8 digits and a letter")),
    ("national_id", "IT"): _rule(r"[A-Z]{2}\d{5}[A-Z]{2}", _("2 letters, 5 digits, 2 letters")),
    ("national_id", "DE"): _rule(r"[CFGHJKLMNPRTVWXYZ0-9]{9}", _("9 letters and digits")),
}

_LATIN_ALPHANUMERIC = re.compile(r"[A-Za-z0-9]+")
_SEPARATORS = re.compile(r"[ \-]")
_OTHER_PUNCTUATION = re.compile(r"[ \-/.]")
_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def _measured(number: str) -> str:
    """What a document-number check keeps as its measure: the length, never the number (it is
    sealed on the request; a check result is not, and goes into reports and exports)."""
    return f"{len(number)}"


def check_document_number(doc_type: str, number: str, issuing_country: str) -> CheckResult:
    """Is ``number`` a plausible ``doc_type`` number for ``issuing_country`` (ISO alpha-2)?"""
    if doc_type not in DOCUMENT_TYPES:
        raise ValueError(f"unknown document type {doc_type!r}")
    country = (issuing_country or "").strip().upper()
    typed = number.strip()
    if not typed:
        return CheckResult(DOCUMENT_NUMBER, Outcome.FAIL, _("The document number is missing."))
    separators = _OTHER_PUNCTUATION if doc_type == "other" else _SEPARATORS
    compact = separators.sub("", typed)
    if not _LATIN_ALPHANUMERIC.fullmatch(compact):
        return CheckResult(
            DOCUMENT_NUMBER,
            Outcome.FAIL,
            _(
                "The document number may contain only Latin letters and digits, as printed "
                "in the machine-readable lines of the document."
            ),
            _measured(typed),
        )
    upper = compact.upper()
    (low, high), (worst_low, worst_high) = GENERAL_LENGTHS[doc_type]
    if not worst_low <= len(upper) <= worst_high:
        return CheckResult(
            DOCUMENT_NUMBER,
            Outcome.FAIL,
            interpolate(
                ngettext_lazy(
                    "A document number of %(length)s character is not possible; check it.",
                    "A document number of %(length)s characters is not possible; check it.",
                    len(upper),
                ),
                length=len(upper),
            ),
            _measured(typed),
        )
    if country == "ES" and doc_type == "national_id" and not _spanish_control_letter_ok(upper):
        return CheckResult(
            DOCUMENT_NUMBER,
            Outcome.FAIL,
            _(
                "The control letter of this DNI/NIE number does not match; check for a typing mistake."
            ),
            _measured(typed),
        )

    rule = COUNTRY_RULES.get((doc_type, country))
    if rule is not None and not rule.pattern.fullmatch(upper):
        return CheckResult(
            DOCUMENT_NUMBER,
            Outcome.WARNING,
            interpolate(
                _(
                    "This number does not look like the usual format for this country "
                    "(%(country)s: %(format)s); check it."
                ),
                country=country,
                format=rule.description,
            ),
            _measured(typed),
        )
    if rule is None and not low <= len(upper) <= high:
        return CheckResult(
            DOCUMENT_NUMBER,
            Outcome.WARNING,
            interpolate(
                ngettext_lazy(
                    "A document number of %(length)s character is unusual; check it.",
                    "A document number of %(length)s characters is unusual; check it.",
                    len(upper),
                ),
                length=len(upper),
            ),
            _measured(typed),
        )
    if _looks_like_placeholder(upper):
        return CheckResult(
            DOCUMENT_NUMBER,
            Outcome.WARNING,
            _("The document number looks like a placeholder; check it."),
            _measured(typed),
        )
    if doc_type == "passport" and typed != upper:
        return CheckResult(
            DOCUMENT_NUMBER,
            Outcome.WARNING,
            _(
                "Passport numbers are written in capitals without spaces, as in the "
                "machine-readable lines."
            ),
            _measured(typed),
        )
    return CheckResult(
        DOCUMENT_NUMBER, Outcome.PASS, _("The document number looks plausible."), _measured(typed)
    )


def _spanish_control_letter_ok(number: str) -> bool:
    """DNI: 8 digits and a letter; NIE: X, Y or Z, 7 digits and a letter; letter = n mod 23."""
    match = re.fullmatch(r"([XYZ]?)(\d{7,8})([A-Z])", number)
    if match is None:
        return True  # not a DNI/NIE shape: the country format rule will say so
    prefix, digits, letter = match.groups()
    if (prefix and len(digits) != 7) or (not prefix and len(digits) != 8):
        return True
    value = int(str("XYZ".index(prefix)) + digits) if prefix else int(digits)
    return _DNI_LETTERS[value % 23] == letter


def _looks_like_placeholder(number: str) -> bool:
    digits = re.sub(r"\D", "", number)
    if len(digits) < 6:
        return False
    return (
        len(set(digits)) == 1
        or digits in "01234567890123456789"
        or digits in "98765432109876543210"
    )
