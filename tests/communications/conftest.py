import pytest

from tests.communications.helpers import RefusingBackend, press_office


@pytest.fixture
def press(db):
    return press_office()


@pytest.fixture
def refusing(settings):
    settings.EMAIL_BACKEND = "tests.communications.helpers.RefusingBackend"
    RefusingBackend.refused = set()
    yield RefusingBackend
    RefusingBackend.refused = set()
