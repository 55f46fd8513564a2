"""Uploaded files before a form is accepted: decided by content at upload, kept for the draft (a refused form loses no file), purged when abandoned."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accreditation.errors import ServiceError
from accreditation.filetypes import EXTENSIONS, JPEG, PDF, PNG, screen, sniff, sniff_bytes
from accreditation.models import (
    Document,
    PendingUpload,
)
from accreditation.privacy.storage import incoming_purge, private_storage, random_name

ALLOWED_TYPES: dict[str, frozenset[str]] = {
    Document.Kind.IDENTITY: frozenset({JPEG, PNG, PDF}),
    Document.Kind.IDENTITY_BACK: frozenset({JPEG, PNG, PDF}),
    Document.Kind.PRESS_CARD: frozenset({JPEG, PNG, PDF}),
    Document.Kind.PRESS_CARD_BACK: frozenset({JPEG, PNG, PDF}),
    Document.Kind.MISSION_LETTER: frozenset({JPEG, PNG, PDF}),
    Document.Kind.PHOTO: frozenset({JPEG, PNG}),
}


TYPE_LABELS = {JPEG: "JPEG", PNG: "PNG", PDF: "PDF"}


PHOTO_MIN_SIZE = (354, 472)


@dataclass(frozen=True)
class CheckedUpload:
    """An uploaded file whose content fits its slot, not kept yet (see uploads_stash and
    request_submit, which keep it)."""

    slot: str
    upload: UploadedFile
    content_type: str


def uploads_check(
    *, uploads: dict[str, UploadedFile]
) -> tuple[dict[str, CheckedUpload], dict[str, ServiceError]]:
    """Decide each file's type from its content and check that it fits its slot.

    Returns the acceptable files and, for each refused one, why ("file_type", "file_unreadable"
    or "photo_too_small"). Only the first bytes are looked at (kept by accreditation.apply.uploads as
    the file streamed in), and for a photo its header (its size in pixels): nothing is decoded
    here; the document checks that decode images run in the background.
    """
    checked: dict[str, CheckedUpload] = {}
    refused: dict[str, ServiceError] = {}
    for slot, upload in uploads.items():
        try:
            checked[slot] = CheckedUpload(slot, upload, _content_type(slot, upload))
        except ServiceError as exc:
            refused[slot] = exc
    return checked, refused


def _content_type(slot: str, upload: UploadedFile) -> str:
    head = getattr(upload, "head", None)
    content_type = sniff_bytes(head) if head is not None else sniff(upload)
    if content_type not in ALLOWED_TYPES[slot]:
        allowed = ", ".join(sorted(TYPE_LABELS[t] for t in ALLOWED_TYPES[slot]))
        raise ServiceError(
            "file_type",
            _("This file is not a %(allowed)s file (its content was checked, not its name).")
            % {"allowed": allowed},
            field=slot,
        )
    problem = screen(upload, content_type)
    if problem is not None:
        raise ServiceError(f"file_{problem}", _screen_message(problem, content_type), field=slot)
    if slot == Document.Kind.PHOTO:
        _check_photo_size(upload, content_type)
    return content_type


def _screen_message(problem: str, content_type: str) -> str:
    if problem == "malware":
        return _("This file was refused by the virus check. Send a clean copy of the document.")
    if problem == "markup":
        return _(
            "This file holds web-page code (HTML or a script) besides its picture or document, "
            "so it was refused. Send the original photo or scan."
        )
    return _(
        "This file is damaged or not entirely a %(type)s file, so it was refused. Send the "
        "original photo or scan."
    ) % {"type": TYPE_LABELS[content_type]}


def uploads_stash(*, draft_key: str, uploads: dict[str, CheckedUpload]) -> dict[str, PendingUpload]:
    """Keep checked files (privately) for this draft's submission, in one transaction; a new
    file replaces the one kept earlier for its slot. Returns the draft's kept files by slot."""
    return keep_pending(draft_key, store_uploads(draft_key, uploads))


def given_name(name: str, limit: int = 200) -> str:
    """The file name the person gave, kept to show them (never a path): shortened in its
    middle when too long, so that the end and its extension stay."""
    if len(name) <= limit:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or len(extension) > 10:
        return name[: limit - 1] + "…"
    return f"{stem[: limit - len(extension) - 2]}….{extension}"


def store_uploads(draft_key: str, uploads: dict[str, CheckedUpload]) -> list[PendingUpload]:
    """Move the files into private storage under random names; return their (unsaved) records."""
    storage = private_storage()
    rows: list[PendingUpload] = []
    try:
        for checked in uploads.values():
            upload = checked.upload
            # A file received by accreditation.apply.uploads is renamed into place, never copied.
            name = storage.save(random_name("pending", EXTENSIONS[checked.content_type]), upload)
            rows.append(
                PendingUpload(
                    draft_key=draft_key,
                    slot=checked.slot,
                    file=name,
                    original_name=given_name(upload.name or ""),
                    content_type=checked.content_type,
                    size=upload.size,
                )
            )
    except Exception:
        for row in rows:
            storage.delete(row.file.name)
        raise
    return rows


def keep_pending(draft_key: str, rows: list[PendingUpload]) -> dict[str, PendingUpload]:
    """Record stored files as the draft's pending uploads (deleted if that fails)."""
    if not rows:
        return pending_uploads(draft_key)
    for attempt in range(3):
        try:
            with transaction.atomic():
                kept = pending_uploads(draft_key)
                replaced = [kept.pop(row.slot) for row in rows if row.slot in kept]
                if replaced:
                    PendingUpload.objects.filter(pk__in=[p.pk for p in replaced]).delete()
                PendingUpload.objects.bulk_create(rows)
            break
        except IntegrityError:
            # Another post of the same draft (a double tap) kept a file for the same slot
            # between our read and our insert: read again, and the later file wins.
            for row in rows:
                row.pk = None
            if attempt < 2:
                continue
            _delete_files(rows)
            raise
        except Exception:
            _delete_files(rows)
            raise
    for old in replaced:
        private_storage().delete(old.file.name)
    return {**kept, **{row.slot: row for row in rows}}


def _delete_files(rows: list[PendingUpload]) -> None:
    for row in rows:
        private_storage().delete(row.file.name)


def _check_photo_size(upload: UploadedFile, content_type: str) -> None:
    from PIL import Image

    upload.seek(0)
    try:
        # Reads the header only (up to the frame size), never the pixels.
        with Image.open(upload, formats=[TYPE_LABELS[content_type]]) as image:
            width, height = image.size
    except Exception:
        raise ServiceError(
            "file_unreadable", _("This picture cannot be read."), field="photo"
        ) from None
    finally:
        upload.seek(0)
    if width < PHOTO_MIN_SIZE[0] or height < PHOTO_MIN_SIZE[1]:
        raise ServiceError(
            "photo_too_small",
            _("The photo is %(width)s×%(height)s pixels; at least %(min_w)s×%(min_h)s are needed.")
            % {
                "width": width,
                "height": height,
                "min_w": PHOTO_MIN_SIZE[0],
                "min_h": PHOTO_MIN_SIZE[1],
            },
            field="photo",
        )


def pending_uploads(draft_key: str) -> dict[str, PendingUpload]:
    return {p.slot: p for p in PendingUpload.objects.filter(draft_key=draft_key)}


def pending_discard(*, draft_key: str, slot: str) -> None:
    for pending in PendingUpload.objects.filter(draft_key=draft_key, slot=slot):
        private_storage().delete(pending.file.name)
        pending.delete()


def pending_purge(*, older_than: dt.timedelta = dt.timedelta(hours=24)) -> int:
    """Delete files of abandoned forms (Celery beat), and uploads a killed web process left
    half-received."""
    stale = PendingUpload.objects.filter(created_at__lt=timezone.now() - older_than)
    count = 0
    for pending in stale:
        private_storage().delete(pending.file.name)
        pending.delete()
        count += 1
    incoming_purge(older_than=older_than)
    return count
