"""Concurrent submissions all succeed: on SQLite thanks to WAL and IMMEDIATE transactions (peers
backed by SQLite fail some with "database is locked"), and on PostgreSQL."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from accreditation.models import AccreditationRequest
from tests.factories import application_data, application_files, make_event


@pytest.mark.django_db(transaction=True)
def test_sixteen_journalists_submitting_at_once_all_get_their_confirmation():
    event = make_event(slug="rush")
    url = reverse("accreditation:apply", args=[event.slug])
    statuses: list[int] = []
    start = threading.Barrier(16)

    def journalist(n: int) -> None:
        try:
            client = Client(REMOTE_ADDR=f"10.0.0.{n}")
            payload = {**application_data(event, email=f"j{n}@example.com"), **application_files()}
            start.wait()
            statuses.append(client.post(url, payload).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=journalist, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [302] * 16
    assert AccreditationRequest.objects.filter(event=event).count() == 16
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            assert cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.django_db(transaction=True)
def test_a_double_tapped_send_keeps_one_copy_of_each_file_and_no_error(settings, tmp_path):
    """Two posts of the same draft at once (a double tap on a refused form): both keep their
    files without an error; the draft ends with one file per slot and nothing left on disk."""
    from accreditation import apply
    from accreditation.models import PendingUpload
    from tests.factories import pdf_bytes, upload

    private = tmp_path / "private"
    errors: list[BaseException] = []
    for round_ in range(10):
        start = threading.Barrier(2)

        def post(n: int, round_=round_, start=start) -> None:
            try:
                checked, refused = apply.uploads_check(
                    uploads={"identity": upload(f"p{n}.pdf", pdf_bytes(f"Passport {n}"))}
                )
                assert not refused
                start.wait()
                apply.uploads_stash(draft_key=f"draft-{round_}", uploads=checked)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=post, args=(n,)) for n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    kept = PendingUpload.objects.all()
    assert sorted(p.draft_key for p in kept) == sorted(f"draft-{r}" for r in range(10))
    on_disk = sorted(p.relative_to(private).as_posix() for p in private.rglob("*.pdf"))
    assert on_disk == sorted(p.file.name for p in kept)
