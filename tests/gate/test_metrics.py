"""/metrics (config/metrics.py), beside the gate fixtures whose scans it counts: off without
its token, refused with a wrong one, and with it the numbers an operator watches, read from
the database (the same on every node)."""

from __future__ import annotations

import pytest
import time_machine
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from accreditation import review
from accreditation.models import OutboxTask
from tests.factories import make_request
from tests.gate.helpers import DURING_OPENING, bearer, post_json, scan_body, scan_url

pytestmark = pytest.mark.django_db


def samples(response) -> dict:
    found = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_metrics_are_off_without_a_token_and_refused_with_a_wrong_one(client, settings):
    assert client.get("/metrics").status_code == 404
    settings.PRESSPASS_METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401


def test_the_event_day_numbers(client, settings, event, reviewer, main_hall, badge, gate_agent):
    settings.PRESSPASS_METRICS_TOKEN = "s3cret-token"
    review.request_approve(request=make_request(event), actor=reviewer)
    OutboxTask.objects.create(task_name="accreditation.run_checks", failed_at=timezone.now())
    with time_machine.travel(DURING_OPENING, tick=False):
        post_json(client, scan_url(main_hall), scan_body(badge.qr_text), headers=bearer(gate_agent))
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert response.status_code == 200
    found = samples(response)
    assert found[("presspass_scans_total", (("decision", "admit"), ("reason", "ok")))] == 1
    assert found[("presspass_decisions_total", (("action", "accreditation.approved"),))] >= 1
    assert (
        found[("presspass_tasks", (("state", "failed"), ("task", "accreditation.run_checks")))] == 1
    )
    assert any(name == "presspass_http_responses_total" for name, _labels in found)
