"""Private storage for personal documents: random names, no URL."""

import secrets

from django.core.files.storage import FileSystemStorage, storages
from django.utils.deconstruct import deconstructible


@deconstructible
class PrivateStorage(FileSystemStorage):
    def __init__(self, location=None, **kwargs):
        kwargs.pop("base_url", None)
        super().__init__(location=location, base_url=None, **kwargs)

    def url(self, name):  # pragma: no cover - a guard, exercised by the tests of the guard
        raise NotImplementedError("Private files have no URL; serve them through a checked view.")


def private_storage():
    return storages["private"]


def random_name(folder: str, extension: str) -> str:
    """A storage name that reveals nothing and cannot be guessed."""
    token = secrets.token_hex(16)
    return f"{folder}/{token[:2]}/{token}.{extension}"
