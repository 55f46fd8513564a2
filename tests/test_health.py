"""/health/live/ for the load balancer (the node answers), /health/ for operators: 503 as soon
as a part the accreditation needs is missing, with the numbers watched on event day."""

import datetime as dt

import pytest
from django.utils import timezone

from accreditation.models import OutboxTask, Status
from tests.factories import make_event, make_request

pytestmark = pytest.mark.django_db


def test_health_reports_the_database_and_in_process_tasks(client):
    response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok" and body["storage"] == "ok" and body["missing"] == []
    assert body["broker"].startswith("in-process")
    assert body["storage_free_mb"] > 0
    assert response["Cache-Control"].startswith("max-age=0")
    assert client.get("/health/live/").status_code == 200


def test_a_nearly_full_disk_makes_the_health_page_fail(client, settings):
    settings.PRESSPASS_MIN_FREE_MB = 10**9  # more than any disk here has free
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["missing"] == ["storage"]
    assert client.get("/health/live/").status_code == 200  # the node still takes requests


def test_a_storage_that_takes_no_write_makes_the_health_page_fail(client, settings, tmp_path):
    from accreditation.privacy.storage import private_storage

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the storage folder should be")
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {**settings.STORAGES["private"], "OPTIONS": {"location": str(blocker)}},
    }
    private_storage().reset()
    try:
        response = client.get("/health/")
    finally:
        private_storage().reset()
    assert response.status_code == 503 and "storage" in response.json()["missing"]


def test_the_backlog_an_operator_watches_is_counted(client):
    req = make_request(make_event(), status=Status.CHECKING)
    old = timezone.now() - dt.timedelta(hours=1)
    type(req).objects.filter(pk=req.pk).update(updated_at=old)
    waiting = OutboxTask.objects.create(task_name="accreditation.run_checks", kwargs={})
    failed = OutboxTask.objects.create(
        task_name="accreditation.send_request_email", kwargs={}, failed_at=timezone.now()
    )
    OutboxTask.objects.filter(pk__in=[waiting.pk, failed.pk]).update(created_at=old)
    body = client.get("/health/").json()
    assert (body["checks_stuck"], body["outbox_waiting"], body["outbox_failed"]) == (1, 1, 1)
