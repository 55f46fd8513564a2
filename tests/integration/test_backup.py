"""A backup restores into a fresh database and folder, and the restored installation works:
its status link opens, a reviewer opens a document, a gate scans a badge. The database is
dumped before the files are copied, so no restored row lacks its file (9 did in the review,
with the files copied first); outbox work published but not done is sent again."""

from __future__ import annotations

import datetime as dt
import json
import urllib.request
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import global_settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from accreditation import apply
from accreditation.gate.api import issue_token
from accreditation.models import Document, OutboxTask
from accreditation.privacy.storage import private_storage
from events.models import Checkpoint, Session
from tests.factories import make_event, make_request, make_user
from tests.gate.helpers import collected
from tests.integration.stack import BIN, Browser, Stack, database_url

if not (BIN / "gunicorn").exists():
    pytest.skip("needs gunicorn in the virtualenv", allow_module_level=True)

pytestmark = pytest.mark.django_db(transaction=True)


def restored_request(stack, path: str, body: dict, token: str) -> bytes:
    request = urllib.request.Request(
        stack.base + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read()


@pytest.fixture
def fresh_database(tmp_path):
    """An empty database of the same kind as the test database, for the restore."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    name = f"restore_{uuid.uuid4().hex[:8]}"
    url = database_url()
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield url.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_restored_backup_works(tmp_path, settings, fresh_database):
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS  # signed in there
    event = make_event(slug="restored")
    req = make_request(event)
    reviewer = make_user("amal", "Reviewer")
    # A session going on now at a checkpoint, and a badge handed over for it.
    now = timezone.now()
    session = Session.objects.create(
        event=event,
        kind="plenary",
        title="Plenary",
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=2),
        media_access="open",
    )
    hall = Checkpoint.objects.create(event=event, name="Hall")
    hall.sessions.set([session])
    badge = collected(
        event, reviewer, make_user("desk", "Badge desk"), sessions=[session], given_names="Salma"
    )
    agent = make_user("gate1", "Gate agent")
    OutboxTask.objects.create(
        task_name="accreditation.send_request_email",
        kwargs={"request_id": req.pk, "kind": "status_link"},
        dispatched_at=req.submitted_at,  # on the broker when the backup was made
    )
    call_command("backup", str(tmp_path / "backup"))
    assert (tmp_path / "backup" / "manifest.json").exists()

    # A new machine: an empty database and folder, the same keys (kept with the secrets).
    restored = Stack(workdir=tmp_path / "new", database_url=fresh_database, redis=None)
    (tmp_path / "new").mkdir()
    restored.env.update(
        SECRET_KEY=settings.SECRET_KEY,
        BADGE_SIGNING_KEY=settings.BADGE_SIGNING_KEY,
        BADGE_SIGNING_KEY_ID=str(settings.BADGE_SIGNING_KEY_ID),
    )
    out = restored.manage("restore", str(tmp_path / "backup"))
    assert "1 background tasks will be sent again" in out

    restored_root = Path(restored.env["PRIVATE_STORAGE_ROOT"])
    for document in Document.objects.all():  # every row the dump holds has its file
        assert (restored_root / document.file.name).is_file(), document.file.name
    assert private_storage().exists(Document.objects.first().file.name)  # the original kept

    restored.start_web()
    try:
        from tests.integration.stack import wait_for

        wait_for(
            lambda: restored.get_json("/health/live/")["database"] == "ok",
            timeout=60,
            what="the restored web node",
        )
        visitor = Browser(restored.base)
        status, _headers, page = visitor.get(apply.status_path(req))
        assert status == 200 and req.reference in page
        staff = Browser(restored.base)
        staff.login("amal", "correct horse battery")
        identity = req.documents.get(kind="identity")
        status, _headers, body = staff.request(
            "GET",
            f"/admin/accreditation/accreditationrequest/document/{identity.pk}/original/",
            raw=True,
        )
        assert status == 200 and body.startswith(b"%PDF")
        scan = json.loads(
            restored_request(
                restored,
                f"/gate/api/checkpoints/{hall.pk}/scan",
                {"code": badge.qr_text, "device_id": "phone-1", "client_scan_id": "r1"},
                issue_token(agent, "phone-1"),
            )
        )
        assert scan["decision"] == "admit", scan  # the printed badge's signature still holds
    finally:
        restored.stop()


def test_backup_and_restore_say_what_is_wrong(tmp_path):
    from django.core.management.base import CommandError

    (tmp_path / "taken").mkdir()
    with pytest.raises(CommandError, match="exists: name a new folder"):
        call_command("backup", str(tmp_path / "taken"))
    with pytest.raises(CommandError, match="is not a backup made by manage.py backup"):
        call_command("restore", str(tmp_path / "taken"))
