"""Private storage for personal documents: random names, no URL."""

import datetime
import os
import secrets
import time
from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.http import FileResponse, HttpResponse
from django.utils.deconstruct import deconstructible
from django.utils.functional import LazyObject, empty
from django.utils.http import content_disposition_header


@deconstructible
class PrivateStorage(FileSystemStorage):
    def __init__(self, location=None, **kwargs):
        kwargs.pop("base_url", None)
        super().__init__(location=location, base_url=None, **kwargs)

    def url(self, name):  # pragma: no cover - a guard, exercised by the tests of the guard
        raise NotImplementedError("Private files have no URL; serve them through a checked view.")


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


def private_file_response(
    name: str, *, filename: str | None, content_type: str, as_attachment: bool
) -> HttpResponse:
    """One private file as a response, never cached nor sniffed; call it once access is checked.

    With PRESSPASS_X_ACCEL_PREFIX set (and files in a folder, not a bucket) the response is empty
    and names the file for nginx to send from its `internal` location (X-Accel-Redirect, see
    config/nginx/presspass.conf), so the web process is free at once; otherwise the web process
    streams the file. Either way a missing file raises FileNotFoundError."""
    storage = private_storage()
    prefix = settings.PRESSPASS_X_ACCEL_PREFIX
    if prefix and isinstance(storage, FileSystemStorage):
        if not storage.exists(name):
            raise FileNotFoundError(name)
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = f"{prefix}/{quote(name)}"
    else:
        response = FileResponse(storage.open(name, "rb"), content_type=content_type)
    disposition = content_disposition_header(as_attachment, filename) or "inline"
    response["Content-Disposition"] = disposition
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    return response


INCOMING = "incoming"  # uploads being received, inside a local private storage


def incoming_dir() -> str | None:
    """Where uploads are written while they stream in: inside the private storage when it is a
    local (or shared) folder, so that keeping a file is a rename on the same file system, never
    a copy; otherwise (a bucket) Django's temporary folder."""
    storage = private_storage()
    if not isinstance(storage, FileSystemStorage):  # the proxy passes isinstance through
        return settings.FILE_UPLOAD_TEMP_DIR
    path = os.path.join(storage.location, INCOMING)
    if not os.path.isdir(path):
        # Private storage may not exist yet either (a new deployment): both only for us.
        for folder in (storage.location, path):
            if not os.path.isdir(folder):
                os.makedirs(folder, exist_ok=True)
                os.chmod(folder, 0o700)
    return path


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
    class PrivateS3Storage(S3Storage):
        """Private documents in an S3-compatible bucket shared by every node: private ACL, no URL."""

        default_acl = "private"
        file_overwrite = False

        def url(self, name, *args, **kwargs):
            raise NotImplementedError(
                "Private files have no URL; serve them through a checked view."
            )


def random_name(folder: str, extension: str) -> str:
    """A storage name that reveals nothing and cannot be guessed."""
    token = secrets.token_hex(16)
    return f"{folder}/{token[:2]}/{token}.{extension}"
