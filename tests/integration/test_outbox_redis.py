"""Nothing a submission triggers is lost while Redis is down (real Redis, real broker client)."""

import os

import pytest
import redis
from django.urls import reverse

from accreditation.models import AccreditationRequest, OutboxTask
from accreditation.notify import outbox
from tests.factories import application_data, application_files

REDIS_URL = os.environ.get("TEST_REDIS_URL")
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not REDIS_URL,
        reason="needs Redis (TEST_REDIS_URL, set by scripts/run_tests.py when Redis answers)",
    ),
]


def use_broker(url: str) -> None:
    from config.celery import app

    app.conf.broker_url = url
    app.conf.task_always_eager = False
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker():
    from config.celery import app

    saved = (app.conf.broker_url, app.conf.task_always_eager)
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()
    use_broker(saved[0])
    app.conf.task_always_eager = saved[1]


def test_a_submission_accepted_while_redis_is_down_is_dispatched_when_it_is_back(
    client, event, broker, django_capture_on_commit_callbacks
):
    use_broker("redis://127.0.0.1:1/0")  # nothing listens there: the broker is "down"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accreditation:apply", args=[event.slug]),
            {**application_data(event), **application_files()},
        )
    assert response.status_code == 302  # the journalist is not made to pay for our broker
    req = AccreditationRequest.objects.get()
    pending = OutboxTask.objects.filter(dispatched_at__isnull=True)
    assert sorted(pending.values_list("task_name", flat=True)) == [
        "accreditation.run_checks",
        "accreditation.send_contact_notice",
        "accreditation.send_request_email",
    ]
    assert all(row.last_error for row in pending)
    assert req.status == "submitted"

    use_broker(REDIS_URL)  # Redis is back
    assert outbox.dispatch_pending() == 3
    assert not OutboxTask.objects.filter(dispatched_at__isnull=True).exists()
    assert broker.llen("celery") == 3  # waiting for a worker, durable in the broker
    assert outbox.dispatch_pending() == 0  # dispatched once only
