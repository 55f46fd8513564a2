"""Interview requests asked with the application form: one row each (blank rows ask for
nothing), made by the interviews' own service when the request is made, or shown back with
what was wrong and everything typed (files too) kept."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.urls import reverse

from accreditation.apply import status_path
from accreditation.interviews.models import InterviewRequest
from accreditation.models import AccreditationRequest, AuditEntry, PendingUpload
from tests.factories import application_data, application_files
from tests.interviews.helpers import make_target

pytestmark = pytest.mark.django_db


def apply_url(event) -> str:
    return reverse("accreditation:apply", args=[event.slug])


def post(client, event, rows: dict, *, files=None, language="en", **overrides):
    payload = {**application_data(event, **overrides), **rows}
    payload.pop("interview_requests")  # not on the form when it asks for interviews one by one
    payload.update(application_files() if files is None else files)
    return client.post(apply_url(event), payload, HTTP_ACCEPT_LANGUAGE=language)


def day(event, n: int) -> str:
    return (event.starts_on + dt.timedelta(days=n)).isoformat()


def row(number: int, target, **fields) -> dict:
    values = {
        "target": str(getattr(target, "pk", target)),
        "topic": "Cybercrime cooperation in the Sahel",
        "languages": ["fr", "ar"],
        "format": "camera",
        "preferred_times": [],
    }
    values.update(fields)
    return {f"interview-{number}-{name}": value for name, value in values.items()}


def text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def targets(event):
    return make_target(event, country="FR"), make_target(event, country="", name="Head of ICT")


def test_two_interview_requests_posted_with_the_form_are_made(client, event, targets):
    delegation, official = targets
    first = day(event, 0)
    rows = {
        **row(1, delegation, preferred_times=[f"{first}/am", f"{day(event, 1)}/pm"]),
        **row(3, official, topic="Digital forensics", languages=["en"], format="phone"),
    }
    response = post(client, event, rows)
    assert response.status_code == 302, response.context["form"].errors
    req = AccreditationRequest.objects.get()
    asked = {i.target_id: i for i in InterviewRequest.objects.filter(request=req)}
    assert set(asked) == {delegation.pk, official.pk}
    one, two = asked[delegation.pk], asked[official.pk]
    assert (one.status, one.topic, one.languages, one.format) == (
        "requested",
        "Cybercrime cooperation in the Sahel",
        ["fr", "ar"],
        "camera",
    )
    assert one.preferred_times == [f"{first}/am", f"{day(event, 1)}/pm"]
    assert (two.topic, two.languages, two.format, two.preferred_times) == (
        "Digital forensics",
        ["en"],
        "phone",
        [],
    )
    # Audited as the journalist's own asks, like those of the status page.
    audited = AuditEntry.objects.filter(request=req, action="interview.requested")
    assert audited.count() == 2
    assert {entry.actor_label for entry in audited} == {"applicant"}
    assert req.interview_requests == ""  # the free-text box is not on the form


def test_they_appear_on_the_status_page(client, event, targets):
    delegation, _official = targets
    post(client, event, row(1, delegation))
    req = AccreditationRequest.objects.get()
    page = text(client.get(status_path(req)))
    assert 'id="interviews"' in page
    assert delegation.display_name() in page
    assert "Cybercrime cooperation in the Sahel" in page
    assert "Your request goes forward once your accreditation is approved." in page


def test_an_invalid_row_comes_back_with_its_message_and_everything_typed_and_the_files(
    client, event, targets
):
    delegation, _official = targets
    rows = {
        **row(1, delegation, topic="Border data sharing", preferred_times=["2001-01-01/am"]),
        **row(2, "999999", topic="Someone unknown", format="phone"),
    }
    response = post(client, event, rows, language="fr")
    assert response.status_code == 400
    assert not AccreditationRequest.objects.exists()
    assert not InterviewRequest.objects.exists()
    first, second, _third = response.context["form"].interview_forms
    # In her language, on each row, and named at the top of the form.
    assert first.errors["preferred_times"] == [
        "Les moments préférés doivent être pendant l'événement."
    ]
    assert second.errors["target"] == ["Choisissez quelqu'un dans la liste."]
    page = text(response)
    top = page.split('id="form-errors"')[1].split("</div>\n</div>")[0]
    assert top.count("<div>") == 2  # one line per row to correct
    # Everything typed is shown back: the rows, open, with their values; the other fields.
    assert 'id="interview-row-1" open' in page and 'id="interview-row-2" open' in page
    assert 'id="interview-row-3" open' not in page
    assert "Border data sharing" in page and "Someone unknown" in page
    assert 'name="interview-1-languages" value="ar"' in page.split("interview-row-2")[0]
    assert "Amina Fatima" in page and "El Idrissi" in page
    # The files sent are kept for the corrected form.
    assert set(PendingUpload.objects.values_list("slot", flat=True)) == set(application_files())
    assert 'id="pending-uploads"' in page


def test_the_corrected_form_makes_the_request_and_its_interviews_without_the_files_again(
    client, event, targets
):
    delegation, _official = targets
    post(client, event, row(1, delegation, preferred_times=["2001-01-01/am"]))
    response = post(client, event, row(1, delegation, preferred_times=[]), files={})
    assert response.status_code == 302
    req = AccreditationRequest.objects.get()
    assert req.interviews.get().target == delegation
    assert req.documents.count() == len(application_files())


def test_a_refusal_of_the_interview_rule_refuses_the_application_and_names_the_row(
    client, event, targets
):
    """Two rows asking the same person: the service's own rule ("already asked") refuses the
    second, and nothing is made; the row says why."""
    delegation, _official = targets
    rows = {**row(1, delegation), **row(2, delegation, topic="Again")}
    response = post(client, event, rows)
    assert response.status_code == 400
    assert not AccreditationRequest.objects.exists()
    assert not InterviewRequest.objects.exists()
    second = response.context["form"].interview_forms[1]
    assert second.errors["target"] == ["You have already asked for an interview with them."]
    assert "Interview request 2: please correct what is marked." in text(response)
    assert PendingUpload.objects.count() == len(application_files())


def test_blank_rows_ask_for_nothing(client, event, targets):
    response = post(client, event, {"interview-2-target": "", "interview-2-topic": "  "})
    assert response.status_code == 302
    assert not InterviewRequest.objects.exists()


def test_without_targets_the_form_has_no_interview_part_but_its_free_text_box(client, event):
    page = text(client.get(apply_url(event)))
    assert 'id="interview-rows"' not in page
    assert "interview-1-topic" not in page
    assert 'name="interview_requests"' in page  # whom they would like to meet, in their words
    make_target(event, active=False)
    assert 'id="interview-rows"' not in text(client.get(apply_url(event)))
    response = client.post(apply_url(event), {**application_data(event), **application_files()})
    assert response.status_code == 302
    assert AccreditationRequest.objects.get().interview_requests == (
        "The Secretary General, on cybercrime"
    )
    assert not InterviewRequest.objects.exists()


def test_with_targets_the_part_is_there_with_its_rows_labelled(client, event, targets):
    page = text(client.get(apply_url(event), HTTP_ACCEPT_LANGUAGE="es"))
    assert page.count('class="border rounded px-3 py-2 mb-2 pp-interview-row"') == 3
    assert "<legend" in page.split('id="interview-rows"')[1].split("</legend>")[0]
    assert 'for="id_interview-1-topic"' in page
    assert targets[0].display_name() in page
    # No free-text box any more.
    assert 'name="interview_requests"' not in page


def test_asking_with_the_form_takes_a_bounded_number_of_queries(
    client, event, targets, django_assert_max_num_queries
):
    """The interviews add a bounded number of queries per row asked (tests/apply/test_uploads.py
    bounds a submission without any): the target's check, and the service's lock, checks,
    insert and audit entry in its savepoint."""
    client.get(apply_url(event))
    rows = {**row(1, targets[0]), **row(2, targets[1])}
    with django_assert_max_num_queries(24 + 2 * 8):
        assert post(client, event, rows).status_code == 302


def test_a_target_taken_off_the_list_meanwhile_is_shown_back_on_its_row(client, event, targets):
    delegation, official = targets
    client.get(apply_url(event))
    type(delegation).objects.filter(event=event).update(active=False)  # no one left to ask
    response = post(client, event, row(1, delegation, topic="Border data sharing"))
    assert response.status_code == 400
    page = text(response)
    assert 'id="interview-row-1" open' in page and "Border data sharing" in page
    assert "Choose someone from the list." in page
    assert not AccreditationRequest.objects.exists()


def test_a_form_sent_after_the_deadline_gives_back_the_interviews_asked(client, event, targets):
    import time_machine

    delegation, _official = targets
    late = event.accreditation_deadline + dt.timedelta(minutes=3)
    with time_machine.travel(late, tick=False):
        response = post(client, event, row(1, delegation, topic="Border data sharing"))
    assert response.status_code == 403
    typed = dict((name, value) for name, _label, value in response.context["typed"])
    assert typed["interview-1"] == f"{delegation.display_name()}: Border data sharing"
    assert "Border data sharing" in text(response)
