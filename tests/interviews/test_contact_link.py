"""The target's contact has no account: a private link, for this request only, that expires,
answers once (proposing or declining spends it; a question does not), and says so."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail

from accreditation.errors import ServiceError
from accreditation.interviews import booking, contact
from accreditation.interviews.contact import contact_path
from accreditation.interviews.models import InterviewMessage
from accreditation.models import AuditEntry
from tests.interviews.helpers import ask, confirmed, forwarded, journalist, make_target, slot

pytestmark = pytest.mark.django_db
LOCAL = "%Y-%m-%dT%H:%M"


@pytest.fixture
def interview(amina, target, press_office):
    return forwarded(amina, target, press_office)


def propose_data(event, *times, place="Hall B"):
    data = {"action": "propose", "place": place}
    for n in range(1, 4):
        data[f"minutes_{n}"] = "30"
    for n, (starts, _ends) in enumerate(times, start=1):
        data[f"starts_{n}"] = starts.strftime(LOCAL)
    return data


def test_the_link_opens_the_request_in_the_contacts_language(client, interview, amina):
    page = client.get(contact_path(interview))
    assert page.status_code == 200
    html = page.content.decode()
    assert '<html lang="fr"' in html
    assert amina.outlet_name in html and "Cybercrime cooperation" in html
    assert amina.id_document_number not in html  # what a contact needs, nothing more


def test_a_wrong_link_is_not_found(client, interview, event, amina, press_office):
    path = contact_path(interview)
    token = path.rstrip("/").rsplit("/", 1)[1]
    tampered = token[:-1] + ("1" if token[-1] != "1" else "2")
    assert client.get(path.replace(token, tampered)).status_code == 404
    other = forwarded(journalist(event), make_target(event, country="FR"), press_office)
    borrowed = path.replace(f"/{interview.pk}/", f"/{other.pk}/")
    answer = client.get(borrowed)
    assert answer.status_code == 404
    assert b'id="contact-link-link_invalid"' in answer.content


def test_an_expired_link_says_so_and_a_new_one_works(client, interview, press_office):
    from accreditation.interviews import services

    path = contact_path(interview)
    later = interview.contact_link_expires_at + dt.timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        answer = client.post(path, {"action": "decline"})
        assert answer.status_code == 410
        assert b'id="contact-link-link_expired"' in answer.content
    interview.refresh_from_db()
    assert interview.status == "forwarded"
    services.interview_link_renew(interview=interview, actor=press_office)
    interview.refresh_from_db()
    assert client.get(path).status_code == 404  # the old one is a wrong link now
    assert client.get(contact_path(interview)).status_code == 200


def test_the_link_never_lasts_past_the_event(event, amina, target, press_office):
    with time_machine.travel(
        dt.datetime.combine(event.ends_on, dt.time(9), tzinfo=event.tz), tick=False
    ):
        interview = forwarded(amina, target, press_office)
    assert interview.contact_link_expires_at == event.ends_at()


@pytest.mark.parametrize("answer", ["propose", "decline"])
def test_a_link_answered_once_is_spent(client, answer, interview, event):
    path = contact_path(interview)
    data = propose_data(event, slot(event, 1, 10)) if answer == "propose" else {"action": answer}
    assert client.post(path, data).status_code == 200
    again = client.post(path, data)
    assert again.status_code == 410
    assert b'id="contact-link-link_used"' in again.content
    assert client.get(path).status_code == 410
    assert AuditEntry.objects.filter(data__interview=interview.pk).count() == 3


def test_a_question_leaves_the_link_usable_and_reaches_the_press_office(
    client, interview, event, django_capture_on_commit_callbacks
):
    path = contact_path(interview)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(path, {"action": "question", "question": "Which outlet?"})
    assert answer.status_code == 302
    (notice,) = mail.outbox
    assert notice.to == [event.contact_email]
    assert "Which outlet?" in notice.body
    assert f"/admin/interviews/interviewrequest/{interview.pk}/triage/" in notice.body
    assert InterviewMessage.objects.get().author == "contact"
    assert client.get(path).status_code == 200
    refused = client.post(path, {"action": "question", "question": " "})
    assert refused.status_code == 400


def test_declining_tells_the_journalist_with_the_reason(
    client, interview, amina, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(contact_path(interview), {"action": "decline", "reason": "Not this year."})
    interview.refresh_from_db()
    assert (interview.status, interview.reason) == ("declined", "Not this year.")
    (told,) = mail.outbox
    assert told.to == [amina.email] and "Not this year." in told.body


def test_a_journalist_asking_for_other_times_gives_the_contact_a_new_link(
    client, interview, event, django_capture_on_commit_callbacks
):
    first_link = contact_path(interview)
    client.post(first_link, propose_data(event, slot(event, 1, 10)))
    interview.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        booking.interview_other_times(interview=interview, note="Afternoons only")
    interview.refresh_from_db()
    (asked,) = mail.outbox
    assert "Afternoons only" in asked.body
    assert client.get(first_link).status_code == 404
    new_link = contact_path(interview)
    assert new_link in asked.body
    assert client.post(new_link, propose_data(event, slot(event, 1, 15))).status_code == 200
    interview.refresh_from_db()
    offered = interview.slots.filter(withdrawn=False)
    assert [s.starts_at.astimezone(event.tz).hour for s in offered] == [15]


# --- What a proposal must be -------------------------------------------------------------------


@pytest.mark.parametrize(
    "times, code",
    [
        ([], "no_slot"),
        ([(1, 10, 30), (1, 12, 30)] * 3, "too_many_slots"),
        ([(1, 10, -30)], "slot_order"),
        ([(-1, 10, 30)], "slot_outside_event"),
        ([(9, 10, 30)], "slot_outside_event"),
        ([(1, 10, 60), (1, 10, 30)], "slots_overlap"),
    ],
)
def test_a_proposal_outside_the_rules_is_refused(times, code, interview, event):
    from tests.interviews.helpers import at

    slots = [
        (at(event, day, hour), at(event, day, hour) + dt.timedelta(minutes=minutes))
        for day, hour, minutes in times
    ]
    with pytest.raises(ServiceError) as refused:
        contact.interview_propose(interview=interview, slots=slots, place="Hall B")
    assert refused.value.code == code
    interview.refresh_from_db()
    assert interview.status == "forwarded"


def test_a_proposal_needs_a_place(interview, event):
    with pytest.raises(ServiceError) as refused:
        contact.interview_propose(interview=interview, slots=[slot(event, 1, 10)], place=" ")
    assert refused.value.code == "place_required"


def test_a_time_when_the_target_is_already_booked_cannot_be_proposed(
    client, interview, event, target, press_office
):
    confirmed(journalist(event), target, press_office, [slot(event, 1, 10)])
    answer = client.post(contact_path(interview), propose_data(event, slot(event, 1, 10)))
    assert answer.status_code == 400
    assert "Un entretien est déjà confirmé" in answer.content.decode()  # in French
    interview.refresh_from_db()
    assert interview.status == "forwarded"


def test_the_page_takes_times_as_local_time_at_the_venue(client, interview, event):
    client.post(contact_path(interview), propose_data(event, slot(event, 1, 10)))
    (offered,) = interview.slots.all()
    assert offered.starts_at.astimezone(event.tz).hour == 10
    assert offered.ends_at - offered.starts_at == dt.timedelta(minutes=30)


def test_a_request_not_forwarded_has_no_contact_link(client, amina, target):
    interview = ask(amina, target)
    assert client.get(f"/interviews/contact/{interview.pk}/abc/").status_code == 404
