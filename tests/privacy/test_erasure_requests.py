"""The journalist asks for erasure from their status link; staff carry it out or refuse it in
the admin; the journalist is told in their language, and no copy of their address is left."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from accreditation.apply import links
from accreditation.models import AccreditationRequest, AuditEntry, OutboxTask
from accreditation.privacy import erasure_requests
from accreditation.privacy.models import ErasureRequest, Tombstone
from tests.factories import make_event, make_request, make_user
from tests.privacy.test_erasure import database_text

pytestmark = pytest.mark.django_db


def erase_url(req) -> str:
    status = links.status_path(req)
    return status + "erase/"


@pytest.fixture
def journalist(event):
    return make_request(
        event, language="es", email="lucia.marker@example.net", family_names="Ferrandiz"
    )


@pytest.fixture
def decider(db):
    """A supervisor: the role carries the erasure permissions (accreditation.roles)."""
    return make_user("supervisor", "Supervisor", email="sup@example.org")


def asked(client, req, django_capture_on_commit_callbacks) -> ErasureRequest:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(erase_url(req), {"confirm": "1"})
    assert response.status_code == 302
    return ErasureRequest.objects.get(request=req)


def test_the_page_says_what_is_erased_and_what_is_kept_in_the_journalists_language(
    client, journalist
):
    response = client.get(erase_url(journalist))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert 'id="erasure-erased"' in html and 'id="erasure-kept"' in html
    assert '<html lang="es"' in html
    assert reverse("privacy:erasure", args=[journalist.reference, "x"]).endswith("/erase/")


def test_a_wrong_link_shows_nothing(client, journalist):
    url = reverse("privacy:erasure", args=[journalist.reference, "not-the-token"])
    assert client.get(url).status_code == 404
    assert client.post(url, {"confirm": "1"}).status_code == 404
    assert not ErasureRequest.objects.exists()


def test_asking_without_confirming_asks_nothing_and_says_why(client, journalist):
    response = client.post(erase_url(journalist), {})
    assert response.status_code == 400
    assert 'id="erasure-error"' in response.content.decode()
    assert not ErasureRequest.objects.exists()


def test_asking_records_it_once_audited_and_tells_the_event_contact(
    client, event, journalist, django_capture_on_commit_callbacks
):
    erasure = asked(client, journalist, django_capture_on_commit_callbacks)
    assert erasure.status == "asked"
    assert AuditEntry.objects.filter(action="erasure.asked", request=journalist).count() == 1
    [notice] = mail.outbox
    assert notice.to == [event.contact_email]
    assert f"/admin/privacy/erasurerequest/{erasure.pk}/change/" in notice.body
    assert "Ferrandiz".lower() not in notice.body.lower()  # the link says who, not the mail

    with django_capture_on_commit_callbacks(execute=True):
        client.post(erase_url(journalist), {"confirm": "1"})
    assert ErasureRequest.objects.count() == 1
    page = client.get(erase_url(journalist)).content.decode()
    assert 'id="erasure-asked"' in page


def test_staff_carry_it_out_the_journalist_is_told_and_no_copy_of_the_address_is_left(
    client, event, journalist, decider, django_capture_on_commit_callbacks
):
    erasure = asked(client, journalist, django_capture_on_commit_callbacks)
    status_url = links.status_path(journalist)
    mail.outbox.clear()
    staff = client.__class__()
    staff.force_login(decider)
    page = staff.get(reverse("admin:privacy_erasurerequest_change", args=[erasure.pk]))
    assert page.status_code == 200 and 'id="erasure-decide-form"' in page.content.decode()

    decide = reverse("admin:privacy_erasurerequest_decide", args=[erasure.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(decide, {"decision": "carry_out", "confirm": "on"})
    assert response.status_code == 302

    erasure.refresh_from_db()
    assert erasure.status == "done" and erasure.request is None
    assert erasure.tombstone == Tombstone.objects.get()
    assert not AccreditationRequest.objects.filter(pk=journalist.pk).exists()
    [outcome] = mail.outbox
    assert outcome.to == ["lucia.marker@example.net"]
    assert erasure.notify_email == "" and erasure.notified_at is not None
    assert "lucia.marker" not in database_text()
    assert "ferrandiz" not in database_text()
    row = OutboxTask.objects.get(
        task_name=erasure_requests.SEND_EMAIL, kwargs__recipient="journalist"
    )
    assert row.kwargs == {"erasure_id": erasure.pk, "recipient": "journalist"}
    assert row.completed_at is not None
    # The status link is gone with the request.
    assert client.get(status_url).status_code == 404


def test_carrying_out_needs_the_confirmation_and_keeps_the_choice(
    client, journalist, decider, django_capture_on_commit_callbacks
):
    erasure = asked(client, journalist, django_capture_on_commit_callbacks)
    staff = client.__class__()
    staff.force_login(decider)
    decide = reverse("admin:privacy_erasurerequest_decide", args=[erasure.pk])
    response = staff.post(decide, {"decision": "carry_out"})
    assert response.status_code == 400
    html = response.content.decode()
    assert html.count("checked") == 1 and 'value="carry_out"' in html  # the choice made
    assert "Tick the box to confirm the erasure." in html
    assert AccreditationRequest.objects.filter(pk=journalist.pk).exists()


def test_refusing_needs_a_reason_which_the_journalist_gets(
    client, journalist, decider, django_capture_on_commit_callbacks
):
    erasure = asked(client, journalist, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    staff = client.__class__()
    staff.force_login(decider)
    decide = reverse("admin:privacy_erasurerequest_decide", args=[erasure.pk])
    assert staff.post(decide, {"decision": "refuse", "reason": "  "}).status_code == 400
    erasure.refresh_from_db()
    assert erasure.status == "asked"

    with django_capture_on_commit_callbacks(execute=True):
        staff.post(decide, {"decision": "refuse", "reason": "Security matter still open"})
    erasure.refresh_from_db()
    assert erasure.status == "refused"
    assert erasure.refusal_reason == "Security matter still open"
    assert AccreditationRequest.objects.filter(pk=journalist.pk).exists()
    [outcome] = mail.outbox
    assert outcome.to == ["lucia.marker@example.net"]
    assert "Security matter still open" in outcome.body
    with translation.override("es"):  # in the journalist's language: the date says so
        until = date_format(journalist.event.personal_data_until, "j F Y")
    assert until in outcome.body and until != date_format(
        journalist.event.personal_data_until, "j F Y"
    )
    assert erasure.notify_email == ""
    entry = AuditEntry.objects.get(action="erasure.refused")
    assert (entry.request_id, entry.actor_id) == (journalist.pk, decider.pk)


def test_a_decision_is_taken_once(client, journalist, decider, django_capture_on_commit_callbacks):
    erasure = asked(client, journalist, django_capture_on_commit_callbacks)
    erasure_requests.erasure_refuse(erasure=erasure, actor=decider, reason="Open matter")
    stale = ErasureRequest.objects.get(pk=erasure.pk)
    stale.status = "asked"  # what a second page, opened before, still shows
    with pytest.raises(erasure_requests.ServiceError) as refused:
        erasure_requests.erasure_carry_out(erasure=stale, actor=decider)
    assert refused.value.code == "not_allowed"
    assert AccreditationRequest.objects.filter(pk=journalist.pk).exists()


def test_a_reviewer_without_the_permission_cannot_decide(
    client, journalist, reviewer, django_capture_on_commit_callbacks
):
    erasure = asked(client, journalist, django_capture_on_commit_callbacks)
    with pytest.raises(erasure_requests.ServiceError) as refused:
        erasure_requests.erasure_carry_out(erasure=erasure, actor=reviewer)
    assert refused.value.code == "forbidden"
    staff = client.__class__()
    staff.force_login(reviewer)
    decide = reverse("admin:privacy_erasurerequest_decide", args=[erasure.pk])
    assert staff.post(decide, {"decision": "carry_out", "confirm": "on"}).status_code == 403
    assert AccreditationRequest.objects.filter(pk=journalist.pk).exists()


def test_no_one_erases_their_own_request(client, event, django_capture_on_commit_callbacks):
    own = make_request(event, email="sup2@example.org")
    erasure = asked(client, own, django_capture_on_commit_callbacks)
    user = make_user("sup2", "Supervisor", email="sup2@example.org")
    with pytest.raises(erasure_requests.ServiceError) as refused:
        erasure_requests.erasure_carry_out(erasure=erasure, actor=user)
    assert refused.value.code == "own_request"


def test_the_list_of_erasure_requests_costs_the_same_for_one_or_many(
    client, event, decider, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    staff = client.__class__()
    staff.force_login(decider)
    url = reverse("admin:privacy_erasurerequest_changelist")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert staff.get(url).status_code == 200
        return len(captured)

    erasure_requests.erasure_ask(request=make_request(event))
    one = queries()
    for _ in range(3):
        erasure_requests.erasure_ask(request=make_request(event))
    assert queries() == one


def test_the_persons_earlier_withdrawn_request_to_the_event_goes_too(
    client, event, decider, django_capture_on_commit_callbacks
):
    earlier = make_request(event, email="again@example.net", status="withdrawn")
    other_event = make_request(
        make_event(slug="other"), email="again@example.net", status="withdrawn"
    )
    current = make_request(event, email="again@example.net")
    erasure = asked(client, current, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        erasure_requests.erasure_carry_out(erasure=erasure, actor=decider)
    assert not AccreditationRequest.objects.filter(pk__in=[earlier.pk, current.pk]).exists()
    assert AccreditationRequest.objects.filter(pk=other_event.pk).exists()  # another event's
    assert Tombstone.objects.filter(event=event).count() == 2


def test_the_outcome_e_mail_delivered_twice_is_sent_once(
    client, journalist, decider, django_capture_on_commit_callbacks
):
    """The broker may deliver the task twice: one e-mail (and after it, no address to send a
    second one to)."""
    from accreditation.privacy.tasks import send_erasure_email

    erasure = asked(client, journalist, django_capture_on_commit_callbacks)
    erasure_requests.erasure_refuse(erasure=erasure, actor=decider, reason="Open matter")
    row = OutboxTask.objects.get(kwargs__recipient="journalist")  # not sent: no commit here
    mail.outbox.clear()
    message = {**row.kwargs, "outbox_id": row.pk}
    assert send_erasure_email.apply(kwargs=message).successful()
    assert send_erasure_email.apply(kwargs=message).successful()
    assert len(mail.outbox) == 1
    row.refresh_from_db()
    assert row.completed_at is not None and row.runs == 1
