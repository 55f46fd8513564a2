"""A journalist's submission with its background work run, keeping what was sent (the stored
files are encrypted: a test compares what opens with these bytes)."""

from __future__ import annotations

from django.urls import reverse

from accreditation.models import AccreditationRequest
from tests.factories import application_data, application_files


def submit_and_check(client, event, capture) -> tuple[AccreditationRequest, dict[str, bytes]]:
    """Post the form with its files, run the checks (on commit), and give the request and the
    bytes sent per file field."""
    files = application_files()
    sent = {field: upload.read() for field, upload in files.items()}
    for upload in files.values():
        upload.seek(0)
    with capture(execute=True):
        response = client.post(
            reverse("accreditation:apply", args=[event.slug]),
            {**application_data(event), **files},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 302
    return AccreditationRequest.objects.get(), sent
