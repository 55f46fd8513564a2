"""The scan log supervisors read: the version that was scanned, what the phone showed, and a
search by holder name, request reference and badge number."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from accreditation import gate
from accreditation.badges import issuing
from accreditation.models import Scan
from tests.gate import helpers as g

pytestmark = pytest.mark.django_db

LOG = "admin:accreditation_scan_changelist"


@pytest.fixture
def old_code_scanned(main_hall, badge, gate_agent, badge_desk):
    """Amina's lost badge (v1) is scanned after the desk issued her v2."""
    old = badge.qr_text
    g.decide(main_hall, old, gate_agent)
    issuing.badge_reissue(badge=badge, actor=badge_desk, reason="Lost", confirmed=True)
    g.decide(main_hall, old, gate_agent)
    badge.refresh_from_db()
    return badge


def rows(page):
    return page.context["cl"].result_list


def test_the_log_shows_the_version_that_was_scanned(client, supervisor, old_code_scanned):
    client.force_login(supervisor)
    page = client.get(reverse(LOG))
    assert page.status_code == 200
    denied = Scan.objects.get(reason="old_version")
    assert denied.badge_version == 1 and old_code_scanned.version == 2
    html = page.content.decode()
    assert f"{old_code_scanned.number} · v1" in html
    assert f"{old_code_scanned.number} · v2" not in html


@pytest.mark.parametrize(
    "term",
    ["amina", "AMINA", "{reference}", "{number}", "{pk}"],
)
def test_the_log_is_searched_by_holder_reference_and_badge_number(
    client, supervisor, old_code_scanned, main_hall, reviewer, badge_desk, gate_agent, term
):
    other = g.collected(main_hall.event, reviewer, badge_desk, given_names="Youssef")
    g.decide(main_hall, other.qr_text, gate_agent)
    client.force_login(supervisor)
    q = term.format(
        reference=old_code_scanned.request.reference,
        number=old_code_scanned.number,
        pk=old_code_scanned.pk,
    )
    found = rows(client.get(reverse(LOG), {"q": q}))
    assert {s.badge_id for s in found} == {old_code_scanned.pk}
    assert len(found) == 2


def test_a_search_for_a_number_no_badge_has_finds_nothing(client, supervisor, old_code_scanned):
    client.force_login(supervisor)
    assert not rows(client.get(reverse(LOG), {"q": "999999"}))


def test_supervisors_see_what_the_phone_showed_and_filter_and_count_disagreements(
    client, supervisor, main_hall, badge, gate_agent, reviewer
):
    from accreditation import review

    review.request_revoke(request=badge.request, actor=reviewer, reason="Misconduct")
    scan = g.offline_scan(main_hall, badge.qr_text, g.DURING_OPENING, scan_id="s1")
    with time_machine.travel(g.local(2025, 11, 24, 16, 0), tick=False):
        assert g.upload(client, gate_agent, "phone-1", [scan]).status_code == 200
    g.decide(main_hall, "PP1:FORGED", gate_agent)  # online: no phone verdict of its own
    client.force_login(supervisor)
    page = client.get(reverse(LOG))
    html = page.content.decode()
    assert "phone showed" in [str(c["text"]) for c in page.context["result_headers"]]
    # the phone's verdict beside the server's denial
    assert "Admit — " + gate.reason_message("ok") in html
    disagreed = rows(client.get(reverse(LOG), {"flag": "device_disagreed"}))
    assert [s.reason for s in disagreed] == ["revoked"]
    counts = page.context["disagreed_per_checkpoint"]
    assert [(c["checkpoint__name"], c["n"]) for c in counts] == [("Main hall", 1)]
    link = reverse(LOG) + f"?flag=device_disagreed&amp;checkpoint__id__exact={main_hall.pk}"
    assert link in html


def test_the_log_shows_scan_times_in_the_events_time_zone_labelled(
    client, supervisor, main_hall, badge, gate_agent
):
    g.decide(main_hall, badge.qr_text, gate_agent)  # at 09:30 UTC+1 on opening day
    client.force_login(supervisor)
    html = client.get(reverse(LOG)).content.decode()
    tz = main_hall.event.tz
    local = g.DURING_OPENING.astimezone(tz)
    assert f"{local:%H:%M}" in html and f"({tz.key})" in html
    assert f"{g.DURING_OPENING.astimezone(dt.UTC):%H:%M}" not in html
