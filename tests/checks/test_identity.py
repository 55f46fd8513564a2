"""What the applicant typed from the identity document: valid long enough, plausible number."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accreditation.checks import identity
from accreditation.checks.identity import check_document_number, check_expiry
from accreditation.checks.results import CheckResult, Outcome

EVENT_END = date(2025, 11, 27)  # the 93rd INTERPOL General Assembly closes on this day


# --- expiry ---------------------------------------------------------------------------------


def test_a_document_expiring_before_the_last_day_of_the_event_fails():
    result = check_expiry(date(2025, 11, 26), EVENT_END)

    assert result.code == identity.EXPIRY
    assert result.outcome is Outcome.FAIL
    assert result.value == "2025-11-26"
    assert "2025-11-27" in str(result.message)


def test_a_document_valid_on_the_last_day_passes():
    assert check_expiry(EVENT_END, EVENT_END).outcome is Outcome.PASS
    assert check_expiry(date(2031, 3, 1), EVENT_END).outcome is Outcome.PASS


def test_an_expiry_decades_away_is_probably_a_typing_mistake():
    assert check_expiry(date(2052, 1, 1), EVENT_END).outcome is Outcome.WARNING


# --- document numbers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("doc_type", "number", "country"),
    [
        ("passport", "AB4821937", "MA"),  # Morocco: 2 letters, 7 digits
        ("passport", "18AB48213", "FR"),  # France: 2 digits, 2 letters, 5 digits
        ("passport", "548213974", "US"),  # United States: 9 digits
        ("passport", "A48213974", "US"),  # ... or a letter and 8 digits since 2021
        ("passport", "C01X00T47", "DE"),
        ("passport", "X4821937", "ZZ"),  # unknown country: the general rule
        ("passport", "P4821937", ""),
        ("national_id", "BE482193", "MA"),
        ("national_id", "48213975H", "ES"),  # DNI with the right control letter
        ("national_id", "Y4821397J", "ES"),  # NIE
        ("national_id", "X82-4419-3301", "BR"),  # hyphens as printed
        ("other", "CCM/2025/0417", "MA"),  # a filming authorisation number
    ],
)
def test_plausible_numbers_pass(doc_type, number, country):
    result = check_document_number(doc_type, number, country)

    # Its measure is the length typed, never the number (sealed on the request only).
    assert result == CheckResult(
        identity.DOCUMENT_NUMBER, Outcome.PASS, result.message, str(len(number.strip()))
    )


@pytest.mark.parametrize(
    ("doc_type", "number", "country"),
    [
        ("passport", "AB48219", "MA"),  # Moroccan passports have 7 digits
        ("passport", "4821937AB", "FR"),
        ("passport", "A4821937", "US"),
        ("passport", "X48213974219", "ZZ"),  # 12 characters: possible, but unusual
        ("passport", "ab4821937", "MA"),  # machine-readable zones are in capitals
        ("passport", "AB 4821937", "MA"),
        ("passport", "AB1234567", "MA"),  # the textbook example
        ("national_id", "000000000", "ZZ"),
    ],
)
def test_unusual_numbers_are_warnings(doc_type, number, country):
    result = check_document_number(doc_type, number, country)

    assert result.outcome is Outcome.WARNING, result.message


@pytest.mark.parametrize(
    ("doc_type", "number", "country"),
    [
        ("passport", "", "MA"),
        ("passport", "   ", "MA"),
        ("passport", "AB", "MA"),  # too short for any passport
        ("passport", "X" * 13, "ZZ"),  # too long for any passport
        ("passport", "АВ4821937", "MA"),  # Cyrillic А and В, which look like Latin A and B
        ("passport", "AB٤٨٢١٩٣٧", "MA"),  # Arabic-Indic digits
        ("passport", "AB482193#", "MA"),
        ("national_id", "48213975A", "ES"),  # wrong DNI control letter
        ("national_id", "Y4821397K", "ES"),  # wrong NIE control letter
        ("other", "N° 2025/0417", "MA"),
    ],
)
def test_impossible_numbers_fail(doc_type, number, country):
    result = check_document_number(doc_type, number, country)

    assert result.outcome is Outcome.FAIL, result.message


def test_the_country_code_is_read_in_any_case():
    assert check_document_number("passport", "AB48219", "ma").outcome is Outcome.WARNING


def test_an_unknown_document_type_is_a_programming_error():
    with pytest.raises(ValueError):
        check_document_number("driving_licence", "AB4821937", "MA")


def test_the_warning_names_the_expected_format():
    result = check_document_number("passport", "AB48219", "MA")

    assert "2 letters and 7 digits" in str(result.message)
    assert "MA" in str(result.message)


@given(
    doc_type=st.sampled_from(identity.DOCUMENT_TYPES),
    number=st.text(max_size=50),
    country=st.text(max_size=3),
)
def test_any_input_gives_one_result_and_never_raises(doc_type, number, country):
    result = check_document_number(doc_type, number, country)

    assert result.code == identity.DOCUMENT_NUMBER
    assert result.outcome in Outcome
