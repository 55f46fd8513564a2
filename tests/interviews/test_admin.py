"""The press office's pages: the targets, the requests by target with counts, the triage page,
the schedule's export — and nothing of it for reviewers or the badge desk."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from accreditation.interviews.models import InterviewTarget
from accreditation.models import AuditEntry
from tests.interviews.helpers import ask, confirmed, forwarded, journalist, make_target, slot

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:interviews_interviewrequest_changelist")
BOARD = reverse("admin:interviews_board")
EXPORT = reverse("admin:interviews_export")


def rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_reviewers_and_the_desk_see_no_interview_page(client, amina, target, reviewer, badge_desk):
    interview = ask(amina, target)
    pages = [
        CHANGELIST,
        BOARD,
        EXPORT,
        reverse("admin:interviews_triage", args=[interview.pk]),
        reverse("admin:interviews_interviewrequest_change", args=[interview.pk]),
        reverse("admin:interviews_interviewtarget_changelist"),
    ]
    for user in (reviewer, badge_desk):
        client.force_login(user)
        assert b"/admin/interviews/" not in client.get(reverse("admin:index")).content
        for page in pages:
            assert client.get(page).status_code == 403, (user, page)


def test_the_board_counts_requests_by_target_and_status(client, event, press_office):
    delegation, office = make_target(event), make_target(event, country="", name="SG")
    for _ in range(3):
        ask(journalist(event), delegation)
    forwarded(journalist(event), office, press_office)
    client.force_login(press_office)
    page = client.get(BOARD, {"event": event.pk})
    assert page.status_code == 200
    board = {row["target"]: row for row in page.context["rows"]}
    assert (board[delegation]["total"], board[delegation]["open"]) == (3, 3)
    assert dict((v, n) for v, _l, n in board[office]["statuses"])["forwarded"] == 1
    assert list(board) == [delegation, office]  # the most asked first


def test_the_list_takes_a_fixed_number_of_queries(
    client, event, target, press_office, django_assert_max_num_queries
):
    for _ in range(5):
        ask(journalist(event), target)
    client.force_login(press_office)
    with django_assert_max_num_queries(15):
        assert client.get(CHANGELIST).status_code == 200
    for _ in range(10):
        ask(journalist(event), target)
    with django_assert_max_num_queries(15):
        assert client.get(CHANGELIST, {"target__id__exact": target.pk}).status_code == 200


def test_a_decline_without_a_reason_stays_on_the_page_with_the_error(
    client, amina, target, press_office
):
    interview = ask(amina, target)
    client.force_login(press_office)
    triage = reverse("admin:interviews_triage", args=[interview.pk])
    page = client.post(triage, {"action": "decline", "decline-reason": ""})
    assert page.status_code == 400
    assert page.context["forms"]["decline"].errors
    interview.refresh_from_db()
    assert interview.status == "requested"
    assert client.get(reverse("admin:interviews_interviewrequest_change", args=[interview.pk]))[
        "Location"
    ].endswith("/triage/")


def test_the_triage_page_refuses_what_the_status_does_not_allow(
    client, event, amina, target, press_office
):
    interview = confirmed(amina, target, press_office, [slot(event, 1, 10)])
    client.force_login(press_office)
    triage = reverse("admin:interviews_triage", args=[interview.pk])
    page = client.get(triage)
    assert b'id="action-forward"' not in page.content and b'id="action-cancel"' in page.content
    answer = client.post(triage, {"action": "forward"}, follow=True)
    assert "cannot become" in answer.content.decode()


def test_staff_add_targets_and_the_log_says_who(client, event, press_office):
    client.force_login(press_office)
    add = reverse("admin:interviews_interviewtarget_add")
    data = {
        "event": event.pk,
        "kind": "delegation",
        "country": "",
        "name": "",
        "contact_name": "Attaché",
        "contact_email": "attache@example.org",
        "contact_language": "ar",
        "active": "on",
    }
    assert client.post(add, data).status_code == 200  # a delegation needs its country
    data["country"] = "SN"
    assert client.post(add, data).status_code == 302
    target = InterviewTarget.objects.get()
    entry = AuditEntry.objects.get(action="interview_target.added")
    assert (entry.actor, entry.data["target"]) == (press_office, target.pk)


def test_the_schedule_exports_by_day_and_by_target_with_formula_safe_cells(
    client, event, press_office
):
    delegation, office = make_target(event), make_target(event, country="", name="SG")
    confirmed(journalist(event), delegation, press_office, [slot(event, 2, 9)])
    confirmed(journalist(event), office, press_office, [slot(event, 1, 15)], topic="=HYPERLINK(1)")
    confirmed(journalist(event), delegation, press_office, [slot(event, 1, 11)])
    ask(journalist(event), office)  # not confirmed: not in the schedule
    client.force_login(press_office)
    by_day = client.get(EXPORT, {"by": "day", "event": event.pk})
    assert by_day["Content-Disposition"] == 'attachment; filename="interviews-by-day.csv"'
    header, *lines = rows(by_day)
    assert header[:5] == ["Day", "Starts", "Ends", "Time zone", "Interview with"]
    second_day, third_day = (event.starts_on + dt.timedelta(days=n) for n in (1, 2))
    assert [line[:5] for line in lines] == [
        [second_day.isoformat(), "11:00", "11:30", "Africa/Casablanca", str(delegation)],
        [second_day.isoformat(), "15:00", "15:30", "Africa/Casablanca", str(office)],
        [third_day.isoformat(), "09:00", "09:30", "Africa/Casablanca", str(delegation)],
    ]
    assert [line[-1] for line in lines][1] == "'=HYPERLINK(1)"
    _header, *by_target = rows(client.get(EXPORT, {"by": "target"}))
    assert [(line[4], line[1]) for line in by_target] == [
        (str(delegation), "11:00"),
        (str(delegation), "09:00"),
        (str(office), "15:00"),
    ]
    one_day = rows(client.get(EXPORT, {"day": second_day.isoformat()}))
    assert [line[1] for line in one_day[1:]] == ["11:00", "15:00"]
    one_target = rows(client.get(EXPORT, {"target": office.pk}))
    assert [line[4] for line in one_target[1:]] == [str(office)]
    assert AuditEntry.objects.filter(action="interviews.exported").count() == 4


def test_the_triage_page_shows_the_thread_the_times_and_who_joined(
    client, event, amina, target, press_office
):
    from accreditation.interviews import booking, contact, services

    lead = forwarded(amina, target, press_office)
    contact.interview_contact_ask(interview=lead, question="Quel média ?")
    contact.interview_propose(interview=lead, slots=[slot(event, 1, 10)], place="Salle B")
    lead.refresh_from_db()
    booking.interview_other_times(interview=lead, note="Plutôt l'après-midi")
    karim = journalist(event, given_names="Karim")
    services.interview_merge(interview=ask(karim, target), actor=press_office, into=lead)
    client.force_login(press_office)
    page = client.get(reverse("admin:interviews_triage", args=[lead.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    for shown in ("Quel média ?", "Plutôt l", "Salle B", "Karim", 'id="action-renew"'):
        assert shown in html, shown
    assert [e.action for e in page.context["history"]][-1] == "interview.other_times_asked"
