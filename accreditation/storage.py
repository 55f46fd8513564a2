"""Private storage for personal documents: random names, no URL."""

import secrets

from django.core.files.storage import FileSystemStorage, storages
from django.utils.deconstruct import deconstructible
from django.utils.functional import LazyObject, empty


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
