"""The address step (SECURITY.md row 23): nobody reaches the upload form without opening a
single-use, ten-minute link sent to the address, and the page answers a known address exactly
as an unknown one (what differs goes by e-mail to the owner)."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from accreditation.models import AccreditationRequest, AddressCheck, PendingUpload
from tests.factories import application_data, application_files, make_request, solve_pow

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def address_first(settings):
    settings.PRESSPASS_CONFIRM_ADDRESS_FIRST = True


def apply_url(event):
    return reverse("accreditation:apply", args=[event.slug])


def ask_for_link(client, event, email, capture, language="en"):
    """The address step as the browser sends it: the address and the solved proof of work."""
    page = client.get(apply_url(event), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    with capture(execute=True):
        return client.post(
            reverse("accreditation:address_start", args=[event.slug]),
            {"email": email, "altcha": solve_pow(page)},
            HTTP_ACCEPT_LANGUAGE=language,
            follow=True,
        )


def link_in(message) -> str:
    return re.search(r"http://testserver(\S+)", message.body).group(1)


def test_a_known_and_an_unknown_address_get_the_same_answer_and_only_the_owner_learns_more(
    client, event, django_capture_on_commit_callbacks
):
    known_request = make_request(event, email="amina@example.com")
    known = ask_for_link(client, event, "Amina@Example.com", django_capture_on_commit_callbacks)
    client.cookies.clear()
    unknown = ask_for_link(client, event, "nobody@example.com", django_capture_on_commit_callbacks)
    assert known.status_code == unknown.status_code == 200
    assert known.redirect_chain == unknown.redirect_chain
    page = (
        known.content.decode()
        .replace("Amina@Example.com", "ADDRESS")
        .replace("amina@example.com", "ADDRESS")
    )
    other = unknown.content.decode().replace("nobody@example.com", "ADDRESS")
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"|data-challenge="[^"]+"')
    assert strip.sub("", page) == strip.sub("", other)
    assert "already made" not in page
    # The owner of the known address gets their status link; the other gets the form's link.
    to_known, to_unknown = mail.outbox
    assert (
        to_known.to == ["amina@example.com"]
        and f"/status/{known_request.reference}/" in to_known.body
    )
    assert to_unknown.to == ["nobody@example.com"] and "/apply/confirm/?token=" in to_unknown.body


def test_the_upload_form_is_not_shown_nor_taken_before_the_address_is_proved(client, event):
    page = client.get(apply_url(event), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="address-form"' in page and 'type="file"' not in page
    response = client.post(apply_url(event), {**application_data(event), **application_files()})
    assert response.status_code == 403
    assert not AccreditationRequest.objects.exists() and not PendingUpload.objects.exists()


def test_the_link_opens_the_form_once_for_that_address(
    client, event, django_capture_on_commit_callbacks
):
    ask_for_link(client, event, "amina@example.com", django_capture_on_commit_callbacks)
    link = link_in(mail.outbox[0])
    # Opening it (a mail scanner does) does not use it: only the button does.
    for _ in range(2):
        shown = client.get(link)
        assert shown.status_code == 200 and 'id="address-confirm"' in shown.content.decode()
    token = link.split("token=")[1]
    confirm = reverse("accreditation:address_confirm", args=[event.slug])
    opened = client.post(confirm, {"token": token})
    assert opened.status_code == 302 and opened["Location"] == apply_url(event)
    form = client.get(apply_url(event)).content.decode()
    assert 'type="file"' in form
    assert re.search(r'<input[^>]*name="email"[^>]*value="amina@example.com"[^>]*disabled', form)
    # The address cannot be changed on the way: a posted one is ignored.
    data = {**application_data(event, email="someone.else@example.com"), **application_files()}
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(apply_url(event), data).status_code == 302
    req = AccreditationRequest.objects.get()
    assert req.email == "amina@example.com" and req.email_confirmed_at is not None
    # Used: neither a second press nor another browser gets in with it.
    client.cookies.clear()
    assert client.post(confirm, {"token": token}).status_code == 410
    assert client.get(link).status_code == 410


def test_the_link_lasts_ten_minutes_and_a_forged_or_other_events_link_is_refused(
    client, event, django_capture_on_commit_callbacks, caplog
):
    from tests.factories import make_event

    ask_for_link(client, event, "amina@example.com", django_capture_on_commit_callbacks)
    token = link_in(mail.outbox[0]).split("token=")[1]
    confirm = reverse("accreditation:address_confirm", args=[event.slug])
    pk = token.split(".")[0]
    caplog.set_level(logging.INFO, logger="presspass.security")
    assert client.post(confirm, {"token": f"{pk}.{'0' * 40}"}).status_code == 410
    other = make_event(slug="other-event")
    other_confirm = reverse("accreditation:address_confirm", args=[other.slug])
    assert client.post(other_confirm, {"token": token}).status_code == 410
    assert [r.link for r in caplog.records if getattr(r, "event", "") == "link.invalid"] == [
        "address",
        "address",
    ]
    assert token.split(".")[1] not in caplog.text
    with time_machine.travel(dt.timedelta(minutes=11)):
        expired = client.post(confirm, {"token": token})
    assert expired.status_code == 410 and 'id="link-expired"' in expired.content.decode()
    assert client.post(confirm, {"token": token}).status_code == 302  # within ten minutes


def test_an_address_gets_at_most_five_links_an_hour(
    client, event, django_capture_on_commit_callbacks
):
    for _ in range(7):
        response = ask_for_link(
            client, event, "amina@example.com", django_capture_on_commit_callbacks
        )
        assert response.status_code == 200 and 'id="address-sent"' in response.content.decode()
    assert len(mail.outbox) == 5
    with time_machine.travel(dt.timedelta(minutes=61)):
        ask_for_link(client, event, "amina@example.com", django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 6


def test_a_proof_gone_stale_while_filling_keeps_the_form_and_sends_a_new_link(
    client, event, settings, django_capture_on_commit_callbacks
):
    ask_for_link(client, event, "amina@example.com", django_capture_on_commit_callbacks)
    client.post(
        reverse("accreditation:address_confirm", args=[event.slug]),
        {"token": link_in(mail.outbox[0]).split("token=")[1]},
    )
    hours = settings.PRESSPASS_ADDRESS_SESSION_HOURS
    data = {**application_data(event, family_names="El Idrissi-Stale"), **application_files()}
    with time_machine.travel(dt.timedelta(hours=hours, minutes=1)):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(apply_url(event), data, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 403
        html = response.content.decode()
        assert "confirmed too long ago" in html and 'value="El Idrissi-Stale"' in html
        assert not AccreditationRequest.objects.exists()
        assert len(mail.outbox) == 2 and mail.outbox[1].to == ["amina@example.com"]
        # The new link brings the person back to the form.
        client.post(
            reverse("accreditation:address_confirm", args=[event.slug]),
            {"token": link_in(mail.outbox[1]).split("token=")[1]},
        )
        data.update(application_files())  # the files of the refused post were not kept
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(apply_url(event), data).status_code == 302


def test_robots_are_refused_at_the_address_step_and_logged(client, event, settings, caplog):
    caplog.set_level(logging.INFO, logger="presspass.security")
    url = reverse("accreditation:address_start", args=[event.slug])
    page = client.get(apply_url(event)).content.decode()
    honeypot = client.post(
        url, {"email": "bot@example.com", "homepage": "http://spam", "altcha": solve_pow(page)}
    )
    events = lambda: [getattr(r, "event", "") for r in caplog.records]  # noqa: E731
    assert honeypot.status_code == 400 and "bot.honeypot" in events()
    settings.PRESSPASS_MIN_FILL_SECONDS = 3
    page = client.get(apply_url(event)).content.decode()
    started = re.search(r'name="started" value="([^"]+)"', page).group(1)
    fast = client.post(
        url, {"email": "bot@example.com", "started": started, "altcha": solve_pow(page)}
    )
    assert fast.status_code == 400 and "bot.too_fast" in events()
    assert 'value="bot@example.com"' in fast.content.decode()  # kept for the person
    assert not AddressCheck.objects.exists()


def test_the_typed_addresses_are_forgotten_a_day_later(
    client, event, django_capture_on_commit_callbacks
):
    from accreditation.tasks import purge_pending_uploads

    ask_for_link(client, event, "amina@example.com", django_capture_on_commit_callbacks)
    assert AddressCheck.objects.count() == 1
    purge_pending_uploads()
    assert AddressCheck.objects.count() == 1
    with time_machine.travel(dt.timedelta(hours=25)):
        purge_pending_uploads()
    assert not AddressCheck.objects.exists()


def test_the_address_step_takes_a_proof_of_work_once(
    client, event, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.INFO, logger="presspass.security")
    url = reverse("accreditation:address_start", args=[event.slug])
    reasons = lambda: [  # noqa: E731
        r.reason for r in caplog.records if getattr(r, "event", "") == "bot.proof_of_work"
    ]
    without = client.post(url, {"email": "amina@example.com"}, HTTP_ACCEPT_LANGUAGE="en")
    assert without.status_code == 400 and "not a robot" in without.content.decode()
    assert 'value="amina@example.com"' in without.content.decode()
    payload = solve_pow(client.get(apply_url(event)).content.decode())
    forged = payload[:-8] + "AAAAAAA="
    assert client.post(url, {"email": "amina@example.com", "altcha": forged}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url, {"email": "amina@example.com", "altcha": payload})
    assert first.status_code == 302 and len(mail.outbox) == 1
    replayed = client.post(url, {"email": "amina@example.com", "altcha": payload})
    assert replayed.status_code == 400 and len(mail.outbox) == 1
    assert reasons()[0] == "missing" and reasons()[-1] == "replayed"
    assert AddressCheck.objects.count() == 1


def test_address_links_tried_count_against_the_per_address_limit(client, event, settings):
    settings.PRESSPASS_STATUS_VIEWS_PER_HOUR = 2
    confirm = reverse("accreditation:address_confirm", args=[event.slug])
    assert client.get(confirm, {"token": "1." + "0" * 40}).status_code == 410
    assert client.post(confirm, {"token": "1." + "1" * 40}).status_code == 410
    assert client.post(confirm, {"token": "1." + "2" * 40}).status_code == 429


def test_send_my_link_again_mails_only_the_address_this_browser_proved(
    client, event, django_capture_on_commit_callbacks
):
    """With the address step on, "send my status link again" is no way around it (its proof
    of work and per-address limit): a stranger's address gets nothing and is sent to the
    step, the address this browser proved gets its link."""
    make_request(event, email="amina@example.com")
    resend = reverse("accreditation:resend_link", args=[event.slug])
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(resend, {"email": "amina@example.com"})
    assert answer.status_code == 302
    assert answer["Location"] == apply_url(event)
    step = client.get(answer["Location"]).content.decode()  # the address step, with a word
    assert "we send your status link to it" in step and 'type="file"' not in step
    assert mail.outbox == []
    from accreditation.apply.address import session_confirm

    session = client.session
    session_confirm(session, event, "amina@example.com")
    session.save()
    client.cookies["sessionid"] = session.session_key
    with django_capture_on_commit_callbacks(execute=True):
        client.post(resend, {"email": "Amina@example.com"})
    assert len(mail.outbox) == 1 and "/status/" in mail.outbox[0].body


@pytest.mark.django_db(transaction=True)
def test_asking_at_once_from_many_browsers_sends_no_more_links_than_the_limit(settings):
    """The per-address count and the new link are one step: eight asks arriving together for
    one address, with one link allowed, send one."""
    import threading

    from django.db import connection

    from accreditation.apply.address import address_check_start
    from tests.factories import make_event

    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writer at a time (IMMEDIATE transactions)")
    settings.PRESSPASS_ADDRESS_LINKS_PER_HOUR = 1
    event = make_event(slug="links-at-once")
    start = threading.Barrier(8)
    errors = []

    def ask():
        try:
            start.wait()
            address_check_start(event=event, email="amina@example.com", language="en")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert AddressCheck.objects.filter(event=event).count() == 1
