"""An announcement sent while Redis is down is not lost: the press office's click is accepted,
the work waits in the outbox, and every recipient gets the e-mail once Redis is back.

On real processes (gunicorn, a Celery worker, a private redis-server, the test database, the
admin over HTTP), and in-process against the Redis of scripts/run_tests.py for the batches."""

from __future__ import annotations

import shutil

import pytest
from django.db import transaction

from accreditation.communications import services
from accreditation.communications.models import Announcement, Delivery
from accreditation.models import OutboxTask
from accreditation.notify import outbox
from tests.communications.helpers import draft, journalists, press_office
from tests.factories import make_event
from tests.integration import test_end_to_end as end_to_end
from tests.integration import test_outbox_redis as outbox_redis
from tests.integration.stack import Browser, wait_for

# The other integration tests' fixtures: real processes on a private redis-server, and the
# switch of this process's broker between the run's Redis and one that is down.
_server_hashers = end_to_end._server_hashers
redis_server = end_to_end.redis_server
stack = end_to_end.stack
broker = outbox_redis.broker
use_broker = outbox_redis.use_broker
REDIS_URL = outbox_redis.REDIS_URL

PLAN = "communications.plan_announcement"
BATCH = "communications.send_announcement_batch"


def mails_to(stack, address: str, containing: str) -> int:
    """How many e-mails the worker sent to ``address`` holding ``containing``."""
    folder = stack.workdir / "var" / "mail"
    count = 0
    for path in folder.glob("*.log") if folder.exists() else []:
        text = path.read_text("utf-8", "replace")
        count += text.count(f"To: {address}") if containing in text else 0
    return count


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server")
def test_an_announcement_sent_while_redis_is_down_reaches_everyone_once_it_is_back(
    stack, redis_server
):
    event = make_event(slug="announce-down")
    conference = event.sessions.get(kind="closing")
    granted = journalists(event, 3, sessions=[conference])
    others = journalists(event, 1)  # not granted the session: not in the audience
    press = press_office()
    announcement = draft(
        event,
        actor=press,
        titles={"fr": "Conférence de presse : 15 h", "en": "Press conference: 3 pm"},
        bodies={"fr": "Au centre de presse.", "en": "At the press centre."},
        audience_session=conference,
        operational=True,
    )
    office = Browser(stack.base)
    office.login("press", "correct horse battery")
    office.get(f"/admin/communications/announcement/{announcement.pk}/preview/")

    redis_server.stop()
    status, headers, _body = office.post(
        f"/admin/communications/announcement/{announcement.pk}/send/", {}
    )
    # The click is accepted: the press office is not made to pay for our broker.
    assert status == 302, _body[:500]
    assert headers["Location"].endswith(f"/announcement/{announcement.pk}/change/")
    announcement.refresh_from_db()
    assert announcement.state == Announcement.State.SENDING
    (waiting,) = OutboxTask.objects.filter(dispatched_at__isnull=True)
    assert waiting.task_name == PLAN and waiting.last_error  # why it waits, for staff

    redis_server.start()  # same port: the worker reconnects by itself
    stack.manage("drain_outbox")  # what beat does every minute
    wait_for(
        lambda: Announcement.objects.get(pk=announcement.pk).state == Announcement.State.SENT,
        timeout=90,
        what="the announcement sent once Redis is back",
        interval=0.5,
    )
    deliveries = Delivery.objects.filter(announcement=announcement)
    assert set(deliveries.values_list("state", flat=True)) == {Delivery.State.SENT}, [
        d.error for d in deliveries
    ]
    for req in granted:
        assert mails_to(stack, req.email, "Au centre de presse.") == 1  # once, in French
    assert mails_to(stack, others[0].email, "Au centre de presse.") == 0
    assert not OutboxTask.objects.filter(completed_at__isnull=True).exists()


@pytest.mark.django_db
@pytest.mark.skipif(
    not REDIS_URL,
    reason="needs Redis (TEST_REDIS_URL, set by scripts/run_tests.py when Redis answers)",
)
def test_batches_recorded_while_redis_is_down_wait_in_the_outbox_and_go_when_it_is_back(
    event, broker, django_capture_on_commit_callbacks
):
    press = press_office()
    journalists(event, 450)
    announcement = draft(event, actor=press)
    use_broker("redis://127.0.0.1:1/0")  # nothing listens there: the broker is "down"
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        services.announcement_send(announcement=announcement, actor=press)
    # The plan runs (a worker that had it before Redis went away): its batches cannot be
    # published, and stay in the outbox with their deliveries queued.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.announcement_plan(announcement_id=announcement.pk) == 3
    pending = OutboxTask.objects.filter(task_name=BATCH, dispatched_at__isnull=True)
    assert pending.count() == 3 and all(row.last_error for row in pending)
    assert Delivery.objects.filter(announcement=announcement, state="queued").count() == 450

    use_broker(REDIS_URL)  # Redis is back
    assert outbox.dispatch_pending() == 4  # the plan and its three batches
    assert broker.llen("celery") == 4  # waiting for a worker, durable in the broker
    assert outbox.dispatch_pending() == 0  # dispatched once only
