"""A full disk while a journalist sends the form: the page says so in their language, keeps
everything they typed (and the files already kept), answers 503, and the operators are told —
it was Django's bare English 500 page, with everything lost. Run on a real, tiny file system
(a 1 MB tmpfs) where the machine lets the tests mount one."""

from __future__ import annotations

import logging
import os
import subprocess
import uuid

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from accreditation.apply.views import STORAGE_FULL
from accreditation.models import AccreditationRequest
from accreditation.privacy.storage import private_storage
from tests.factories import application_data, application_files, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def full_disk(tmp_path, settings):
    mount = tmp_path / "tiny"
    mount.mkdir()
    try:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
            capture_output=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        done = None
    if done is None or done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root and mount)")
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {**settings.STORAGES["private"], "OPTIONS": {"location": str(mount)}},
    }
    private_storage().reset()
    yield mount
    private_storage().reset()
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_keeps_what_was_typed_and_says_so_in_the_journalists_language(
    client, event, full_disk, caplog
):
    big = os.urandom(1536 * 1024)  # more than the whole file system holds
    files = application_files(photo=upload("me.jpg", b"\xff\xd8\xff\xe0" + big))
    with caplog.at_level(logging.ERROR):
        response = client.post(
            reverse("accreditation:apply", args=[event.slug]),
            {**application_data(event, family_names=f"El Idrissi {uuid.uuid4().hex[:4]}"), **files},
            HTTP_ACCEPT_LANGUAGE="fr",
        )
    assert response.status_code == 503
    html = response.content.decode()
    with translation.override("fr"):
        assert str(STORAGE_FULL) in response.context["form"].errors["photo"]
        assert str(STORAGE_FULL) != "" and 'lang="fr"' in html
    assert 'value="El Idrissi' in html  # what was typed is on the page again
    assert not AccreditationRequest.objects.exists()
    assert any("could not be stored" in r.getMessage() for r in caplog.records)


@override_settings(DEBUG=False)
def test_an_unexpected_error_shows_a_translated_page(client, settings):
    settings.ROOT_URLCONF = "tests.apply.boom_urls"
    client.raise_request_exception = False
    response = client.get("/boom/", HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 500
    with translation.override("es"):
        assert translation.gettext("Something went wrong on our side") in response.content.decode()
