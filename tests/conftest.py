import pytest
from django.core.cache import cache
from django.utils import translation

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
    # The tests post forms at once; tests/apply/test_bots.py turns the minimum fill time on.
    settings.PRESSPASS_MIN_FILL_SECONDS = 0
    # They post the form directly too; tests/apply/test_address.py, the browser and the
    # end-to-end tests go through the address step (verified_client below) as people do.
    settings.PRESSPASS_CONFIRM_ADDRESS_FIRST = False
    settings.ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
    from accreditation.privacy.storage import private_storage

    private_storage().reset()
    cache.clear()
    yield
    private_storage().reset()
    # A request in another language leaves it active in this thread (LocaleMiddleware does not
    # undo it): the next test starts in the default language again.
    translation.deactivate()


@pytest.fixture
def event(db):
    return make_event()


@pytest.fixture
def private_dir(settings):
    from pathlib import Path

    return Path(settings.STORAGES["private"]["OPTIONS"]["location"])


@pytest.fixture
def reviewer(db):
    from tests.factories import make_user

    return make_user("reviewer", "Reviewer")


@pytest.fixture
def supervisor(db):
    from tests.factories import make_user

    return make_user("supervisor", "Supervisor")


@pytest.fixture
def badge_desk(db):
    from tests.factories import make_user

    return make_user("desk", "Badge desk")


@pytest.fixture
def gate_agent(db):
    from tests.factories import make_user

    return make_user("gate", "Gate agent")
