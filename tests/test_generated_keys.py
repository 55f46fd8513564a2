"""Development keys (the secret key, the badge signing key) are generated once for every process.

On a fresh checkout gunicorn, a Celery worker and management commands start together; a badge
the worker signed with a key of its own failed the web's signature check (seen once in the
end-to-end test). These tests use real files and real processes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from config.settings import _kept_file

ROOT = Path(__file__).resolve().parent.parent


def test_a_process_that_loses_the_race_uses_the_winners_file(tmp_path):
    path = tmp_path / "var" / "badge_signing_key"

    def make():  # another process publishes its file while this one is generating
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("theirs\n")
        return "mine"

    assert _kept_file(path, make) == "theirs"
    assert _kept_file(path, lambda: "later") == "theirs"
    assert sorted(p.name for p in path.parent.iterdir()) == ["badge_signing_key"]  # no draft left


def test_processes_started_together_on_a_fresh_checkout_share_their_keys(tmp_path):
    env = {**os.environ, "PRESSPASS_VAR_DIR": str(tmp_path / "var")}
    for name in ("SECRET_KEY", "BADGE_SIGNING_KEY", "BADGE_PUBLIC_KEYS", "PRESSPASS_ENV"):
        env.pop(name, None)
    show = "import config.settings as s; print(s.SECRET_KEY, s.BADGE_PUBLIC_KEYS)"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", show], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(8)
    ]
    seen = {p.communicate(timeout=60)[0] for p in processes}
    assert all(p.returncode == 0 for p in processes)
    assert len(seen) == 1, seen
    assert (tmp_path / "var" / "badge_signing_key").stat().st_mode & 0o077 == 0


def test_settings_import_no_application_code_and_read_the_gate_settings_from_the_environment():
    """A fresh interpreter loads the settings alone: no module of the apps comes with them, and
    the gate's settings come from the environment, typed (docs/deploy.md tells PgBouncer users
    to switch prepared statements off)."""
    script = (
        "import sys, django.conf as c; from config import settings as s;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('accreditation', 'events')));"
        "print(s.PRESSPASS_GATE_PREPARED_STATEMENTS, s.PRESSPASS_GATE_TOKEN_HOURS)"
    )
    env = {
        **os.environ,
        "PRESSPASS_GATE_PREPARED_STATEMENTS": "0",
        "PRESSPASS_GATE_TOKEN_HOURS": "9",
    }
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert out[0] == "[]"
    assert out[1] == "False 9"
