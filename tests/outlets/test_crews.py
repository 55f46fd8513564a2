"""A focal point's crew: personal links (expired, reused, someone else's), progress, removal
before approval, and the focal point's confirmation of a journalist who applied alone."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail

from accreditation.apply import address
from accreditation.errors import ServiceError
from accreditation.models import AuditEntry
from accreditation.outlets import crews, links
from accreditation.outlets.models import Confirmation, CrewStatus, OutletStatus
from tests.factories import make_request
from tests.outlets.helpers import make_outlet, path_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def outlet(event):
    return make_outlet(event)


def add(outlet, name="Omar Tazi", email="omar@lematin.ma", role="camera"):
    return crews.crew_add(outlet=outlet, name=name, email=email, role=role, language="fr")


def crew_link_in(message) -> str:
    return path_of(re.search(r"http://testserver/outlets/crew/\S+", message.body).group(0))


def test_the_focal_point_adds_a_member_who_gets_a_personal_link(
    client, outlet, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        member = add(outlet)
    [message] = mail.outbox
    assert message.to == ["omar@lematin.ma"]
    link = crew_link_in(message)
    assert client.get(link).status_code == 200  # looking does not use it
    answer = client.post(link)
    assert answer.status_code == 302 and "/apply/" in answer["Location"]
    # The form opens with the address proved and the outlet named.
    event = outlet.event
    assert address.session_address(client.session, event) == ("omar@lematin.ma", True)
    found = crews.crew_from_session(client.session, event)
    assert found == member
    assert crews.crew_initial(found)["outlet_name"] == "Le Matin"
    assert crews.crew_progress(outlet)[0].code == "started"


def test_a_used_link_does_not_open_the_form_twice(client, outlet):
    member = add(outlet)
    link = path_of(links.crew_url(member))
    assert client.post(link).status_code == 302
    other = client_class_new()
    answer = other.post(link)
    assert answer.status_code == 410
    assert "already used" in answer.content.decode()


def client_class_new():
    from django.test import Client

    return Client()


def test_an_expired_link_is_refused(client, outlet):
    member = add(outlet)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=links.CREW_LINK_DAYS + 1)
    with time_machine.travel(later):
        answer = client.post(path_of(links.crew_url(member)))
    assert answer.status_code == 410
    assert "expired" in answer.content.decode()


def test_someone_elses_token_opens_nothing(client, outlet):
    mine = add(outlet)
    theirs = add(outlet, name="Sara", email="sara@lematin.ma")
    token = links.crew_url(mine).rstrip("/").rsplit("/", 1)[1]
    answer = client.post(f"/outlets/crew/{theirs.pk}/{token}/")
    assert answer.status_code == 410
    assert crews.crew_from_session(client.session, outlet.event) is None


def test_a_resent_link_replaces_the_old_one_but_not_every_minute(client, outlet):
    import datetime as dt

    import time_machine

    from accreditation.errors import ServiceError

    member = add(outlet)
    old = path_of(links.crew_url(member))
    with pytest.raises(ServiceError) as soon:  # the focal page is no mail bomb
        crews.crew_resend(outlet=outlet, member_id=member.pk)
    assert soon.value.code == "resent_recently"
    with time_machine.travel(dt.timedelta(minutes=6)):
        crews.crew_resend(outlet=outlet, member_id=member.pk)
    member.refresh_from_db()
    assert client.post(old).status_code == 410
    assert client.post(path_of(links.crew_url(member))).status_code == 302


def test_the_members_request_is_confirmed_by_the_outlet_and_progress_follows_it(outlet):
    member = add(outlet)
    assert crews.crew_progress(outlet)[0].code == "invited"
    req = make_request(outlet.event, email="omar@lematin.ma", outlet_name="Le Matin")
    assert crews.request_submitted(request=req, address_confirmed=True) == "crew"
    member.refresh_from_db()
    assert (member.status, member.request) == (CrewStatus.COMPLETED, req)
    assert crews.request_confirmation(req).answer == Confirmation.Answer.CONFIRMED
    assert crews.crew_progress(outlet)[0].code == "submitted"
    req.status = "approved"
    req.save(update_fields=["status"])
    assert crews.crew_progress(outlet)[0].code == "decided"
    with pytest.raises(ServiceError) as refused:
        crews.crew_remove(outlet=outlet, member_id=member.pk)
    assert refused.value.code == "already_approved"


def test_an_unproved_address_is_not_taken_for_the_crew_member(outlet):
    add(outlet)
    req = make_request(outlet.event, email="omar@lematin.ma", outlet_name="Le Matin")
    assert crews.request_submitted(request=req, address_confirmed=False) == "asked"


def test_the_focal_point_removes_a_member_before_approval(outlet):
    member = add(outlet)
    req = make_request(outlet.event, email="omar@lematin.ma")
    crews.request_submitted(request=req, address_confirmed=True)
    crews.crew_remove(outlet=outlet, member_id=member.pk)
    member.refresh_from_db()
    assert member.status == CrewStatus.REMOVED
    assert crews.request_confirmation(req) is None
    assert AuditEntry.objects.filter(action="crew.removed", request=req).exists()


def test_the_focal_page_needs_its_own_link(client, outlet):
    assert client.get(path_of(links.focal_url(outlet))).status_code == 200
    assert client.get(f"/outlets/page/{outlet.pk}/{'0' * 40}/").status_code == 404
    outlet.status = OutletStatus.REJECTED
    outlet.save(update_fields=["status"])
    assert client.get(path_of(links.focal_url(outlet))).status_code == 404


def test_the_focal_page_adds_and_shows_the_crew_without_identity_data(client, outlet):
    page = path_of(links.focal_url(outlet))
    answer = client.post(
        page, {"action": "add", "name": "Omar Tazi", "email": "omar@lematin.ma", "role": "camera"}
    )
    assert answer.status_code == 302
    req = make_request(outlet.event, email="omar@lematin.ma", id_document_number="ZZ9988776")
    crews.request_submitted(request=req, address_confirmed=True)
    html = client.get(page).content.decode()
    assert "Omar Tazi" in html and "progress-submitted" in html
    assert "ZZ9988776" not in html and req.family_names not in html
    refused = client.post(
        page, {"action": "add", "name": "Omar", "email": "OMAR@lematin.ma", "role": "camera"}
    )
    assert refused.status_code == 400
    assert "already in your crew" in refused.content.decode()


# --- Confirmation of a journalist who applied alone -----------------------------------------


def test_a_journalist_alone_naming_the_outlet_is_confirmed_by_its_focal_point(
    client, outlet, django_capture_on_commit_callbacks
):
    req = make_request(outlet.event, outlet_name="le matin")
    with django_capture_on_commit_callbacks(execute=True):
        assert crews.request_submitted(request=req, address_confirmed=True) == "asked"
    [message] = mail.outbox
    assert message.to == ["editor@lematin.ma"]
    link = path_of(re.search(r"http://testserver/outlets/confirm/\S+", message.body).group(0))
    assert req.full_name in client.get(link).content.decode()
    client.post(link, {"answer": "not_ours"})
    confirmation = crews.request_confirmation(req)
    assert confirmation.answer == Confirmation.Answer.NOT_OURS
    assert AuditEntry.objects.filter(action="outlet.not_ours", request=req).exists()
    with pytest.raises(ServiceError) as refused:  # answered once
        crews.confirmation_answer(confirmation=confirmation, confirmed=True)
    assert refused.value.code == "already_answered"
    assert client.get(link.replace(link.rstrip("/").rsplit("/", 1)[1], "f" * 40)).status_code == 404


def test_a_request_naming_an_outlet_not_yet_approved_is_grouped_only(event):
    outlet = make_outlet(event, status=OutletStatus.SUBMITTED)
    req = make_request(event, outlet_name="Le Matin")
    assert crews.request_submitted(request=req, address_confirmed=True) == "grouped"
    assert not Confirmation.objects.exists()
    assert outlet.links.get().request == req


def test_adding_an_address_that_applied_tells_the_focal_point_nothing_and_takes_nothing(
    outlet, django_capture_on_commit_callbacks
):
    """Found in review: the crew page showed "submitted" for an address that had applied and
    pulled that request into the outlet (and its quota). Now every address gets an invitation,
    and a request joins the crew only through the member's own link."""
    from django.core import mail

    from accreditation.outlets.models import OutletLink
    from tests.factories import make_request

    victim = make_request(outlet.event, email="victim@example.org", outlet_name="Other Paper")
    with django_capture_on_commit_callbacks(execute=True):
        for email in ("victim@example.org", "nobody@example.org"):
            crews.crew_add(outlet=outlet, name="X", email=email, role="reporter", language="fr")
    progress = {p.member.email: p.code for p in crews.crew_progress(outlet)}
    assert progress["victim@example.org"] == progress["nobody@example.org"]
    assert sorted(m.to[0] for m in mail.outbox if "victim" in m.to[0] or "nobody" in m.to[0]) == [
        "nobody@example.org",
        "victim@example.org",
    ]
    assert not OutletLink.objects.filter(request=victim, how="crew").exists()


def test_a_member_who_opened_their_link_joins_the_crew_with_the_address_step_off(
    client, outlet, settings, django_capture_on_commit_callbacks
):
    """A deployment may turn the address step off (presspass.W002 warns): the crew link has
    proved the member's address all the same, and their request joins the crew."""
    from django.urls import reverse

    from accreditation.models import AccreditationRequest
    from tests.factories import application_data, application_files

    settings.PRESSPASS_CONFIRM_ADDRESS_FIRST = False
    member = add(outlet)
    assert client.post(path_of(links.crew_url(member))).status_code == 302
    event = outlet.event
    data = {**application_data(event, email="omar@lematin.ma"), **application_files()}
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(reverse("accreditation:apply", args=[event.slug]), data)
    assert answer.status_code == 302, answer.content.decode()[:2000]
    req = AccreditationRequest.objects.get(email="omar@lematin.ma")
    assert req.email_confirmed_at is not None
    member.refresh_from_db()
    assert member.request_id == req.pk
