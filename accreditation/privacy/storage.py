"""Private storage for personal documents: random names, no URL, encrypted at rest.

Every file is written encrypted and read decrypted here, in the storage, so that no caller can
forget (accreditation/privacy/crypto.py: the format, the keys). ``save`` encrypts whatever it
is given — an upload received into ``incoming/`` is encrypted into its place and the plain
copy removed, where it used to be renamed; ``open`` gives the content, checked; ``path`` still
names the stored (encrypted) file, for backups and folder walks, never for reading content.

A file stored before encryption (no header) is read as it is, with a warning in the log, until
``manage.py encrypt_files`` has encrypted it: refusing it would stop the desk and the reviewers
on the day of an upgrade, and a plain file proves nothing a plain file did not prove before.
``PRESSPASS_READ_PLAIN_FILES=0`` refuses them once the command has run."""

import datetime
import logging
import os
import secrets
import tempfile
import time
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, storages
from django.http import FileResponse, HttpResponse
from django.utils.deconstruct import deconstructible
from django.utils.functional import LazyObject, empty
from django.utils.http import content_disposition_header

from accreditation.privacy import crypto

log = logging.getLogger(__name__)


PARTIAL = ".encrypting"  # a file being encrypted in place, beside its plain self


class _Sealed:
    """What the file system storage writes for a content: its encrypted chunks."""

    def __init__(self, content, name: str):
        self._content = content
        self._name = name

    def chunks(self, chunk_size=None):
        if hasattr(self._content, "seek"):
            self._content.seek(0)
        return crypto.encrypt_chunks(self._content.chunks(crypto.CHUNK), name=self._name)


class _Encrypted:
    """An encrypted file written beside the storage, for FileSystemStorage to move into place."""

    def __init__(self, path: str):
        self._path = path

    def temporary_file_path(self) -> str:
        return self._path


def _sealed_spool(content, name: str) -> File:
    """The encrypted form of a content in a temporary file (for a bucket's upload)."""
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    if hasattr(content, "seek"):
        content.seek(0)
    for piece in crypto.encrypt_chunks(content.chunks(crypto.CHUNK), name=name):
        spool.write(piece)
    spool.seek(0)
    return File(spool)


if TYPE_CHECKING:  # for the type checker: what the mixin is put before
    from django.core.files.storage import FileSystemStorage as _StorageBase
else:
    _StorageBase = object


class EncryptedStorageMixin(_StorageBase):
    """Encrypts on save, decrypts on open (see the module's text)."""

    def _open(self, name, mode="rb"):
        if any(flag in mode for flag in "wa+"):
            raise ValueError("Private files are written with save(), never opened for writing.")
        stored = super()._open(name, "rb")
        return File(self._reader(stored, name), name)

    def _reader(self, stored, name):
        head = stored.read(crypto.HEADER_SIZE)
        if crypto.is_encrypted(head):
            try:
                return crypto.DecryptedFile(stored, head, stored.size, name=name)
            except Exception:
                stored.close()
                raise
        if not settings.PRESSPASS_READ_PLAIN_FILES:
            stored.close()
            raise crypto.PlainFileError(f"{name} is not encrypted: run manage.py encrypt_files")
        log.warning("A private file is stored unencrypted (run manage.py encrypt_files): %s", name)
        stored.seek(0)
        return stored

    def size(self, name):
        with super()._open(name, "rb") as stored:
            head = stored.read(crypto.HEADER_SIZE)
            stored_size = stored.size
        if crypto.is_encrypted(head):
            return crypto.plain_size(stored_size)
        return stored_size

    def is_encrypted(self, name) -> bool:
        with super()._open(name, "rb") as stored:
            return crypto.is_encrypted(stored.read(len(crypto.MAGIC)))

    def key_id(self, name) -> str | None:
        """The key the file's data key is wrapped under; None for a file stored plain."""
        with super()._open(name, "rb") as stored:
            return crypto.header_key_id(stored.read(crypto.HEADER_SIZE))

    def names(self, folder: str = ""):
        """Every stored file's name (the folder of uploads being received aside)."""
        folders, files = self.listdir(folder)
        for file in files:
            yield f"{folder}/{file}" if folder else file
        for sub in folders:
            if not folder and sub == INCOMING:
                continue
            yield from self.names(f"{folder}/{sub}" if folder else sub)


@deconstructible
class PrivateStorage(EncryptedStorageMixin, FileSystemStorage):
    def __init__(self, location=None, **kwargs):
        kwargs.pop("base_url", None)
        super().__init__(location=location, base_url=None, **kwargs)

    def url(self, name):  # pragma: no cover - a guard, exercised by the tests of the guard
        raise NotImplementedError("Private files have no URL; serve them through a checked view.")

    def _save(self, name, content):
        # An upload received beside us (accreditation/apply/uploads.py) used to be renamed into
        # place: it is now encrypted into a file beside it, which is renamed into place (a
        # failure, e.g. a full disk, leaves no half-written file under a stored name), and its
        # clear copy removed as a move would.
        moved = content.temporary_file_path() if hasattr(content, "temporary_file_path") else None
        fd, partial = tempfile.mkstemp(dir=_incoming_folder(self.location), suffix=PARTIAL)
        try:
            with os.fdopen(fd, "wb") as sealed:
                for piece in _Sealed(content, name).chunks():
                    sealed.write(piece)
            stored = super()._save(name, _Encrypted(partial))
            if stored != name:  # taken meanwhile: sealed for a name it is not stored under
                self.delete(stored)
                raise FileExistsError(name)
        except BaseException:
            if os.path.exists(partial):
                os.remove(partial)
            raise
        if moved:
            try:
                os.remove(moved)
            except FileNotFoundError:
                pass
        return stored

    def rewrap(self, name) -> bool:
        """Re-wrap the file's key under the current KEK, in place (its header only); False when
        it already is, or is not encrypted."""
        with open(self.path(name), "r+b") as handle:
            head = handle.read(crypto.HEADER_SIZE)
            if not crypto.is_encrypted(head):
                return False
            header = crypto.rewrapped_header(head)
            if header is None:
                return False
            handle.seek(0)
            handle.write(header)
            handle.flush()
            os.fsync(handle.fileno())
        return True

    def encrypt_in_place(self, name) -> bool:
        """Encrypt a file stored plain; False when it already is encrypted. The encrypted copy
        is written beside it and renamed over it: a crash leaves one or the other, whole."""
        path = self.path(name)
        with open(path, "rb") as plain:
            if crypto.is_encrypted(plain.read(len(crypto.MAGIC))):
                return False
            plain.seek(0)
            folder = os.path.dirname(path)
            fd, partial = tempfile.mkstemp(dir=folder, suffix=PARTIAL)
            try:
                with os.fdopen(fd, "wb") as sealed:
                    for piece in crypto.encrypt_chunks(File(plain).chunks(crypto.CHUNK), name=name):
                        sealed.write(piece)
                    sealed.flush()
                    os.fsync(sealed.fileno())
                if self.file_permissions_mode is not None:
                    os.chmod(partial, self.file_permissions_mode)
                else:
                    os.chmod(partial, 0o600)
                if os.fstat(plain.fileno()).st_nlink == 0:
                    # Deleted while we encrypted it (an erasure): it must not come back.
                    os.remove(partial)
                    return False
                os.replace(partial, path)
            except BaseException:
                if os.path.exists(partial):
                    os.remove(partial)
                raise
        return True


class _PrivateStorageProxy(LazyObject):
    """Resolves STORAGES["private"] on first use, so a FileField does not pin the storage at
    import time (tests and deployments may configure it later)."""

    def _setup(self):
        self._wrapped = storages["private"]

    def reset(self) -> None:
        self._wrapped = empty


_private = _PrivateStorageProxy()


def private_storage():
    return _private


class UnreadableFileError(FileNotFoundError):
    """A stored file that does not open (altered, or its key gone): not sent."""


def private_file_response(
    name: str, *, filename: str | None, content_type: str, as_attachment: bool
) -> HttpResponse:
    """One private file as a response, never cached nor sniffed; call it once access is checked.

    The web process streams the file, decrypting it chunk by chunk: nginx cannot decrypt, so
    PRESSPASS_X_ACCEL_PREFIX (nginx sending the file itself) no longer applies to private files
    (a document is at most PRESSPASS_MAX_FILE_MB; staff open a few at a time). A missing file
    raises FileNotFoundError, one that does not open UnreadableFileError (one of them)."""
    storage = private_storage()
    try:
        opened = storage.open(name, "rb")
    except crypto.DecryptionError:
        # Altered where it is stored, or under a key no longer listed: never sent. Callers
        # answer it as a file no longer kept (an UnreadableFileError is a FileNotFoundError).
        from config.logs import security_event

        security_event("document.unreadable", outcome="failed")
        raise UnreadableFileError(name) from None
    response = FileResponse(opened, content_type=content_type)
    disposition = content_disposition_header(as_attachment, filename) or "inline"
    response["Content-Disposition"] = disposition
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    return response


INCOMING = "incoming"  # uploads being received, inside a local private storage


def _incoming_folder(location: str) -> str:
    path = os.path.join(location, INCOMING)
    if not os.path.isdir(path):
        # Private storage may not exist yet either (a new deployment): both only for us.
        for folder in (location, path):
            if not os.path.isdir(folder):
                os.makedirs(folder, exist_ok=True)
                os.chmod(folder, 0o700)
    return path


def incoming_dir() -> str | None:
    """Where uploads are written while they stream in: inside the private storage when it is a
    local (or shared) folder, on the same file system as their final place (keeping one
    encrypts it there and renames it into place); otherwise (a bucket) Django's temporary
    folder."""
    storage = private_storage()
    if not isinstance(storage, FileSystemStorage):  # the proxy passes isinstance through
        return settings.FILE_UPLOAD_TEMP_DIR
    return _incoming_folder(storage.location)


def incoming_purge(*, older_than: datetime.timedelta) -> int:
    """Delete uploads left in the incoming folder by a web process killed while receiving them
    (a finished request always deletes or moves its own)."""
    storage = private_storage()
    if not isinstance(storage, FileSystemStorage):
        return 0
    cutoff = time.time() - older_than.total_seconds()
    count = 0
    try:
        entries = list(os.scandir(os.path.join(storage.location, INCOMING)))
    except FileNotFoundError:
        return 0
    for entry in entries:
        try:
            if entry.is_file() and entry.stat().st_mtime < cutoff:
                os.remove(entry.path)
                count += 1
        except FileNotFoundError:
            pass
    return count


try:
    from storages.backends.s3 import S3Storage
except ImportError:  # pragma: no cover - django-storages is a locked dependency
    S3Storage = None


if S3Storage is not None:

    @deconstructible
    class PrivateS3Storage(EncryptedStorageMixin, S3Storage):
        """Private documents in an S3-compatible bucket shared by every node: private ACL, no URL,
        each object encrypted (the bucket never sees the content)."""

        default_acl = "private"
        file_overwrite = False

        def url(self, name, *args, **kwargs):
            raise NotImplementedError(
                "Private files have no URL; serve them through a checked view."
            )

        def _save(self, name, content):
            return super()._save(name, _sealed_spool(content, name))

        def _replace(self, name, stored: bytes) -> None:
            """Write an object again under its own name (objects are never changed in part)."""
            from storages.utils import clean_name

            obj = self.bucket.Object(self._normalize_name(clean_name(name)))
            obj.put(Body=stored, ACL=self.default_acl, ContentType="application/octet-stream")

        def rewrap(self, name) -> bool:
            """Re-wrap the object's key under the current KEK: the same sealed content with a new
            header, written again (a bucket cannot rewrite 128 bytes of an object in place)."""
            with super(EncryptedStorageMixin, self)._open(name, "rb") as stored:
                data = stored.read()
            if not crypto.is_encrypted(data):
                return False
            header = crypto.rewrapped_header(data[: crypto.HEADER_SIZE])
            if header is None:
                return False
            self._replace(name, header + data[crypto.HEADER_SIZE :])
            return True

        def encrypt_in_place(self, name) -> bool:
            with super(EncryptedStorageMixin, self)._open(name, "rb") as stored:
                data = stored.read()
            if crypto.is_encrypted(data):
                return False
            self._replace(name, crypto.encrypt_bytes(data, name=name))
            return True


def random_name(folder: str, extension: str) -> str:
    """A storage name that reveals nothing and cannot be guessed."""
    token = secrets.token_hex(16)
    return f"{folder}/{token[:2]}/{token}.{extension}"
