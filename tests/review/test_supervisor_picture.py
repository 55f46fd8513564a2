"""The supervisor's picture: statistics drawn as labelled charts (requests per day against the
deadline, the pipeline, countries, outlet types) with a table behind each; the gates'
admissions per session and per checkpoint, fetched again by the page; exports with the
sessions, interviews, readable statuses and phone numbers; a supervisor login in the demo."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accreditation import review
from accreditation.badges import issuing
from accreditation.models import AuditEntry, Scan
from events.models import Checkpoint
from tests.factories import make_request, make_user

pytestmark = pytest.mark.django_db

STATISTICS = reverse("admin:accreditation_request_statistics")
EXPORT = reverse("admin:accreditation_request_export")
_scan_ids = itertools.count(1)


def make_scan(checkpoint, session, agent, *, badge=None, admit=True, minutes_ago=60):
    return Scan.objects.create(
        checkpoint=checkpoint,
        session=session,
        badge=badge,
        decision=Scan.Decision.ADMIT if admit else Scan.Decision.DENY,
        reason="ok" if admit else "closed_to_media",
        agent=agent,
        device_id="phone-1",
        client_scan_id=f"scan-{next(_scan_ids)}",
        scanned_at=timezone.now() - dt.timedelta(minutes=minutes_ago),
    )


def badge_for(event, reviewer):
    req = make_request(event)
    review.request_approve(request=req, actor=reviewer)
    return issuing.badge_issue(request_id=req.pk)


# --- Statistics ---------------------------------------------------------------------------------


def test_statistics_draw_labelled_charts_with_a_table_behind_each(client, event, supervisor):
    for outlet_country, outlet_type in [
        ("MA", "print"),
        ("MA", "tv"),
        ("FR", "tv"),
        ("ES", "radio"),
    ]:
        make_request(event, outlet_country=outlet_country, outlet_type=outlet_type)
    make_request(event, status="info_requested")
    client.force_login(supervisor)
    html = client.get(STATISTICS, {"event": event.pk}, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    for chart in ("chart-per-day", "chart-pipeline", "chart-country", "chart-type"):
        figure = re.search(rf'<figure[^>]*id="{chart}".*?</figure>', html, flags=re.S).group(0)
        assert re.search(r'<svg[^>]*role="img"[^>]*aria-labelledby="', figure), chart
        assert "<title" in figure and "<desc" in figure, chart
        assert "<details" in figure and "<table>" in figure, chart  # the table behind it
    country = re.search(r'id="chart-country".*?</figure>', html, flags=re.S).group(0)
    assert re.search(r'class="pp-label"[^>]*>Morocco</text>', country)
    assert re.search(r'<th scope="row">Morocco</th><td>3</td>', country)
    kinds = re.search(r'id="chart-type".*?</figure>', html, flags=re.S).group(0)
    assert re.search(r'<th scope="row">Television</th><td>2</td>', kinds)
    pipeline = re.search(r'id="chart-pipeline".*?</figure>', html, flags=re.S).group(0)
    labels = re.findall(r'class="pp-label"[^>]*>([^<]+)</text>', pipeline)
    assert labels[0] == "Submitted" and labels[-1] == "Badge collected"
    assert labels.index("In review") < labels.index("Approved")
    assert re.search(r'<th scope="row">In review</th><td>4</td>', pipeline)


def test_the_requests_per_day_run_to_the_deadline_and_mark_it(client, event, supervisor):
    tz = event.tz
    now = timezone.now()
    for days_ago in (0, 0, 0, 2):
        make_request(event, submitted_at=now - dt.timedelta(days=days_ago))
    client.force_login(supervisor)
    html = client.get(STATISTICS, {"event": event.pk}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    per_day = re.search(r'id="chart-per-day".*?</figure>', html, flags=re.S).group(0)
    deadline = event.local_deadline().date()
    assert f"Deadline: {deadline.day} {deadline:%b}" in per_day
    today = timezone.localdate(timezone=tz)
    assert f"Today: {today.day} {today:%b}" in per_day
    bars = re.findall(r'<rect class="pp-series-0"[^>]*><title>([^<]+)</title>', per_day)
    assert len(bars) == 2 and bars[-1].endswith(": 3")
    assert re.search(r'id="days-left".*?<strong>10</strong>', html, flags=re.S)


def test_statistics_are_readable_in_french_with_numbers_the_svg_understands(
    client, event, supervisor
):
    make_request(event, outlet_country="MA")
    client.force_login(supervisor)
    html = client.get(STATISTICS, {"event": event.pk}, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Maroc" in html and "En cours d" in html  # labels in the reader's language
    for svg in re.findall(r'<svg[^>]*class="pp-chart.*?</svg>', html, flags=re.S):
        for value in re.findall(r' (?:x|y|width|height|x1|x2|y1|y2)="([^"]*)"', svg):
            float(value)  # a decimal comma would draw nothing


def test_the_gates_admissions_per_session_and_checkpoint(client, event, reviewer, supervisor):
    agent = make_user("gate", "Gate agent")
    opening = event.sessions.get(kind="opening")
    plenary = event.sessions.get(kind="plenary")
    hall = Checkpoint.objects.create(event=event, name="Main hall entrance")
    press = Checkpoint.objects.create(event=event, name="Press centre")
    first, second = badge_for(event, reviewer), badge_for(event, reviewer)
    make_scan(hall, opening, agent, badge=first)
    make_scan(hall, opening, agent, badge=first, minutes_ago=5)  # out and in again
    make_scan(press, opening, agent, badge=second, minutes_ago=3)
    make_scan(hall, plenary, agent, badge=second, admit=False)
    client.force_login(supervisor)
    html = client.get(STATISTICS, {"event": event.pk}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    sessions = re.search(r'id="chart-sessions".*?</figure>', html, flags=re.S).group(0)
    assert re.search(r"<th scope=\"row\">Opening ceremony</th><td>3</td><td>0</td>", sessions)
    assert re.search(r"<th scope=\"row\">Plenary</th><td>0</td><td>1</td>", sessions)
    people = re.search(r'id="live-people".*?</table>', html, flags=re.S).group(0)
    assert re.search(r"Opening ceremony</th><td>2</td>", people)
    checkpoints = re.search(r'id="chart-checkpoints".*?</figure>', html, flags=re.S).group(0)
    assert re.search(r"Main hall entrance</th><td>2</td><td>1</td>", checkpoints)
    recent = re.search(r'id="live-recent".*?</table>', html, flags=re.S).group(0)
    assert re.search(r"Main hall entrance</th><td>1</td>", recent)  # in the last 15 minutes
    assert re.search(r"Press centre</th><td>1</td>", recent)


def test_the_live_part_is_fetched_again_alone_and_never_cached(client, event, reviewer, supervisor):
    agent = make_user("gate", "Gate agent")
    hall = Checkpoint.objects.create(event=event, name="Main hall entrance")
    opening = event.sessions.get(kind="opening")
    make_scan(hall, opening, agent, badge=badge_for(event, reviewer))
    client.force_login(supervisor)
    page = client.get(STATISTICS, {"event": event.pk}).content.decode()
    refresh = re.search(r'data-refresh-url="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert re.search(r'data-refresh-seconds="(\d+)"', page).group(1) == "30"
    live = client.get(STATISTICS + refresh)
    assert live.status_code == 200 and "no-store" in live["Cache-Control"]
    body = live.content.decode()
    assert body.lstrip().startswith("<section") and 'id="live-admissions"' in body
    assert "<html" not in body and "chart-per-day" not in body
    make_scan(hall, opening, agent, badge=badge_for(event, reviewer))
    again = client.get(STATISTICS + refresh).content.decode()
    assert re.search(r"Main hall entrance</th><td>2</td>", again)


def test_the_live_part_stops_refreshing_before_the_idle_timeout(
    client, event, supervisor, settings
):
    settings.PRESSPASS_STAFF_IDLE_MINUTES = 20
    event.starts_on = timezone.localdate(timezone=event.tz)
    event.ends_on = event.starts_on + dt.timedelta(days=2)
    event.save()
    client.force_login(supervisor)
    page = client.get(STATISTICS, {"event": event.pk}).content.decode()
    assert 'data-idle-seconds="600"' in page  # half of the 20 minutes


def test_statistics_cost_the_same_queries_with_more_requests_and_scans(
    client, event, reviewer, supervisor
):
    agent = make_user("gate", "Gate agent")
    hall = Checkpoint.objects.create(event=event, name="Main hall entrance")
    opening = event.sessions.get(kind="opening")
    make_scan(hall, opening, agent, badge=badge_for(event, reviewer))
    client.force_login(supervisor)
    client.get(STATISTICS)
    with CaptureQueriesContext(connection) as few:
        client.get(STATISTICS)
    for country in ("FR", "ES", "GB", "DE", "IT"):
        make_request(event, outlet_country=country)
    press = Checkpoint.objects.create(event=event, name="Press centre")
    for _ in range(5):
        make_scan(press, opening, agent, badge=badge_for(event, reviewer))
    with CaptureQueriesContext(connection) as many:
        client.get(STATISTICS)
    assert len(many) == len(few)


# --- Exports ------------------------------------------------------------------------------------


@pytest.fixture
def exported(event, reviewer):
    """An approved request with sessions requested and granted, and interviews asked for."""
    req = make_request(
        event,
        interview_requests="The Secretary General, on cybercrime",
        phone="+212612345678",
        outlet_type="tv",
        role="camera",
    )
    opening = event.sessions.get(kind="opening")
    review.request_approve(request=req, actor=reviewer, sessions=[opening])
    make_request(event, family_names='=HYPERLINK("http://x")', status="info_requested")
    return req


def rows_by_reference(rows):
    header = rows[0]
    return header, {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}


def test_the_csv_export_has_sessions_interviews_readable_statuses_and_phones(
    client, event, supervisor, exported
):
    client.force_login(supervisor)
    response = client.get(EXPORT, HTTP_ACCEPT_LANGUAGE="en")
    text = b"".join(response.streaming_content).decode()
    header, rows = rows_by_reference(list(csv.reader(io.StringIO(text))))
    assert header[0] == "reference"
    assert {"sessions_requested", "sessions_granted", "interview_requests"} <= set(header)
    row = rows[exported.reference]
    assert row["status"] == "Approved"
    assert row["sessions_requested"] == "Opening ceremony; Closing ceremony"
    assert row["sessions_granted"] == "Opening ceremony"
    assert row["interview_requests"] == "The Secretary General, on cybercrime"
    assert row["outlet_type"] == "Television" and row["role"] == "Camera operator"
    assert row["phone"] == "'+212 6 12 34 56 78"  # a CSV cell starting with + gets the apostrophe
    assert "'=HYPERLINK" in text  # formulas from the public stay text
    entry = AuditEntry.objects.get(action="requests.exported")
    assert entry.data["format"] == "csv"


def test_the_export_speaks_the_supervisors_language(client, event, supervisor, exported):
    client.force_login(supervisor)
    response = client.get(EXPORT, HTTP_ACCEPT_LANGUAGE="fr")
    text = b"".join(response.streaming_content).decode()
    _header, rows = rows_by_reference(list(csv.reader(io.StringIO(text))))
    row = rows[exported.reference]
    assert row["status"] == "Approuvée" or row["status"].startswith("Approuv")
    assert row["sessions_granted"] == "Cérémonie d'ouverture"


def test_the_xlsx_export_keeps_text_as_text_and_reads_as_written(
    client, event, supervisor, exported
):
    client.force_login(supervisor)
    response = client.get(EXPORT, {"format": "xlsx", "status__exact": "approved"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "accreditation-requests.xlsx" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = [[cell for cell in row] for row in sheet.iter_rows()]
    header = [cell.value for cell in rows[0]]
    assert len(rows) == 2  # the list's filter applies ("format" is not one)
    phone = rows[1][header.index("phone")]
    assert phone.value == "+212 6 12 34 56 78" and phone.data_type == "s" and phone.quotePrefix
    assert rows[1][header.index("sessions_granted")].value == "Opening ceremony"
    assert AuditEntry.objects.get(action="requests.exported").data["format"] == "xlsx"


def test_the_xlsx_export_never_writes_a_formula(client, event, supervisor, exported):
    client.force_login(supervisor)
    response = client.get(EXPORT, {"format": "xlsx", "status__exact": "info_requested"})
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    header, row = list(sheet.iter_rows())[:2]
    cell = row[[c.value for c in header].index("family_names")]
    assert cell.value == '=HYPERLINK("http://x")' and cell.data_type == "s" and cell.quotePrefix


def test_the_xlsx_export_drops_control_characters_it_cannot_write(client, event, supervisor):
    make_request(event, outlet_name="Le Matin\x07\x1b")  # kept from before input was cleaned
    client.force_login(supervisor)
    response = client.get(EXPORT, {"format": "xlsx"})
    assert response.status_code == 200
    header, row = list(load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows())
    assert row[[c.value for c in header].index("outlet_name")].value == "Le Matin"


def test_supervisors_export_the_selected_requests_as_xlsx(client, event, supervisor, exported):
    client.force_login(supervisor)
    response = client.post(
        reverse("admin:accreditation_accreditationrequest_changelist"),
        {"action": "export_selected_xlsx", "_selected_action": [exported.pk]},
    )
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [row[0].value for row in sheet.iter_rows()] == ["reference", exported.reference]


def test_the_export_costs_the_same_queries_for_more_requests(client, event, supervisor, exported):
    client.force_login(supervisor)
    with CaptureQueriesContext(connection) as few:
        b"".join(client.get(EXPORT).streaming_content)
    for _ in range(20):
        make_request(event)
    with CaptureQueriesContext(connection) as many:
        b"".join(client.get(EXPORT).streaming_content)
    assert len(many) == len(few)


# --- The demo -----------------------------------------------------------------------------------


def test_the_demo_has_a_supervisor_login_that_sees_statistics_and_exports(client):
    from accreditation.roles import sync_roles
    from events.demo import seed_ga93, seed_role_logins

    sync_roles()
    seed_ga93()
    line = seed_role_logins(password="demo password 123", site_url="http://localhost:8000")
    assert "supervisor (http://localhost:8000/admin/" in line

    def sign_in(username):
        client.logout()
        credentials = {"username": username, "password": "demo password 123"}
        assert client.post(reverse("admin:login"), credentials).status_code == 302

    sign_in("supervisor")
    assert client.get(STATISTICS).status_code == 200
    assert client.get(EXPORT).status_code == 200
    assert client.get(reverse("admin:accreditation_request_vetting")).status_code == 200
    sign_in("reviewer")
    assert client.get(STATISTICS).status_code == 403
