"""The demo, as issue 21's "done when" asks: `make demo` prints the data-protection walk; the demo
journalist downloads her data and asks for erasure from her status link, the supervisor carries
it out in the admin with the password the demo printed, a search of the whole database and of
the storage finds nothing of her, and after the retention date the purge leaves only the
event's statistics (docs/privacy.md)."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from accreditation.models import AccreditationRequest
from accreditation.privacy.demo import DEMO_JOURNALIST, DEMO_SEARCH
from accreditation.privacy.models import ErasureRequest, EventStatistics, Tombstone
from accreditation.privacy.retention import retention_purge
from events.demo import GA93_SLUG
from events.models import Event
from tests.outlets.helpers import path_of

pytestmark = pytest.mark.django_db


def where(text: str) -> str:
    """What `manage.py personal_data_search <text>` prints when it finds it (exit status 1);
    empty when it does not (exit status 0)."""
    out = io.StringIO()
    try:
        call_command("personal_data_search", text, stdout=out)
    except CommandError as exc:
        assert exc.returncode == 1, exc
        return out.getvalue()
    return ""


def found(text: str) -> bool:
    return bool(where(text))


@pytest.fixture
def demo(django_capture_on_commit_callbacks) -> str:
    """What `make demo` prints, its e-mails and checks run as its worker runs them."""
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_the_demo_prints_the_walk_and_seeds_its_journalist_once(demo):
    assert "Data protection walk (docs/privacy.md):" in demo
    assert f'manage.py personal_data_search "{DEMO_SEARCH}"' in demo
    assert "/admin/privacy/erasurerequest/" in demo
    call_command("seed_demo", stdout=io.StringIO())  # a second run: nobody doubles
    email = DEMO_JOURNALIST["email"]
    assert AccreditationRequest.objects.filter(email=email).count() == 1


def test_the_data_protection_walk_on_the_seeded_demo(demo, django_capture_on_commit_callbacks):
    link = re.search(r"status link: (\S+)", demo)
    login = re.search(r"Staff login:  staff / (\S+)", demo)
    assert link and login
    status, password = path_of(link[1]), login[1]
    event = Event.objects.get(slug=GA93_SLUG)

    # The journalist, on her status page: her data's download, then her erasure request.
    journalist = Client()
    page = journalist.get(status).content.decode()
    assert 'id="export-link"' in page and 'id="erasure-link"' in page
    assert journalist.get(f"{status}data/").status_code == 200
    download = journalist.post(f"{status}data/")
    assert download["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    data = archive.read("data.json").decode()
    assert "Benjelloun" in data and DEMO_JOURNALIST["id_document_number"] in data
    assert len(archive.namelist()) > 3  # data.json, her passport, press card and photo
    # Before: she is in the database and in her passport's stored (encrypted) PDF.
    before = where(DEMO_SEARCH)
    assert "database: accreditation_accreditationrequest.family_names" in before
    assert "storage: " in before and found(DEMO_JOURNALIST["email"])

    assert journalist.post(f"{status}erase/").status_code == 400  # the box not ticked
    with django_capture_on_commit_callbacks(execute=True):
        assert journalist.post(f"{status}erase/", {"confirm": "1"}).status_code == 302
    erasure = ErasureRequest.objects.get(status="asked")

    # The supervisor signs in with the printed password and carries it out.
    staff = Client()
    signed_in = staff.post(reverse("admin:login"), {"username": "supervisor", "password": password})
    assert signed_in.status_code == 302
    listing = staff.get(reverse("admin:privacy_erasurerequest_changelist")).content.decode()
    assert reverse("admin:privacy_erasurerequest_change", args=[erasure.pk]) in listing
    decide = reverse("admin:privacy_erasurerequest_decide", args=[erasure.pk])
    refused = staff.post(decide, {"decision": "carry_out"})  # the box not ticked
    assert refused.status_code == 400
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        done = staff.post(decide, {"decision": "carry_out", "confirm": "on"}, follow=True)
    assert "The request&#x27;s data were erased." in done.content.decode()
    [told] = mail.outbox  # the last use of her address
    assert told.to == [DEMO_JOURNALIST["email"]]

    # Her link no longer works, and nothing of her is found, in the database nor the files.
    gone = journalist.get(status)
    assert gone.status_code == 404 and "no longer valid" in gone.content.decode()
    for text in (
        DEMO_SEARCH,
        "Leïla Benjelloun",
        DEMO_JOURNALIST["email"],
        DEMO_JOURNALIST["id_document_number"],
        DEMO_JOURNALIST["phone"],
        DEMO_JOURNALIST["name_native"],
    ):
        assert not found(text), text
    assert Tombstone.objects.filter(event=event, cause="erasure").count() == 1

    # After the retention date, the purge leaves the event's statistics and tombstones only.
    people = ["Salma Bennani", "Nadia Bennani", "desk@atlas-tv.example", "sg.office@example.org"]
    assert all(found(text) for text in people)
    after = dt.datetime.combine(
        event.personal_data_until + dt.timedelta(days=1), dt.time(12), tzinfo=event.tz
    )
    with time_machine.travel(after, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            retention_purge()
    assert not any(found(text) for text in people)
    assert not AccreditationRequest.objects.filter(event=event).exists()
    # The figures count both: the one erased before (by her tombstone) and the one purged.
    statistics = EventStatistics.objects.get(event=event)
    assert statistics.requests == 2 == Tombstone.objects.filter(event=event).count()
    assert statistics.by_status == {"approved": 1, "info_requested": 1}
    assert statistics.by_nationality == {"MA": 1}  # the one purged: the erased one is not
