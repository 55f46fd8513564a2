import pytest
from django.core.cache import cache

from tests.factories import make_event


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    """Each test gets its own private storage and an empty cache (rate limits)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            **settings.STORAGES["private"],
            "OPTIONS": {"location": str(tmp_path / "private")},
        },
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SITE_URL = "http://testserver"
    settings.ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
    from django.core.files.storage import storages

    storages._storages.pop("private", None)
    cache.clear()
    yield
    storages._storages.pop("private", None)


@pytest.fixture
def event(db):
    return make_event()


@pytest.fixture
def private_dir(settings):
    from pathlib import Path

    return Path(settings.STORAGES["private"]["OPTIONS"]["location"])
