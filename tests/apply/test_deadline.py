"""The deadline: its whole last second is in, and a form that arrives after it keeps what the
person typed on the closed page, with whom to write to."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import application_data, application_files

pytestmark = pytest.mark.django_db


def post(client, event, language="en", **fields):
    return client.post(
        reverse("accreditation:apply", args=[event.slug]),
        {**application_data(event, **fields), **application_files()},
        HTTP_ACCEPT_LANGUAGE=language,
    )


def test_the_deadline_takes_a_form_sent_within_its_last_second(client, db):
    """ "Until 23:59:59" includes 23:59:59.4 (it was refused); midnight is closed."""
    import datetime as dt

    import time_machine

    from tests.factories import make_event

    event = make_event(deadline_in_days=1)
    local = event.accreditation_deadline.astimezone(event.tz)
    event.accreditation_deadline = local.replace(hour=23, minute=59, second=59, microsecond=0)
    event.save()
    last = event.accreditation_deadline + dt.timedelta(milliseconds=400)
    with time_machine.travel(last, tick=False):
        assert post(client, event).status_code == 302
    client.cookies.clear()
    with time_machine.travel(event.accreditation_deadline + dt.timedelta(seconds=1), tick=False):
        closed = post(client, event, email="late@example.com")
    assert closed.status_code == 403


def test_a_form_sent_after_the_deadline_shows_what_was_typed_and_whom_to_write_to(client, db):
    """Filling in while the deadline passes: nothing is kept, but the page gives back every
    answer and a ready e-mail to the team, who can let the person apply late."""
    import datetime as dt
    from urllib.parse import unquote

    import time_machine

    from accreditation.models import AccreditationRequest
    from tests.factories import make_event

    event = make_event(deadline_in_days=1)
    with time_machine.travel(event.accreditation_deadline + dt.timedelta(minutes=3), tick=False):
        response = post(client, event, family_names="El Idrissi", outlet_name="Le Matin")
    assert response.status_code == 403
    html = response.content.decode()
    assert 'id="typed-answers"' in html and "El Idrissi" in html and "Le Matin" in html
    assert "Morocco" in html or "Maroc" in html  # a country shown by its name, not MA
    link = unquote(response.context["mailto"])
    assert link.startswith(f"mailto:{event.contact_email}?subject=")
    assert "El Idrissi" in link and "Le Matin" in link
    number = application_data(event)["id_document_number"]
    assert number in html and number not in link  # shown back, not put in an e-mail
    assert not AccreditationRequest.objects.exists()
