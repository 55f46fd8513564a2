"""Supervisors produce, for one person, who opened their documents and when (and the other
accesses the trail records), on a page and as CSV; the report is itself recorded."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from accreditation import review
from accreditation.apply import status_path
from accreditation.badges import issuing, printing
from accreditation.models import AuditEntry
from accreditation.privacy.notice import notice_current
from tests.factories import make_event, make_request, make_user

pytestmark = pytest.mark.django_db


def report_path(req) -> str:
    return reverse("privacy:access_report", kwargs={"pk": req.pk})


def open_document(client, user, document) -> None:
    client.force_login(user)
    client.get(reverse("admin:accreditation_document_file", args=[document.pk, "original"]))
    client.logout()


def test_the_report_names_who_opened_which_document_and_when(client, event, supervisor):
    reviewer = make_user("k.benali", "Reviewer", first_name="Karim", last_name="Benali")
    desk = make_user("desk", "Badge desk")
    req = make_request(event, language="en")
    other = make_request(event, language="en")
    identity = req.documents.get(kind="identity")
    open_document(client, reviewer, identity)
    open_document(client, desk, identity)  # refused: the desk sees photos only
    open_document(client, reviewer, other.documents.get(kind="identity"))
    client.post(status_path(req).rstrip("/") + "/data/")  # the person's own download

    client.force_login(supervisor)
    page = client.get(report_path(req))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Karim Benali" in html and "k.benali" in html
    assert "Document opened" in html and "Document refused (not allowed)" in html
    assert "Data downloaded by the person" in html

    csv_response = client.get(report_path(req), {"format": "csv"})
    assert (
        csv_response["Content-Disposition"] == f'attachment; filename="access-{req.reference}.csv"'
    )
    rows = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    header, *body = rows
    assert header[:2] == ["When", "Access"]
    assert [(r[1], r[2], r[5]) for r in body] == [
        ("Document opened", "Identity document", "k.benali"),
        ("Document refused (not allowed)", "Identity document", "desk"),
        ("Data downloaded by the person", "", ""),
    ]  # the other person's document is not in this report
    # Reading the report is recorded as an access too.
    assert (
        AuditEntry.objects.filter(
            action="privacy.access_reported", request=req, actor=supervisor
        ).count()
        == 2
    )


def test_a_downloaded_print_batch_holding_the_badge_is_an_access(client, event, supervisor):
    req = make_request(event, language="en")
    review.request_approve(request=req, actor=supervisor)
    badge = issuing.badge_issue(request_id=req.pk)
    batch = printing.batch_create(event=event, badges=[badge], actor=supervisor)
    printing.batch_render(batch_id=batch.pk)
    client.force_login(supervisor)
    assert client.get(reverse("desk:batch_file", args=[batch.pk])).status_code == 200
    assert "Print batch with the badge downloaded" in client.get(report_path(req)).content.decode()


def test_the_report_shows_the_notice_the_person_agreed_to(client, event, supervisor):
    notice = notice_current(event=event, language="fr")
    req = make_request(event, language="fr", consent_version=notice.version)
    client.force_login(supervisor)
    html = client.get(report_path(req)).content.decode()
    assert notice.sha256 in html
    assert 'id="notice-text" lang="fr"' in html


def test_only_supervisors_of_the_event_signed_in_with_their_second_factor(
    client, event, supervisor, reviewer, settings
):
    req = make_request(event)
    client.force_login(reviewer)
    assert client.get(report_path(req)).status_code == 403
    elsewhere = make_event(slug="other")
    assigned = make_user("assigned", "Supervisor")
    elsewhere.staff.add(assigned)
    client.force_login(assigned)
    # Another event's request answers as one that does not exist.
    assert client.get(report_path(req)).status_code == 404
    assert client.get(f"/staff/privacy/requests/{req.pk + 1000}/access/").status_code == 404
    settings.PRESSPASS_REQUIRE_2FA = True
    client.force_login(supervisor)  # a password only, no second factor
    response = client.get(report_path(req))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]
    client.logout()
    assert client.get(report_path(req)).status_code == 302
    assert not AuditEntry.objects.filter(action="privacy.access_reported").exists()


def test_each_scan_of_the_badge_at_a_gate_is_in_the_report(client, event, supervisor):
    """The gate shows an online scan's agent the holder's name and photo (offline, the badge's
    number); the scan row is the record of it (no second write on the gate's hottest path),
    read by the report."""
    import datetime as dt

    from django.utils import timezone

    from accreditation.models import Scan
    from events.models import Checkpoint

    agent = make_user("g.agent", "Gate agent", first_name="Nadia", last_name="Tazi")
    req = make_request(event, language="en")
    other = make_request(event, language="en")
    review.request_approve(request=req, actor=supervisor)
    review.request_approve(request=other, actor=supervisor)
    badge = issuing.badge_issue(request_id=req.pk)
    other_badge = issuing.badge_issue(request_id=other.pk)
    hall = Checkpoint.objects.create(event=event, name="Main hall")
    now = timezone.now()
    for n, (scanned, offline, at) in enumerate(
        [
            (badge, False, now - dt.timedelta(hours=2)),
            (badge, True, now - dt.timedelta(hours=1)),
            (other_badge, False, now),
        ]
    ):
        Scan.objects.create(
            checkpoint=hall,
            badge=scanned,
            badge_version=1,
            decision="admit",
            reason="ok",
            agent=agent,
            device_id="phone-1",
            client_scan_id=f"s{n}",
            scanned_at=at,
            offline=offline,
        )

    client.force_login(supervisor)
    rows = list(
        csv.reader(
            io.StringIO(client.get(report_path(req), {"format": "csv"}).content.decode("utf-8-sig"))
        )
    )[1:]
    assert [(r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows] == [
        (
            "Badge scanned at a gate",
            "Name and photo",
            "Main hall",
            "Nadia Tazi",
            "g.agent",
            "Gate agent",
        ),
        (
            "Badge scanned at a gate offline",
            "Badge number",
            "Main hall",
            "Nadia Tazi",
            "g.agent",
            "Gate agent",
        ),
    ]  # the other person's scan is not in this report
