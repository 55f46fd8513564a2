"""Backups that restore: the database and the private files, in the order that leaves no row
without its file, and a restore that brings an installation back to work.

- ``backup(folder)``: the database first (``pg_dump --format=custom`` for PostgreSQL, SQLite's
  own online backup), then the private files (``incoming/`` aside). A file written after the
  dump is an orphan in the copy (harmless, the retention purge removes it); a row always
  finds its file, since documents are written before their rows and never changed in place.
  ``manifest.json`` says what is in it. The files are copied as stored: encrypted, and the
  document numbers in the dump too (accreditation/privacy/crypto.py). The keys are not in it:
  PRESSPASS_DATA_KEYS (without which neither opens), SECRET_KEY (status links, gate tokens) and
  the badge signing keys (printed badges) are kept apart, with the secrets. A backup made
  before a key rotation needs the old key to be restored: keep retired keys as long as backups
  made under them.
- ``restore(folder)``: into an empty database and an empty private folder; the outbox's work
  that was published but not done is made pending again (the broker's queue is not in the
  backup), so it is sent once the workers run.
Files in a bucket (S3) are not copied: use the bucket's versioning and replication."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import connection
from django.utils import timezone

from accreditation.privacy import crypto
from accreditation.privacy.storage import INCOMING, PARTIAL, private_storage

DUMP_PG = "database.pgdump"
DUMP_SQLITE = "database.sqlite3"
FILES = "private"


class BackupError(Exception):
    pass


def _pg_env() -> tuple[list[str], dict]:
    db = settings.DATABASES["default"]
    args = ["--dbname", db["NAME"]]
    if db.get("HOST"):
        args += ["--host", db["HOST"]]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", db["USER"]]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return args, env


def _private_root() -> Path:
    storage = private_storage()
    if not isinstance(storage, FileSystemStorage):
        raise BackupError("The private files are in a bucket: back it up with its versioning.")
    return Path(storage.location)


def backup(folder: Path) -> dict:
    folder.mkdir(parents=True, exist_ok=False)
    os.chmod(folder, 0o700)  # personal data
    vendor = connection.vendor
    if vendor == "postgresql":
        args, env = _pg_env()
        subprocess.run(
            ["pg_dump", "--format=custom", "--no-owner", "--file", str(folder / DUMP_PG), *args],
            check=True,
            env=env,
        )
    elif vendor == "sqlite":
        connection.ensure_connection()
        target = sqlite3.connect(folder / DUMP_SQLITE)
        with target:
            connection.connection.backup(target)
        target.close()
    else:
        raise BackupError(f"No backup for a {vendor} database.")
    root = _private_root()
    copied = 0
    if root.is_dir():
        shutil.copytree(
            root, folder / FILES, ignore=shutil.ignore_patterns(INCOMING, "*" + PARTIAL)
        )
        copied = sum(1 for p in (folder / FILES).rglob("*") if p.is_file())
    manifest = {
        "made_at": timezone.now().isoformat(),
        "database": vendor,
        "files": copied,
        "order": "database, then files",
        "current_data_key": crypto.keyring().current,  # the id, never the key
        "not_included": "PRESSPASS_DATA_KEYS, SECRET_KEY and the badge signing keys: keep them "
        "with the secrets",
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


def restore(folder: Path) -> dict:
    manifest = json.loads((folder / "manifest.json").read_text())
    vendor = connection.vendor
    if manifest["database"] != vendor:
        raise BackupError(f"This backup is of a {manifest['database']} database, not {vendor}.")
    root = _private_root()
    if root.is_dir() and any(p for p in root.iterdir() if p.name != INCOMING):
        raise BackupError(f"The private folder {root} is not empty: restore into an empty one.")
    if vendor == "postgresql":
        args, env = _pg_env()
        subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", *args, str(folder / DUMP_PG)],
            check=True,
            env=env,
        )
    else:
        connection.close()
        target = Path(settings.DATABASES["default"]["NAME"])
        if target.exists() and target.stat().st_size:
            raise BackupError(f"The database {target} exists: restore into a new one.")
        shutil.copyfile(folder / DUMP_SQLITE, target)
    if (folder / FILES).is_dir():
        shutil.copytree(folder / FILES, root, dirs_exist_ok=True)
    from accreditation.models import OutboxTask

    resent = OutboxTask.objects.filter(
        completed_at__isnull=True, failed_at__isnull=True, dispatched_at__isnull=False
    ).update(dispatched_at=None, started_at=None)
    return {**manifest, "outbox_made_pending": resent}
