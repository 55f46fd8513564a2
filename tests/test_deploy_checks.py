"""`manage.py check --deploy` warns about a Redis reached over the network without a password
and TLS (whoever reaches it could queue work); a local or protected one passes."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError


@pytest.mark.parametrize(
    ("url", "warned"),
    [
        ("redis://10.0.0.5:6379/0", True),
        ("redis://:secret@10.0.0.5:6379/0", True),  # a password sent in the clear
        ("rediss://10.0.0.5:6380/0", True),  # TLS, but anyone may use it
        ("rediss://:secret@redis.internal:6380/0", False),
        ("redis://127.0.0.1:6379/0", False),
        ("unix:///run/redis/redis.sock", False),
    ],
)
def test_an_exposed_redis_is_reported(settings, url, warned):
    settings.CELERY_BROKER_URL = url
    settings.REDIS_URL = ""
    if warned:
        with pytest.raises(SystemCheckError, match="presspass.W001"):
            call_command("check", "--deploy", "--tag", "security", "--fail-level", "WARNING")
    else:
        try:
            call_command("check", "--deploy", "--tag", "security", "--fail-level", "WARNING")
        except SystemCheckError as exc:
            assert "presspass.W001" not in str(exc)


@pytest.mark.parametrize(
    "missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "BADGE_SIGNING_KEY"]
)
def test_production_refuses_to_start_without_each_required_setting(missing):
    """Without REDIS_URL, each process would keep its own rate limits and used proof-of-work
    challenges (SECURITY.md row 21): production does not start."""
    import os
    import subprocess
    import sys

    from django.conf import settings

    from accreditation.badges.signing import generate_keypair, private_key_b64

    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PRESSPASS_", "DJANGO_", "REDIS", "BADGE_"))
    }
    env.update(
        PRESSPASS_ENV="production",
        SECRET_KEY="production-like-" + "k" * 50,
        ALLOWED_HOSTS="press.example.org",
        DATABASE_URL="postgres://presspass@127.0.0.1/presspass",
        REDIS_URL="redis://127.0.0.1:6379/0",
        BADGE_SIGNING_KEY=private_key_b64(generate_keypair()[0]),
        PRESSPASS_VAR_DIR=str(settings.VAR_DIR),
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    del env[missing]
    started = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        cwd=str(settings.BASE_DIR),
        capture_output=True,
        text=True,
    )
    assert started.returncode != 0
    assert f"{missing} is required in production" in started.stderr


def test_an_existing_documents_folder_with_loose_modes_is_reported(settings, tmp_path):
    """SECURITY.md row 15: a folder restored from a backup or copied in by hand is checked at
    deploy time; what Presspass writes itself (0700 folders, 0600 files) passes."""
    from config.deploy_checks import private_files_are_private

    root = tmp_path / "private"
    (root / "documents").mkdir(parents=True)
    kept = root / "documents" / "kept.pdf"
    kept.write_bytes(b"%PDF-1.4")
    root.chmod(0o700)
    (root / "documents").chmod(0o700)
    kept.chmod(0o600)
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {**settings.STORAGES["private"], "OPTIONS": {"location": str(root)}},
    }
    assert private_files_are_private() == []
    kept.chmod(0o640)  # readable by the application's group: allowed
    assert private_files_are_private() == []
    kept.chmod(0o644)
    (root / "documents").chmod(0o755)
    (warning,) = private_files_are_private()
    assert warning.id == "presspass.W003"
    assert "kept.pdf (644)" in warning.msg and "documents (755)" in warning.msg
