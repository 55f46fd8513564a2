"""Bringing what is stored under the current key: files stored before encryption encrypted
(``manage.py encrypt_files``), and everything re-wrapped after a new key is put first in
PRESSPASS_DATA_KEYS (``manage.py rotate_keys``). Both are idempotent and resumable: each file
and each row is done on its own and recognised as done (its header, its key id), so a run
stopped anywhere is finished by the next one."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from accreditation.privacy import crypto
from accreditation.privacy.storage import PARTIAL, private_storage

log = logging.getLogger(__name__)

_NUMBER_BATCH = 500


@dataclass
class Counts:
    changed: int = 0
    unchanged: int = 0
    failed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"changed": self.changed, "unchanged": self.unchanged, "failed": len(self.failed)}


def _each_file(step) -> Counts:
    counts = Counts()
    storage = private_storage()
    for name in storage.names():
        try:
            done = step(storage, name)
        except FileNotFoundError:
            continue  # deleted meanwhile (a purge, a replaced document)
        except (crypto.DecryptionError, OSError) as exc:
            log.error("A private file could not be processed (%s): %s", type(exc).__name__, name)
            counts.failed.append(name)
            continue
        if done:
            counts.changed += 1
        else:
            counts.unchanged += 1
    return counts


def encrypt_files() -> Counts:
    """Encrypt, in place, every private file still stored in clear."""
    from accreditation.workflow import audit

    def step(storage, name) -> bool:
        if name.endswith(PARTIAL):  # left by a run stopped while writing it: the plain is kept
            storage.delete(name)
            return False
        return storage.encrypt_in_place(name)

    counts = _each_file(step)
    audit(action="storage.files_encrypted", actor_label="manage.py", data=counts.as_dict())
    return counts


def rewrap_files() -> Counts:
    """Re-wrap every encrypted file's data key under the current KEK (headers only)."""
    return _each_file(lambda storage, name: storage.rewrap(name))


def reseal_numbers() -> Counts:
    """Seal again, under the current key, every document number sealed under another (or not
    sealed at all), with its hash; rows already under the current key are left as they are."""
    from django.db import connection, transaction

    from accreditation.models import AccreditationRequest

    ring = crypto.keyring()
    field_name = AccreditationRequest._meta.get_field("id_document_number").associated_data
    table = connection.ops.quote_name(AccreditationRequest._meta.db_table)
    counts = Counts()
    last = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, id_document_number FROM {table} WHERE id > %s ORDER BY id LIMIT %s",
                [last, _NUMBER_BATCH],
            )
            rows = cursor.fetchall()
        if not rows:
            return counts
        last = rows[-1][0]
        updates = []
        for pk, stored in rows:
            if stored and crypto.is_sealed(stored) and crypto.sealed_key_id(stored) == ring.current:
                counts.unchanged += 1
                continue
            try:
                number = (
                    crypto.open_text(stored, field_name) if crypto.is_sealed(stored) else stored
                )
            except crypto.DecryptionError:
                log.error("A document number does not open (request id %s)", pk)
                counts.failed.append(str(pk))
                continue
            updates.append(
                (crypto.seal_text(number, field_name), crypto.number_hash(number), pk, stored)
            )
        with transaction.atomic(), connection.cursor() as cursor:
            for update in updates:
                # Only if it is still the value read: a number corrected meanwhile (sealed
                # under the current key by whoever corrected it) is not put back.
                cursor.execute(
                    f"UPDATE {table} SET id_document_number = %s, id_document_hash = %s "
                    "WHERE id = %s AND id_document_number = %s",
                    update,
                )
                if cursor.rowcount:
                    counts.changed += 1
                else:
                    counts.unchanged += 1


def left_under_other_keys() -> dict[str, int]:
    """What is not under the current key yet: files (wrapped under another key, or stored
    plain) and document numbers. All zero once every process runs with the new key first and
    rotate_keys has run after they restarted: only then may the old key be removed."""
    from django.db import connection

    from accreditation.models import AccreditationRequest

    current = crypto.keyring().current
    storage = private_storage()
    left = {"files": 0, "plain_files": 0, "numbers": 0}
    for name in storage.names():
        if name.endswith(PARTIAL):
            continue
        try:
            key_id = storage.key_id(name)
        except FileNotFoundError:
            continue
        if key_id is None:
            left["plain_files"] += 1
        elif key_id != current:
            left["files"] += 1
    table = connection.ops.quote_name(AccreditationRequest._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id_document_number FROM {table}")
        for (stored,) in cursor.fetchall():
            if stored and not (
                crypto.is_sealed(stored) and crypto.sealed_key_id(stored) == current
            ):
                left["numbers"] += 1
    return left


def rotate_keys() -> dict[str, Counts]:
    """Everything under the current key: files' data keys re-wrapped, numbers sealed again."""
    from accreditation.workflow import audit

    result = {"files": rewrap_files(), "numbers": reseal_numbers()}
    audit(
        action="storage.keys_rotated",
        actor_label="manage.py",
        data={"key": crypto.keyring().current, **{k: v.as_dict() for k, v in result.items()}},
    )
    return result
