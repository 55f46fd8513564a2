"""`manage.py personal_data_search`: where a person's name, address or document number is, in
the database and in the private files, found before their erasure and nowhere after."""

from __future__ import annotations

import io

import pytest
from django.contrib.sessions.models import Session as BrowserSession
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError

from accreditation.models import Document
from accreditation.privacy.erasure import erase_request
from accreditation.privacy.models import ERASURE
from accreditation.privacy.search import Place, personal_data_search
from accreditation.privacy.storage import private_storage, random_name
from tests.factories import make_event, make_request, pdf_bytes

pytestmark = pytest.mark.django_db


def search(*args) -> tuple[int, str]:
    """The command's exit status and what it printed."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("personal_data_search", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue() + err.getvalue() + str(exc)
    return 0, out.getvalue() + err.getvalue()


@pytest.fixture
def journalist(event):
    return make_request(
        event,
        given_names="Élodie",
        family_names="Brönnum-Lacaze",
        email="elodie.bronnum@example.net",
        id_document_number="XK4455667",
    )


def test_a_journalist_is_found_by_name_address_and_number_and_only_where_they_are(journalist):
    # Without accents nor case, the words in another order: the request's columns, its key.
    status, printed = search("lacaze BRONNUM elodie")
    assert status == 1
    assert "database: accreditation_accreditationrequest.family_names, row " in printed
    assert f"accreditation_accreditationrequest.name_key, row {journalist.pk}" in printed
    # Where, never what: no value of the person is printed.
    assert "Brönnum" not in printed and "elodie.bronnum" not in printed

    status, printed = search("Elodie.Bronnum@example.net")
    assert (
        status == 1 and f"accreditation_accreditationrequest.email, row {journalist.pk}" in printed
    )

    # The number is stored sealed: found opened, and by its keyed hash.
    status, printed = search("XK 4455667")
    assert status == 1
    assert f"accreditation_accreditationrequest.id_document_number, row {journalist.pk}" in printed
    assert f"accreditation_accreditationrequest.id_document_hash, row {journalist.pk}" in printed

    assert search("Someone Else")[0] == 0


def test_after_the_erasure_nothing_of_them_is_found(journalist, event):
    make_request(event, family_names="Brönnum-Keptsister")
    erase_request(request=journalist, cause=ERASURE)
    for text in ("Élodie Brönnum-Lacaze", "elodie.bronnum@example.net", "XK4455667"):
        assert search(text) == (0, "Not found in the database nor in the private files.\n")
    assert search("Keptsister")[0] == 1  # everyone else's data stay


def test_the_text_inside_a_stored_pdf_is_found_through_the_storage(journalist, private_dir):
    # A letter naming the person: its page is compressed and the file is encrypted on disk.
    letter = pdf_bytes("Mission letter for Wrenfieldmarker Osei")
    assert b"Wrenfieldmarker" not in letter
    name = private_storage().save(random_name("documents", "pdf"), ContentFile(letter))
    Document.objects.create(
        request=journalist,
        kind="mission_letter",
        file=name,
        original_name="letter.pdf",
        content_type="application/pdf",
        size=len(letter),
        sha256="0" * 64,
    )
    assert b"Wrenfieldmarker" not in (private_dir / name).read_bytes()

    status, printed = search("osei WRENFIELDMARKER")
    assert status == 1 and printed.splitlines() == [f"storage: {name}", "Found in 1 place(s)."]


def test_a_browser_session_is_searched_decoded(client, journalist):
    session = client.session
    session["address:1"] = {"email": "elodie.bronnum@example.net"}
    session.save()
    # Stored signed and encoded: only its decoded form holds the address.
    assert not BrowserSession.objects.filter(session_data__icontains="bronnum").exists()
    findings = personal_data_search(["elodie.bronnum@example.net"])
    places = findings.places["elodie.bronnum@example.net"]
    assert Place("django_session.session_data", session.session_key) in places


def test_one_event_s_search_leaves_the_other_events_rows_aside(journalist, event):
    elsewhere = make_event(slug="elsewhere")
    make_request(elsewhere, family_names="Elsewheremarker")
    assert search("Elsewheremarker")[0] == 1
    assert search("Elsewheremarker", "--event", event.slug)[0] == 0
    assert search("Elsewheremarker", "--event", "elsewhere")[0] == 1


def test_a_mistake_in_the_command_is_not_an_answer(journalist):
    """Exit status 2, not 0 (which would say "not found") nor 1 ("found")."""
    status, printed = search("Brönnum", "--event", "nope")
    assert status == 2 and "No event has the slug 'nope'." in printed
    status, printed = search(" — ")
    assert status == 2 and "Give a name, an e-mail address or a document number" in printed


def test_an_upload_left_in_the_incoming_folder_is_searched_too(private_dir):
    """A web process killed while receiving an upload leaves it plain in incoming/ (purged
    later by incoming_purge): until then it holds the person too."""
    (private_dir / "incoming").mkdir(parents=True, exist_ok=True)
    (private_dir / "incoming" / "upload-1.part").write_bytes(b"...Leftovermarker Person...")
    status, printed = search("leftovermarker person")
    assert status == 1 and "storage: incoming/upload-1.part" in printed
