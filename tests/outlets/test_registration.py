"""An outlet registers through the public form (four languages, bot defences, its proof
checked by content), and staff review it: approve, ask, reject, each audited."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from accreditation.errors import ServiceError
from accreditation.models import AuditEntry
from accreditation.outlets import registration
from accreditation.outlets.models import Outlet, OutletStatus
from tests.factories import image_bytes, make_request, make_user, pdf_bytes, upload
from tests.outlets.helpers import make_outlet, outlet_form

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_pow(settings):
    settings.PRESSPASS_POW_MAX_NUMBER = 0  # tested on its own below


def register_url(event) -> str:
    return reverse("outlets:register", kwargs={"slug": event.slug})


def post(client, event, data, proof=None, language="en"):
    payload = dict(data)
    if proof is not None:
        payload["proof"] = proof
    return client.post(register_url(event), payload, HTTP_ACCEPT_LANGUAGE=language)


def test_a_focal_point_registers_an_outlet_with_its_proof(
    client, event, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answer = post(client, event, outlet_form(), upload("letter.pdf", pdf_bytes()))
    assert answer.status_code == 302
    outlet = Outlet.objects.get()
    assert (outlet.name, outlet.name_key, outlet.host) == ("Hespress", "hespress", "hespress.com")
    assert outlet.focal_email == "desk@hespress.com"
    assert outlet.status == OutletStatus.SUBMITTED
    assert outlet.proof_content_type == "application/pdf"
    assert outlet.proof_outcome in ("pass", "warning")  # the document checks ran on it
    assert any(r["code"] == "file.type" for r in outlet.proof_checks)
    assert AuditEntry.objects.filter(action="outlet.submitted").exists()
    assert [m.to for m in mail.outbox] == [["desk@hespress.com"]]
    assert client.get(answer["Location"]).status_code == 200


@pytest.mark.parametrize(
    "language, expected",
    [("fr", "Joignez"), ("en", "Attach the outlet"), ("es", "Adjunte"), ("ar", "أرفق")],
)
def test_a_form_without_proof_is_refused_in_the_readers_language_keeping_what_was_typed(
    client, event, language, expected
):
    answer = post(client, event, outlet_form(name="Médi 1 TV"), language=language)
    assert answer.status_code == 400
    html = answer.content.decode()
    assert expected in html
    assert 'value="Médi 1 TV"' in html
    assert not Outlet.objects.exists()


def test_a_proof_that_is_not_a_document_is_refused_by_its_content(client, event):
    fake = upload("letter.pdf", b"<html><script>alert(1)</script></html>")
    answer = post(client, event, outlet_form(), fake)
    assert answer.status_code == 400
    assert "content was checked" in answer.content.decode()


def test_an_acceptable_proof_is_kept_when_the_rest_of_the_form_is_refused(client, event):
    answer = post(
        client, event, outlet_form(focal_email="not an address"), upload("l.jpg", image_bytes())
    )
    assert answer.status_code == 400
    assert 'id="kept-proof"' in answer.content.decode()
    answer = post(client, event, outlet_form())  # no file this time: the kept one serves
    assert answer.status_code == 302
    assert Outlet.objects.get().proof_content_type == "image/jpeg"


def test_an_outlet_registers_once_per_event(client, event):
    make_outlet(event, name="Hespress", website="https://hespress.com")
    answer = post(client, event, outlet_form(name="HESPRESS"), upload("l.pdf", pdf_bytes()))
    assert answer.status_code == 400
    assert "already registered" in answer.content.decode()


def test_the_honeypot_and_the_fill_time_stop_robots(client, event, settings):
    answer = post(client, event, outlet_form(homepage="http://spam"), upload("l.pdf", pdf_bytes()))
    assert answer.status_code == 400
    settings.PRESSPASS_MIN_FILL_SECONDS = 3
    page = client.get(register_url(event))
    assert page.status_code == 200
    answer = post(client, event, outlet_form(started=""), upload("l.pdf", pdf_bytes()))
    assert answer.status_code == 400
    assert not Outlet.objects.exists()


def test_the_form_asks_for_a_proof_of_work(client, event, settings):
    from tests.factories import solve_pow

    settings.PRESSPASS_POW_MAX_NUMBER = 1000
    answer = post(client, event, outlet_form(), upload("l.pdf", pdf_bytes()))
    assert answer.status_code == 400
    assert not Outlet.objects.exists()
    solved = solve_pow(answer.content.decode())
    answer = post(client, event, outlet_form(altcha=solved), upload("l.pdf", pdf_bytes()))
    assert answer.status_code == 302


def test_the_form_is_closed_after_the_deadline(client, db):
    from tests.factories import make_event

    closed = make_event(slug="past", deadline_in_days=-1)
    assert post(client, closed, outlet_form(), upload("l.pdf", pdf_bytes())).status_code == 403


# --- Staff's review -------------------------------------------------------------------------


def test_a_reviewer_approves_and_the_requests_naming_it_are_grouped(
    event, reviewer, django_capture_on_commit_callbacks
):
    outlet = make_outlet(event, status=OutletStatus.SUBMITTED)
    by_name = make_request(event, outlet_name="LE MATIN ", outlet_website="")
    by_site = make_request(
        event, outlet_name="Matin (daily)", outlet_website="http://www.lematin.ma/x"
    )
    other = make_request(event, outlet_name="Al Akhbar")
    with django_capture_on_commit_callbacks(execute=True):
        registration.outlet_approve(actor=reviewer, outlet=outlet)
    outlet.refresh_from_db()
    assert outlet.status == OutletStatus.APPROVED and outlet.decided_at
    grouped = set(outlet.links.values_list("request_id", flat=True))
    assert grouped == {by_name.pk, by_site.pk}
    assert other.pk not in grouped
    entry = AuditEntry.objects.get(action="outlet.approved")
    assert (entry.actor, entry.from_status, entry.to_status) == (reviewer, "submitted", "approved")
    # The focal point gets the link to its page; the grouped journalists are asked about.
    bodies = [m.body for m in mail.outbox if m.to == ["editor@lematin.ma"]]
    assert any("/outlets/page/" in body for body in bodies)
    assert sum("/outlets/confirm/" in body for body in bodies) == 2


def test_asking_and_rejecting_need_a_message_and_are_audited(event, reviewer):
    outlet = make_outlet(event, status=OutletStatus.SUBMITTED)
    with pytest.raises(ServiceError) as refused:
        registration.outlet_ask(actor=reviewer, outlet=outlet, message=" ")
    assert refused.value.code == "message_required"
    registration.outlet_ask(actor=reviewer, outlet=outlet, message="Send the registration.")
    registration.outlet_reject(actor=reviewer, outlet=outlet, reason="Not a media outlet.")
    outlet.refresh_from_db()
    assert outlet.status == OutletStatus.REJECTED
    assert list(
        AuditEntry.objects.filter(action__startswith="outlet.").values_list("action", flat=True)
    ) == ["outlet.info_requested", "outlet.rejected"]


def test_a_decided_outlet_cannot_be_approved_twice(event, reviewer):
    outlet = make_outlet(event, status=OutletStatus.SUBMITTED)
    registration.outlet_approve(actor=reviewer, outlet=outlet)
    with pytest.raises(ServiceError) as refused:
        registration.outlet_approve(actor=reviewer, outlet=outlet)
    assert refused.value.code == "invalid_transition"


def test_only_reviewers_decide(event):
    outlet = make_outlet(event, status=OutletStatus.SUBMITTED)
    with pytest.raises(ServiceError) as refused:
        registration.outlet_approve(actor=make_user("desk", "Badge desk"), outlet=outlet)
    assert refused.value.code == "forbidden"


def test_the_admin_records_a_decision(client, event, reviewer):
    outlet = make_outlet(event, status=OutletStatus.SUBMITTED)
    client.force_login(reviewer)
    page = client.get(reverse("admin:outlets_outlet_change", args=[outlet.pk]))
    assert page.status_code == 200
    answer = client.post(
        reverse("admin:outlets_outlet_decide", args=[outlet.pk]), {"decision": "approve"}
    )
    assert answer.status_code == 302
    outlet.refresh_from_db()
    assert outlet.status == OutletStatus.APPROVED


def test_a_robots_registration_keeps_no_file(settings, event, private_dir):
    """Found in review: a post with the honeypot filled (or no proof of work) kept its proof in
    private storage, 60 posts an hour from one address; a robot's file is no longer kept."""
    from django.test import Client
    from django.urls import reverse

    from accreditation.models import PendingUpload
    from tests.factories import pdf_bytes, upload
    from tests.outlets.helpers import outlet_form

    url = reverse("outlets:register", kwargs={"slug": event.slug})
    for n in range(3):
        data = outlet_form(name=f"Spam {n}", homepage="http://spam.example")
        data["proof"] = upload("x.pdf", pdf_bytes("junk " * 50))
        assert Client().post(url, data).status_code == 400
    assert not PendingUpload.objects.exists()
    assert not [p for p in private_dir.rglob("*") if p.is_file()]
