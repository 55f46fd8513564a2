import pytest

from tests.factories import make_user
from tests.interviews.helpers import journalist, make_target


@pytest.fixture
def press_office(db):
    return make_user("press", "Press office", email="press@example.org")


@pytest.fixture
def target(event):
    return make_target(event)


@pytest.fixture
def amina(event):
    """An accredited (approved) journalist, writing in French."""
    return journalist(event, given_names="Amina", language="fr")
