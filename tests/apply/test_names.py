"""Names as people type them: kept in Unicode NFC, matched without case or accents, refused
with a message when they hold what cannot be kept or printed, and single names welcome."""

from __future__ import annotations

import unicodedata

import pytest
from django.urls import reverse

from accreditation.models import AccreditationRequest
from accreditation.models.names import search_key
from tests.factories import application_data, application_files

pytestmark = pytest.mark.django_db


def post(client, event, language="en", **fields):
    return client.post(
        reverse("accreditation:apply", args=[event.slug]),
        {**application_data(event, **fields), **application_files()},
        HTTP_ACCEPT_LANGUAGE=language,
    )


def test_a_decomposed_name_is_kept_precomposed_and_found_by_its_plain_spelling(client, event):
    decomposed = "Jose\u0301 Mari\u0301a"
    assert (
        post(client, event, given_names=decomposed, family_names="García  López").status_code == 302
    )
    req = AccreditationRequest.objects.get()
    assert req.given_names == "José María" == unicodedata.normalize("NFC", decomposed)
    assert req.family_names == "García López"  # inner spaces made one
    for typed in ("jose maria garcia", "GARCIA LOPEZ", "García López José", "garcialopez"):
        assert AccreditationRequest.objects.filter(name_key__contains=search_key(typed)).exists()


def test_a_turkish_capital_dotted_i_is_found_by_a_plain_i(client, event):
    assert post(client, event, given_names="İlkay", family_names="Işık").status_code == 302
    for typed in ("ilkay", "ILKAY ISIK", "isik"):
        assert AccreditationRequest.objects.filter(name_key__contains=search_key(typed)).exists()


def test_arabic_names_are_found_with_or_without_vowel_marks_and_alef_variants(client, event):
    assert post(client, event, name_native="أَمِينَة الإدريسي").status_code == 302
    assert AccreditationRequest.objects.filter(name_key__contains=search_key("امينه")).exists()
    assert AccreditationRequest.objects.filter(name_key__contains=search_key("الادريسي")).exists()


@pytest.mark.parametrize("control", ["\u202e", "\u200f", "\ufeff", "\x07"])
def test_control_and_direction_characters_are_refused_with_a_message_and_the_rest_kept(
    client, event, control
):
    response = post(client, event, family_names=f"El{control} Idrissi", outlet_name="Le Matin")
    assert response.status_code == 400
    message = " ".join(response.context["form"].errors["family_names"])
    assert "invisible or control characters" in message
    assert f"U+{ord(control):04X}" in message
    assert 'value="Le Matin"' in response.content.decode()
    assert not AccreditationRequest.objects.exists()


def test_a_persian_zero_width_non_joiner_is_part_of_a_name(client, event):
    assert post(client, event, name_native="مهرنوش\u200cزاده").status_code == 302


@pytest.mark.parametrize(
    ("name", "shown"), [("王小明", "王 小 明"), ("Amina 😀", "😀"), ("שרה", "ש ר ה")]
)
def test_a_name_the_badge_cannot_print_is_refused_with_what_it_cannot_print(
    client, event, name, shown
):
    """Not printed as an empty line on the badge: refused at the form, saying which."""
    response = post(client, event, name_native=name)
    assert response.status_code == 400
    message = " ".join(response.context["form"].errors["name_native"])
    assert "cannot print these characters" in message and shown in message


@pytest.mark.parametrize("name", ["Ιωάννης Παπαδόπουλος", "Иван Петров", "أمينة", "Nguyễn Văn"])
def test_names_in_scripts_the_badge_prints_are_taken(client, event, name):
    assert post(client, event, name_native=name).status_code == 302


def test_a_person_with_a_single_name_says_so_and_it_is_kept_as_their_name(client, event):
    refused = post(client, event, given_names="Suharto", family_names="")
    assert refused.status_code == 400
    message = " ".join(refused.context["form"].errors["family_names"])
    assert "single name" in message
    assert "This field is required" not in message
    taken = post(client, event, given_names="Suharto", family_names="", single_name="on")
    assert taken.status_code == 302
    req = AccreditationRequest.objects.get()
    assert (req.given_names, req.family_names, req.full_name) == ("", "Suharto", "SUHARTO")


def test_an_invalid_date_marks_only_that_visitors_form(client, event):
    """The date widgets were shared by every form: one visitor's empty date marked both date
    fields invalid for everyone after."""
    refused = post(client, event, date_of_birth="", id_document_expiry="")
    assert refused.status_code == 400
    assert 'class="dateinput form-control is-invalid"' in refused.content.decode()
    client.cookies.clear()
    fresh = client.get(reverse("accreditation:apply", args=[event.slug])).content.decode()
    assert "is-invalid" not in fresh
