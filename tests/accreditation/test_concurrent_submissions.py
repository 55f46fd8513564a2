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
