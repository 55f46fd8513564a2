"""Opening a person's page at the badge desk (identity document number, date of birth, photo)
is an access to their data: each opening is in the audit trail with ids only, and shows in the
person's access report; the search results (names and outlets, what the badge prints) are not
recorded per person."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accreditation import review
from accreditation.badges import issuing
from accreditation.models import AuditEntry, Badge
from accreditation.privacy.access import accesses
from tests.factories import make_request, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def badges(event, reviewer):
    found = []
    for _ in range(3):
        req = make_request(event, given_names="Salma", language="en")
        review.request_approve(request=req, actor=reviewer)
        found.append(issuing.badge_issue(request_id=req.pk))
    return found


def test_each_opening_of_a_badge_page_is_recorded_with_ids_only(client, badges, badge_desk):
    badge = badges[0]
    req = badge.request
    client.force_login(badge_desk)
    for _ in range(2):
        page = client.get(reverse("desk:badge", args=[badge.pk]), REMOTE_ADDR="10.1.2.3")
        assert page.status_code == 200
        assert req.id_document_number in page.content.decode()

    opened = AuditEntry.objects.filter(action="desk.badge_viewed").order_by("pk")
    assert [(e.request_id, e.actor_id, e.data) for e in opened] == [
        (req.pk, badge_desk.pk, {"badge": badge.pk})
    ] * 2
    entry = opened[0]
    assert entry.ip_address == "10.1.2.3"
    # Nothing of the person in the entry itself: no name, number, birth date or reference.
    stored = f"{entry.data} {entry.reason} {entry.actor_label}"
    for personal in (
        req.given_names,
        req.family_names,
        req.id_document_number,
        req.reference,
        req.email,
        str(req.date_of_birth),
    ):
        assert personal not in stored


def test_the_search_lists_names_without_an_entry_per_person(client, badges, badge_desk):
    before = AuditEntry.objects.count()
    client.force_login(badge_desk)
    found = client.get(reverse("desk:handover"), {"q": "salma"}).content.decode()
    assert all(badge.request.full_name in found for badge in badges)
    assert AuditEntry.objects.count() == before  # no write per name listed


def test_the_access_report_shows_who_opened_the_desk_page_and_when(
    client, badges, badge_desk, supervisor
):
    other_desk = make_user("desk.two", "Badge desk", first_name="Youssef", last_name="Alaoui")
    badge, elsewhere = badges[0], badges[1]
    client.force_login(badge_desk)
    client.get(reverse("desk:badge", args=[badge.pk]))
    client.force_login(other_desk)
    client.get(reverse("desk:badge", args=[badge.pk]))
    client.get(reverse("desk:badge", args=[elsewhere.pk]))

    rows = [r for r in accesses(request=badge.request) if r.action == "desk.badge_viewed"]
    assert [(r.username, r.role, r.what) for r in rows] == [
        ("desk", "Badge desk", "Identity document number, date of birth, photo"),
        ("desk.two", "Badge desk", "Identity document number, date of birth, photo"),
    ]
    assert rows[0].at <= rows[1].at
    assert rows[1].staff == "Youssef Alaoui"

    client.force_login(supervisor)
    html = client.get(
        reverse("privacy:access_report", kwargs={"pk": badge.request.pk})
    ).content.decode()
    assert html.count("Badge desk page opened") == 2 and "Youssef Alaoui" in html


def test_a_handover_posted_from_the_page_is_not_an_opening(client, badges, badge_desk):
    badge = Badge.objects.get(pk=badges[0].pk)
    client.force_login(badge_desk)
    client.post(reverse("desk:badge", args=[badge.pk]), {"action": "handover"})
    assert not AuditEntry.objects.filter(action="desk.badge_viewed").exists()
