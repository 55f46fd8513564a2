"""The sweep of orphan files: files in the private storage that no row names, deleted once they
are old enough that no upload or transaction can still be about to name them.

How a file becomes an orphan: a backup's files copied after its database dump and restored (the
copy holds files no restored row names: docs/deploy.md), a crash between a file's save and its
row's commit, a worker killed between writing a derived copy and recording it. What an erasure
or the purge leaves behind is not this sweep's: their files are listed in FileToDelete
(erasure.files_delete_pending), and those names count as referenced here so that the two never
race. Uploads being received (``incoming/``) are not listed by the storage at all
(storage.names; storage.incoming_purge deletes the old ones).

The names referred to are collected from the models themselves, in one rule: every FileField
kept in the private storage, and every field the inventory classes as FILE (a JSON field such as
Document.derived holds storage names in its values). A new file field is covered as soon as it
exists; a new JSON field of names, once the inventory (which the coverage test makes complete)
says FILE.

Order matters: the storage is listed first, the database read after, the age checked last. A
file saved and named by a row committed in between is referred to by the time the database is
read; a file whose row is not committed yet is younger than the safety age."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.apps import apps
from django.db import models
from django.utils import timezone

from accreditation.privacy import inventory
from accreditation.privacy.models import FileToDelete
from accreditation.privacy.storage import private_storage
from accreditation.workflow import audit

log = logging.getLogger(__name__)

ACTOR = "presspass-orphans"
SWEPT = "privacy.orphans_swept"
# Younger files are never deleted: an upload being stored, a row not committed yet, a check
# between writing a derived copy and recording it (each takes seconds, not a day).
SAFETY_AGE = dt.timedelta(days=1)


@dataclass
class SweepCounts:
    stored: int = 0  # files listed in the storage
    referred: int = 0  # of them, named by a row
    young: int = 0  # named by nothing, kept: younger than the safety age
    orphans: int = 0  # named by nothing and old enough: deleted (or, in a dry run, to delete)
    failed: int = 0  # could not be deleted (the disk or the bucket away): the next run tries
    orphan_names: list[str] = field(default_factory=list)  # for the dry run's listing

    def as_data(self) -> dict[str, int]:
        return {
            "stored": self.stored,
            "referred": self.referred,
            "young": self.young,
            "orphans": self.orphans,
            "failed": self.failed,
        }


def _is_private(model_field: models.Field) -> bool:
    storage = getattr(model_field, "storage", None)
    return storage is private_storage or storage is private_storage()


def file_fields() -> list[tuple[type[models.Model], str]]:
    """Every (model, field name) that holds private storage names: FileFields on the private
    storage, and the fields the inventory classes as FILE."""
    found = []
    for label in inventory.APPS:
        try:
            config = apps.get_app_config(label)
        except LookupError:  # an app of the inventory not installed in this project
            continue
        for model in config.get_models():
            model_label = f"{model._meta.app_label}.{model.__name__}"
            for model_field in model._meta.concrete_fields:
                classed = inventory.category(model_label, model_field.name) == inventory.FILE
                stored = isinstance(model_field, models.FileField) and _is_private(model_field)
                if classed or stored:
                    found.append((model, model_field.name))
    return found


def _names_in(value) -> Iterator[str]:
    """The storage names in a field's value: a name, or the strings of a JSON value."""
    if isinstance(value, str):
        if value:
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _names_in(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _names_in(item)
    elif value is not None and getattr(value, "name", None):  # a FieldFile
        yield value.name


def referenced_names() -> set[str]:
    """Every storage name the database refers to, and the files an erasure will delete."""
    names: set[str] = set()
    for model, name in file_fields():
        rows = model._base_manager.exclude(**{f"{name}__isnull": True}).values_list(name, flat=True)
        for value in rows.iterator(chunk_size=2000):
            names.update(_names_in(value))
    names.update(FileToDelete.objects.values_list("name", flat=True))
    return names


def _older_than(storage, name: str, cutoff: dt.datetime) -> bool:
    try:
        modified = storage.get_modified_time(name)
    except FileNotFoundError:
        return False  # gone meanwhile
    if timezone.is_naive(modified):
        modified = timezone.make_aware(modified, dt.UTC)
    return modified < cutoff


def orphans_sweep(
    *,
    older_than: dt.timedelta = SAFETY_AGE,
    dry_run: bool = False,
    now: dt.datetime | None = None,
    storage=None,
) -> SweepCounts:
    """Delete the private files no row names that are older than ``older_than``; a dry run
    deletes nothing and lists them. Each run that may delete is audited, with counts only."""
    storage = storage or private_storage()
    cutoff = (now or timezone.now()) - older_than
    counts = SweepCounts()
    try:
        listed = list(storage.names())  # before the database is read: see above
    except FileNotFoundError:  # a new installation: no private folder yet, nothing stored
        listed = []
    counts.stored = len(listed)
    referred = referenced_names()
    for name in listed:
        if name in referred:
            counts.referred += 1
            continue
        try:
            old = _older_than(storage, name, cutoff)
        except OSError as exc:
            log.warning("An orphan's age could not be read (%s)", type(exc).__name__)
            counts.failed += 1
            continue
        if not old:
            counts.young += 1
            continue
        if not dry_run:
            try:
                storage.delete(name)
            except FileNotFoundError:
                pass
            except OSError as exc:  # the disk or the bucket away: the next run tries again
                log.warning("An orphan file was kept for the next run: %s", type(exc).__name__)
                counts.failed += 1
                continue
        counts.orphans += 1
        counts.orphan_names.append(name)
    if not dry_run:
        audit(action=SWEPT, actor_label=ACTOR, data=counts.as_data())
    log.info("Orphan files sweep%s: %s", " (dry run)" if dry_run else "", counts.as_data())
    return counts
