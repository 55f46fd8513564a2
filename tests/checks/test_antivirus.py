"""The optional antivirus step: where a clamd is configured, every document is streamed to it;
a file it finds something in is removed and never shown to anyone; a clamd that cannot be
reached stops the checks (shown failed to staff), it never lets a file pass unscanned.

Antivirus signatures cannot be downloaded on these machines, so the tests talk to a stand-in
clamd that speaks clamd's own INSTREAM protocol and "detects" a test marker; a real clamd is
used where the machine has one with its signatures."""

from __future__ import annotations

import shutil
import socket
import struct
import threading
from pathlib import Path

import pytest
from django.urls import reverse

from accreditation.checks import antivirus
from accreditation.models import CheckResult, Document, OutboxTask, Status
from accreditation.privacy.storage import private_storage
from tests.checks.test_pipeline import submit
from tests.factories import pdf_bytes, upload

pytestmark = pytest.mark.django_db

MARKER = b"PRESSPASS-STAND-IN-SIGNATURE"


class StandInClamd:
    """A unix-socket server answering clamd's zINSTREAM like clamd does."""

    def __init__(self, path: Path):
        self.path = str(path)
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(self.path)
        self.server.listen(8)
        self.scanned = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                command = b""
                while not command.endswith(b"\0"):
                    command += conn.recv(1)
                data = b""
                while True:
                    (size,) = struct.unpack(">I", self._exact(conn, 4))
                    if size == 0:
                        break
                    data += self._exact(conn, size)
                self.scanned += 1
                verdict = b"stream: Stand-In.Test FOUND\0" if MARKER in data else b"stream: OK\0"
                conn.sendall(verdict)

    @staticmethod
    def _exact(conn, n):
        out = b""
        while len(out) < n:
            out += conn.recv(n - len(out))
        return out

    def close(self):
        self.server.close()


@pytest.fixture
def clamd(tmp_path, settings):
    server = StandInClamd(tmp_path / "clamd.sock")
    settings.PRESSPASS_CLAMD = f"unix://{server.path}"
    yield server
    server.close()


def test_a_file_the_antivirus_flags_is_removed_and_never_shown(
    client, event, clamd, reviewer, django_capture_on_commit_callbacks
):
    infected = pdf_bytes()[:-200] + MARKER + pdf_bytes()[-200:]
    req = submit(
        client,
        event,
        django_capture_on_commit_callbacks,
        press_card=upload("card.pdf", infected),
    )
    assert clamd.scanned == 3  # every document went through it
    card = Document.objects.get(request=req, kind="press_card")
    flagged = CheckResult.objects.get(document=card, code="file.antivirus")
    assert flagged.outcome == "fail" and flagged.value == "Stand-In.Test"
    assert not private_storage().exists(card.file.name)
    others = CheckResult.objects.filter(code="file.antivirus").exclude(document=card)
    assert {r.outcome for r in others} == {"pass"}
    client.force_login(reviewer)
    view = client.get(reverse("admin:accreditation_document_file", args=[card.pk, "original"]))
    assert view.status_code == 404


def test_an_unreachable_antivirus_stops_the_checks_instead_of_passing_files(
    client, event, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.PRESSPASS_CLAMD = f"unix://{tmp_path / 'nobody-listens.sock'}"
    req = submit(client, event, django_capture_on_commit_callbacks)
    req.refresh_from_db()
    assert req.status in (Status.SUBMITTED, Status.CHECKING)  # not in review: not checked
    row = OutboxTask.objects.get(task_name="accreditation.run_checks")
    assert row.failed_at is not None and "Error" in row.last_error  # staff see it, and retry


@pytest.mark.skipif(not shutil.which("clamd"), reason="no clamd on this machine")
def test_a_real_clamd_finds_the_eicar_test_file(tmp_path, settings):
    socket_path = Path("/run/clamav/clamd.ctl")
    if not socket_path.exists():
        pytest.skip("clamd is installed but not running (no /run/clamav/clamd.ctl)")
    settings.PRESSPASS_CLAMD = f"unix://{socket_path}"
    sample = tmp_path / "eicar.txt"
    sample.write_bytes(rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")
    assert "Eicar" in (antivirus.scan(str(sample)) or "")
