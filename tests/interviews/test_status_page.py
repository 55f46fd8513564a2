"""The journalist's side, on their status page: the form to ask, each request's state, the
proposed times to confirm; every post checked against their own private link."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from accreditation.apply import status_path
from accreditation.interviews import services
from accreditation.interviews.models import InterviewRequest
from tests.interviews.helpers import ask, journalist, make_target, proposed, slot

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return html.unescape(response.content.decode())


def token_of(req) -> str:
    return status_path(req).rstrip("/").rsplit("/", 1)[1]


def ask_url(req) -> str:
    return reverse("interviews:ask", args=[req.reference, token_of(req)])


def act_url(req, interview, action) -> str:
    return reverse("interviews:act", args=[req.reference, token_of(req), interview.pk, action])


def test_without_targets_the_status_page_offers_no_interview(client, event, amina):
    assert b'id="interviews"' not in client.get(status_path(amina)).content


def test_a_journalist_whose_request_is_closed_is_not_offered_the_form(client, event, target):
    rejected = journalist(event, status="rejected")
    assert b'id="interview-ask"' not in client.get(status_path(rejected)).content


def test_a_request_with_mistakes_comes_back_with_them(client, amina, target):
    page = client.post(ask_url(amina), {"target": target.pk, "topic": "", "format": "phone"})
    assert page.status_code == 400
    assert set(page.context["form"].errors) == {"topic", "languages"}
    assert not InterviewRequest.objects.exists()


def test_a_refusal_of_the_service_is_shown_on_the_form(client, amina, target):
    ask(amina, target)
    page = client.post(
        ask_url(amina),
        {"target": target.pk, "topic": "Again", "languages": ["fr"], "format": "phone"},
    )
    assert page.status_code == 400
    assert "Vous avez déjà demandé un entretien" in text(page)  # in her French


def test_a_wrong_status_link_posts_nothing(client, amina, target):
    wrong = reverse("interviews:ask", args=[amina.reference, "0" * 40])
    data = {"target": target.pk, "topic": "X", "languages": ["fr"], "format": "phone"}
    assert client.post(wrong, data).status_code == 404
    assert client.get(ask_url(amina)).status_code == 405
    assert not InterviewRequest.objects.exists()


def test_a_journalist_acts_only_on_their_own_interview_requests(
    client, event, amina, target, press_office
):
    theirs = proposed(journalist(event), target, press_office, [slot(event, 1, 10)])
    answer = client.post(act_url(amina, theirs, "confirm"), {"slot": theirs.slots.get().pk})
    assert answer.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "proposed"


def test_confirming_without_a_time_or_with_someone_elses_says_so(
    client, event, amina, target, press_office
):
    interview = proposed(amina, target, press_office, [slot(event, 1, 10)])
    page = client.post(act_url(amina, interview, "confirm"), {"slot": "x"}, follow=True)
    assert "Choisissez l'un des horaires proposés." in text(page)
    interview.refresh_from_db()
    assert interview.status == "proposed"


def test_cancelling_asks_for_the_tick_first(client, amina, target):
    interview = ask(amina, target)
    page = client.post(act_url(amina, interview, "cancel"), follow=True)
    assert "Cochez la case" in text(page)
    client.post(act_url(amina, interview, "cancel"), {"confirm": "yes"})
    interview.refresh_from_db()
    assert interview.status == "cancelled"
    assert client.post(act_url(amina, interview, "unknown")).status_code == 404


def test_asking_for_other_times_from_the_page(client, event, amina, target, press_office):
    interview = proposed(amina, target, press_office, [slot(event, 1, 10)])
    client.post(act_url(amina, interview, "other-times"), {"note": "Afternoon"})
    interview.refresh_from_db()
    assert interview.status == "forwarded"
    assert "nous attendons leur réponse" in text(client.get(status_path(amina)))


def test_a_merged_request_shows_the_press_point(client, event, target, press_office):
    john = journalist(event, language="en")
    interview = ask(john, target)
    press_point = event.sessions.get(kind="opening")
    services.interview_merge(interview=interview, actor=press_office, session=press_point)
    page = client.get(status_path(john)).content.decode()
    assert "joins the press point: Opening ceremony" in page


def test_the_page_speaks_arabic_right_to_left_for_an_arabic_journalist(
    client, event, target, press_office
):
    karim = journalist(event, language="ar")
    interview = proposed(karim, target, press_office, [slot(event, 1, 10)])
    page = client.get(status_path(karim)).content.decode()
    assert '<html lang="ar" dir="rtl">' in page
    assert f'id="confirm-{interview.pk}"' in page
    assert "Confirm this time" not in page  # translated


def test_the_interviews_on_the_status_page_take_a_fixed_number_of_queries(
    client, event, amina, press_office
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(status_path(amina)).status_code == 200
        return len(captured)

    proposed(amina, make_target(event, country="FR"), press_office, [slot(event, 1, 10)])
    queries()  # the first visit confirms the address and opens a session
    one = queries()
    for code, hour in (("ES", 11), ("SN", 12), ("TN", 13)):
        proposed(amina, make_target(event, country=code), press_office, [slot(event, 1, hour)])
    assert queries() == one


def test_posts_count_against_the_status_links_rate_limit(client, settings, amina, target):
    settings.PRESSPASS_STATUS_VIEWS_PER_HOUR = 1
    data = {"target": target.pk, "topic": "X", "languages": ["fr"], "format": "phone"}
    assert client.post(ask_url(amina), data).status_code == 302
    assert client.post(ask_url(amina), data).status_code == 429
