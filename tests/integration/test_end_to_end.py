"""End to end on real processes: gunicorn, a Celery worker, Redis and the test database.

A journalist submits over HTTP with real files, the worker checks them, a reviewer approves in
the admin, the worker issues the badge, the desk prints and hands it over, and the QR verifies.
A second test stops Redis during a submission and shows nothing is lost once it is back.
"""

import re
import shutil

import pytest
from django.conf import settings

from accreditation.models import AccreditationRequest, Badge, OutboxTask, PrintBatch, Status
from tests.factories import (
    application_data,
    image_bytes,
    make_event,
    make_user,
    pdf_bytes,
    portrait_bytes,
    solve_pow,
)
from tests.integration.stack import Browser, Redis, Stack, reference_from, wait_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not shutil.which("redis-server"), reason="needs redis-server to start a private broker"
    ),
]


def database_url() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture(autouse=True)
def _server_hashers(settings):
    """Users made here sign in to a server with the default password hashers."""
    from django.conf import global_settings

    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS


@pytest.fixture
def redis_server(tmp_path):
    server = Redis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def stack(tmp_path, redis_server):
    running = Stack(workdir=tmp_path, database_url=database_url(), redis=redis_server)
    running.env["PRESSPASS_CONFIRM_ADDRESS_FIRST"] = "1"  # as in production
    running.start()
    yield running
    running.stop()


FILES = {
    "identity": ("passport.pdf", pdf_bytes("Passport"), "application/pdf"),
    "press_card": ("card.jpg", image_bytes(), "image/jpeg"),
}


def prove_address(stack, event, email: str) -> Browser:
    """The journalist's first step: the address, then the link the worker mails to it."""
    journalist = Browser(stack.base)
    _s, _h, page = journalist.get(f"/events/{event.slug}/apply/")
    status, _h, _b = journalist.post(
        f"/events/{event.slug}/apply/address/", {"email": email, "altcha": solve_pow(page)}
    )
    assert status == 302
    mail = stack.mail_to(email, "/apply/confirm/?token=")
    token = re.search(r"/apply/confirm/\?token=(\S+)", mail).group(1)
    confirm = f"/events/{event.slug}/apply/confirm/"
    status, headers, _b = journalist.post(confirm, {"token": token})
    assert status == 302 and headers["Location"] == f"/events/{event.slug}/apply/"
    return journalist


def submit(stack, event, email: str, journalist: Browser | None = None) -> str:
    journalist = journalist or prove_address(stack, event, email)
    journalist.get(f"/events/{event.slug}/apply/")
    data = application_data(event, email=email)
    files = {**FILES, "photo": ("me.jpg", portrait_bytes(), "image/jpeg")}
    status, headers, body = journalist.post(f"/events/{event.slug}/apply/", data, files)
    assert status == 302, body[:2000]
    return reference_from(journalist.get(headers["Location"])[2])


def test_from_submission_to_a_badge_in_hand(stack):
    event = make_event(slug="e2e")
    reference = submit(stack, event, "amina@example.com")
    req = wait_for(
        lambda: AccreditationRequest.objects.filter(
            reference=reference, status=Status.IN_REVIEW
        ).first(),
        timeout=60,
        what="the worker's document checks",
    )
    assert req.check_results.exists()

    make_user("reviewer", "Reviewer")
    reviewer = Browser(stack.base)
    reviewer.login("reviewer", "correct horse battery")
    reviewer.get(f"/admin/accreditation/accreditationrequest/{req.pk}/change/")
    opening = event.sessions.get(kind="opening")
    status, _h, _b = reviewer.post(
        f"/admin/accreditation/accreditationrequest/{req.pk}/decide/approve/",
        {"sessions": [opening.pk], "note": ""},
    )
    assert status == 302
    badge = wait_for(
        lambda: Badge.objects.filter(request=req).first(),
        timeout=60,
        what="the badge from the worker",
    )

    make_user("desk", "Badge desk")
    desk = Browser(stack.base)
    desk.login("desk", "correct horse battery")
    desk.get("/desk/")
    status, headers, _b = desk.post("/desk/", {"event": event.pk, "all": "1", "layout": "cr80"})
    assert status == 302
    batch = wait_for(
        lambda: PrintBatch.objects.filter(state="done").first(), timeout=60, what="the print batch"
    )
    status, headers, pdf = desk.request("GET", f"/desk/batches/{batch.pk}/pdf/")
    assert status == 200 and headers["Content-Type"] == "application/pdf"
    desk.get(f"/desk/badges/{badge.pk}/")
    desk.post(f"/desk/badges/{badge.pk}/", {"action": "handover", "identity_checked": "1"})
    assert AccreditationRequest.objects.get(pk=req.pk).status == Status.COLLECTED

    # At the gate: the opening ceremony is on now, the checkpoint serves it.
    import datetime as dt
    import json

    from django.utils import timezone

    from events.models import Checkpoint

    now = timezone.now()
    event.sessions.filter(pk=opening.pk).update(
        starts_at=now - dt.timedelta(minutes=5), ends_at=now + dt.timedelta(hours=1)
    )
    gate_checkpoint = Checkpoint.objects.create(event=event, name="Main entrance")
    gate_checkpoint.sessions.set([opening])
    make_user("gate", "Gate agent")
    agent = Browser(stack.base)
    agent.login("gate", "correct horse battery")
    issued = json.loads(agent.get("/gate/api/token")[2])
    token = issued["token"]
    scan = {
        "code": Badge.objects.get(pk=badge.pk).qr_text,
        "direction": "in",
        "device_id": issued["device"]["id"],  # the device the server named for this phone
        "client_scan_id": "s1",
    }
    status, _h, body = agent.request(
        "POST",
        f"/gate/api/checkpoints/{gate_checkpoint.pk}/scan",
        json.dumps(scan).encode(),
        {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    answer = json.loads(body)
    assert status == 200 and answer["decision"] == "admit", answer
    assert Badge.objects.get(pk=badge.pk).scans.filter(decision="admit").count() == 1

    def approval_mailed() -> bool:
        mail = "".join(p.read_text() for p in (stack.workdir / "var" / "mail").glob("*"))
        return reference in mail and "is approved" in mail

    try:
        wait_for(approval_mailed, timeout=30, what="the approval e-mail")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\nworker log:\n{stack.log('worker')}") from None
    from accreditation.badges.signing import load_private_key, verify_code

    key = load_private_key((stack.workdir / "var" / "badge_signing_key").read_text())
    claims = verify_code(Badge.objects.get(pk=badge.pk).qr_text, {1: key.public_key()})
    assert claims.session_ids == (opening.pk,)


def test_a_submission_made_while_redis_is_down_is_processed_once_it_is_back(stack, redis_server):
    event = make_event(slug="e2e-down")
    journalist = prove_address(stack, event, "during-outage@example.com")
    redis_server.stop()
    reference = submit(stack, event, "during-outage@example.com", journalist)  # accepted
    req = AccreditationRequest.objects.get(reference=reference)
    assert req.status == Status.SUBMITTED
    assert OutboxTask.objects.filter(dispatched_at__isnull=True).count() == 3

    redis_server.start()  # same port: the worker reconnects by itself
    stack.manage("drain_outbox")  # what beat does every minute
    wait_for(
        lambda: AccreditationRequest.objects.get(pk=req.pk).status == Status.IN_REVIEW,
        timeout=90,
        what="the checks after Redis came back",
    )
    assert not OutboxTask.objects.filter(dispatched_at__isnull=True).exists()
    assert OutboxTask.objects.filter(completed_at__isnull=False).count() == 3 + 1  # + the link


def test_a_worker_killed_in_the_middle_of_the_checks_leaves_work_another_worker_completes(
    tmp_path, redis_server
):
    import os
    import signal

    from tests.corpus import portrait_image

    running = Stack(workdir=tmp_path, database_url=database_url(), redis=redis_server)
    running.env.update(CELERY_VISIBILITY_TIMEOUT="4", CELERY_UNACKED_RESTORE_INTERVAL="1")
    running.start()
    try:
        event = make_event(slug="e2e-kill")
        import io

        big = io.BytesIO()
        portrait_image((3000, 4000), grain=8).save(
            big, "JPEG", quality=92
        )  # a 12 MP photo: slow to check
        journalist = Browser(running.base)
        journalist.get(f"/events/{event.slug}/apply/")
        files = {**FILES, "photo": ("me.jpg", big.getvalue(), "image/jpeg")}
        status, headers, _b = journalist.post(
            f"/events/{event.slug}/apply/",
            application_data(event, email="killed@example.com"),
            files,
        )
        assert status == 302
        req = wait_for(
            lambda: AccreditationRequest.objects.filter(
                email="killed@example.com", status=Status.CHECKING
            ).first(),
            timeout=30,
            what="the checks to start",
            interval=0.02,
        )
        worker = running.processes["worker"]
        os.killpg(worker.pid, signal.SIGKILL)  # mid-task: no acknowledgement was sent
        worker.wait(10)
        assert AccreditationRequest.objects.get(pk=req.pk).status == Status.CHECKING
        running.start_worker()  # another worker
        wait_for(
            lambda: AccreditationRequest.objects.get(pk=req.pk).status == Status.IN_REVIEW,
            timeout=90,
            what="another worker to finish the checks",
        )
        assert (
            req.check_results.filter(code="portrait.face_count", outcome="pass").count() == 1
        )  # one result set
        assert (
            OutboxTask.objects.filter(
                task_name="accreditation.run_checks", completed_at__isnull=False
            ).count()
            == 1
        )
    finally:
        running.stop()


def test_the_health_page_fails_when_beat_or_the_workers_are_missing(stack):
    """The review: a worker died on a Redis loss, nothing restarted it, and /health/ answered
    200 with "workers": 0. Now a missing worker or beat is a 503 that monitoring sees."""
    body = stack.get_json("/health/")
    assert body["workers"] >= 1 and body["queue_depth"] is not None
    assert body["missing"] == ["beat"]  # this stack runs no beat: it never stamped
    stack.manage("shell", "-c", "from config.health import beat_stamp; beat_stamp()")
    assert stack.get_json("/health/")["missing"] == []
    stack.processes["worker"].kill()
    stack.processes["worker"].wait(10)
    body = wait_for(
        lambda: (b := stack.get_json("/health/"))["workers"] == 0 and b,
        timeout=20,
        what="the dead worker to be missed",
    )
    assert body["status"] == "degraded" and body["missing"] == ["workers"]
