"""The public application form: a journalist applies, and every refusal keeps what was typed."""

import datetime as dt
import re
from html import unescape

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accreditation.apply.submission import REFERENCE_ALPHABET
from accreditation.models import AccreditationRequest, AuditEntry, Document, PendingUpload
from tests.factories import (
    application_data,
    application_files,
    image_bytes,
    make_event,
    pdf_bytes,
    upload,
)

pytestmark = pytest.mark.django_db


def apply_url(event):
    return reverse("accreditation:apply", args=[event.slug])


def post(client, event, data=None, files=None, language="fr", **extra):
    payload = {
        **(application_data(event) if data is None else data),
        **(application_files() if files is None else files),
    }
    return client.post(apply_url(event), payload, HTTP_ACCEPT_LANGUAGE=language, **extra)


def test_the_form_offers_only_sessions_open_to_media(client, event):
    response = client.get(apply_url(event), HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200
    html = unescape(response.content.decode())
    assert "Cérémonie d'ouverture" in html
    assert "Closing ceremony" in html
    assert "Plenary" not in html


def test_a_complete_request_is_stored_with_its_documents_and_confirmed_by_email(
    client, event, private_dir, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, event)
    assert response.status_code == 302
    req = AccreditationRequest.objects.get()
    assert req.status == "in_review"  # the automated checks ran after commit and passed it on
    assert req.language == "fr"
    assert req.family_names == "El Idrissi"
    assert req.phone == "+212612345678"
    assert req.consent_version == event.consent_version and req.consent_given_at is not None
    assert list(req.sessions_requested.values_list("kind", flat=True)) == ["opening"]
    assert sorted(req.documents.values_list("kind", flat=True)) == [
        "identity",
        "photo",
        "press_card",
    ]
    for document in req.documents.all():
        stored = private_dir / document.file.name
        assert stored.is_file()
        assert document.original_name not in document.file.name  # random storage names
    assert re.fullmatch(rf"[{REFERENCE_ALPHABET}]{{4}}-[{REFERENCE_ALPHABET}]{{4}}", req.reference)

    confirmation = client.get(response["Location"])
    assert req.reference in confirmation.content.decode()

    to_journalist, to_contact = sorted(mail.outbox, key=lambda m: m.to[0] != req.email)
    assert to_journalist.to == [req.email]
    assert to_journalist.reply_to == [event.contact_email]
    assert req.reference in to_journalist.subject
    assert "Votre référence" in to_journalist.body or req.reference in to_journalist.body
    link = re.search(r"http://testserver(/status/\S+)", to_journalist.body).group(1)
    assert to_contact.to == [event.contact_email]
    assert req.reference in to_contact.subject

    assert req.email_confirmed_at is None
    status_page = client.get(link)
    assert status_page.status_code == 200
    req.refresh_from_db()
    assert req.email_confirmed_at is not None
    assert AuditEntry.objects.filter(request=req, action="request.submitted").exists()


def test_the_confirmation_email_is_in_the_language_the_journalist_used(
    client, event, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post(client, event, language="es")
    to_journalist = next(m for m in mail.outbox if m.to == ["amina@example.com"])
    assert "Su referencia" in to_journalist.body


def test_after_the_deadline_the_form_is_closed_for_get_and_post(client, db):
    event = make_event(
        accreditation_opens_at=timezone.now() - dt.timedelta(days=60),
        accreditation_deadline=timezone.now() - dt.timedelta(minutes=1),
    )
    page = client.get(apply_url(event), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert "closed" in html
    assert event.contact_email in html
    assert 'name="family_names"' not in html
    response = post(client, event, language="en")
    assert response.status_code == 403
    assert not AccreditationRequest.objects.exists()
    assert not PendingUpload.objects.exists()


def test_staff_can_let_a_named_person_apply_late(
    client, db, django_capture_on_commit_callbacks, django_user_model
):
    from accreditation.apply import late_admission_create

    event = make_event(
        accreditation_opens_at=timezone.now() - dt.timedelta(days=60),
        accreditation_deadline=timezone.now() - dt.timedelta(days=1),
    )
    staff = django_user_model.objects.create_user("reviewer")
    with django_capture_on_commit_callbacks(execute=True):
        late_admission_create(
            event=event,
            name="Amina El Idrissi",
            email="amina@example.com",
            valid_until=timezone.now() + dt.timedelta(days=2),
            actor=staff,
        )
    link = re.search(r"http://testserver(\S+)", mail.outbox[0].body).group(1)
    assert "Amina El Idrissi" in client.get(link).content.decode()
    late_value = link.split("late=")[1]
    response = post(client, event, data={**application_data(event), "late": late_value})
    assert response.status_code == 302
    assert AccreditationRequest.objects.get().late_admission is not None
    # The link works once.
    client.cookies.clear()
    again = post(
        client,
        event,
        data={**application_data(event, email="other@example.com"), "late": late_value},
    )
    assert again.status_code == 403


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("id_document_expiry", "today", "expires before the event ends"),
        ("date_of_birth", "1890-01-01", "Please check the date of birth"),
        ("date_of_birth", "2999-01-01", "in the future"),
        ("phone", "0612345678", "country code"),
    ],
)
def test_a_refused_field_says_why_and_keeps_everything_else(client, event, field, value, message):
    if value == "today":
        value = event.starts_on.isoformat()
    response = post(client, event, data=application_data(event, **{field: value}), language="en")
    assert response.status_code == 400
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    html = response.content.decode()
    assert 'value="El Idrissi"' in html and 'value="Le Matin"' in html
    assert not AccreditationRequest.objects.exists()


def test_an_email_already_used_for_the_event_points_to_the_status_link(
    client, event, django_capture_on_commit_callbacks
):
    post(client, event)
    mail.outbox.clear()
    client.cookies.clear()
    response = post(
        client,
        event,
        data=application_data(event, email="AMINA@example.com", family_names="Other"),
        language="en",
    )
    assert response.status_code == 400
    assert "already made with this e-mail" in " ".join(response.context["form"].errors["email"])
    assert 'id="resend-link"' in response.content.decode()
    assert AccreditationRequest.objects.count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("accreditation:resend_link", args=[event.slug]), {"email": "amina@example.com"}
        )
    assert len(mail.outbox) == 1 and "/status/" in mail.outbox[0].body


def test_a_press_card_or_a_mission_letter_is_required(client, event):
    response = post(client, event, files=application_files(press_card=None), language="en")
    assert response.status_code == 400
    assert "press card or a mission letter" in " ".join(response.context["form"].non_field_errors())


def test_a_mission_letter_alone_is_enough(client, event):
    files = application_files(press_card=None, mission_letter=upload("letter.pdf", pdf_bytes()))
    data = application_data(event, press_card_number="", press_card_year="")
    assert post(client, event, data=data, files=files).status_code == 302


def test_a_freelancer_needs_a_mission_letter(client, event):
    response = post(
        client, event, data=application_data(event, employment="freelance"), language="en"
    )
    assert response.status_code == 400
    assert "mission letter" in " ".join(response.context["form"].errors["mission_letter"])


def test_an_expired_press_card_is_not_enough_on_its_own(client, event):
    data = application_data(event, press_card_year=str(event.starts_on.year - 2))
    response = post(client, event, data=data, language="en")
    assert "expired" in " ".join(response.context["form"].errors["mission_letter"])


def test_a_foreign_tv_crew_gives_its_filming_authorisation(client, event):
    data = application_data(event, outlet_type="tv", outlet_country="FR")
    response = post(client, event, data=data, language="en")
    assert "filming authorisation" in " ".join(
        response.context["form"].errors["filming_authorisation_number"]
    )
    data["filming_authorisation_number"] = "CCM-2025-118"
    assert post(client, event, data=data).status_code == 302


def test_the_file_type_is_decided_by_content_not_by_name(client, event):
    files = application_files(
        identity=upload("passport.pdf", b"MZ\x90\x00 not a document", "application/pdf"),
        photo=upload("me.jpg", pdf_bytes(), "image/jpeg"),
    )
    response = post(client, event, files=files, language="en")
    errors = response.context["form"].errors
    assert "not a JPEG, PDF, PNG file" in " ".join(errors["identity"])
    assert "not a JPEG, PNG file" in " ".join(errors["photo"])
    # A real PNG named .pdf is a PNG, which is allowed for an identity document.
    ok = application_files(identity=upload("scan.pdf", image_bytes("PNG"), "application/pdf"))
    client.cookies.clear()
    assert (
        post(
            client, event, data=application_data(event, email="b@example.com"), files=ok
        ).status_code
        == 302
    )
    assert Document.objects.get(kind="identity").content_type == "image/png"


def test_a_photo_too_small_for_a_badge_is_refused(client, event):
    response = post(
        client,
        event,
        files=application_files(photo=upload("me.png", image_bytes("PNG", (200, 300)))),
        language="en",
    )
    assert "200×300" in " ".join(response.context["form"].errors["photo"])


def test_an_oversized_file_is_refused_while_streaming(client, event, settings, private_dir):
    settings.PRESSPASS_MAX_FILE_MB = 1
    big = upload("passport.pdf", pdf_bytes() + b"%" * (2 * 1024 * 1024))
    response = post(client, event, files=application_files(identity=big), language="en")
    assert response.status_code == 400
    assert "larger than 1 MB" in " ".join(response.context["form"].errors["identity"])
    # The other files were kept; the oversized one was never stored.
    kept = PendingUpload.objects.values_list("slot", flat=True)
    assert sorted(kept) == ["photo", "press_card"]
    assert sum(1 for p in private_dir.rglob("*") if p.is_file()) == 2


def test_files_already_given_are_kept_when_the_form_is_sent_back(client, event):
    first = post(
        client, event, data=application_data(event, date_of_birth="1890-01-01"), language="en"
    )
    assert first.status_code == 400
    html = first.content.decode()
    assert 'id="pending-uploads"' in html and "passport.pdf" in html and "me.jpg" in html
    second = post(client, event, files={})
    assert second.status_code == 302
    req = AccreditationRequest.objects.get()
    assert sorted(req.documents.values_list("original_name", flat=True)) == [
        "card.jpg",
        "me.jpg",
        "passport.pdf",
    ]
    assert not PendingUpload.objects.exists()


def test_a_failed_submission_stores_nothing_half(client, event, monkeypatch, private_dir):
    from django.db import DatabaseError

    def fail(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(Document.objects, "bulk_create", fail)
    with pytest.raises(DatabaseError):
        post(client, event)
    assert not AccreditationRequest.objects.exists()
    assert not AuditEntry.objects.exists()
    # The uploads remain the draft's (listed, not orphaned) and purgeable.
    stored = {p.file.name for p in PendingUpload.objects.all()}
    on_disk = {str(p.relative_to(private_dir)) for p in private_dir.rglob("*") if p.is_file()}
    assert on_disk == stored and len(stored) == 3


def test_the_honeypot_refuses_robots(client, event):
    response = post(client, event, data=application_data(event, homepage="http://spam.example"))
    assert response.status_code == 400
    assert not AccreditationRequest.objects.exists()


def test_submissions_are_rate_limited_per_client_address(client, event, settings):
    settings.PRESSPASS_SUBMISSIONS_PER_HOUR = 2
    bad = application_data(event, date_of_birth="1890-01-01")
    assert post(client, event, data=bad).status_code == 400
    assert post(client, event, data=bad).status_code == 400
    assert post(client, event).status_code == 429
    assert not AccreditationRequest.objects.exists()


def test_a_client_cannot_escape_the_submission_limit_with_its_own_forwarded_for(
    client, event, settings
):
    """Behind one trusted proxy, the address counted is the one the proxy appended: what a
    client writes before it is ignored (SECURITY.md row 21)."""
    settings.PRESSPASS_SUBMISSIONS_PER_HOUR = 2
    settings.PRESSPASS_TRUSTED_PROXIES = 1
    bad = application_data(event, date_of_birth="1890-01-01")

    def via_proxy(real: str, spoofed: str):
        return post(
            client,
            event,
            data=bad,
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=f"{spoofed}, {real}",
        )

    assert via_proxy("203.0.113.9", "198.51.100.1").status_code == 400
    assert via_proxy("203.0.113.9", "198.51.100.2").status_code == 400
    assert via_proxy("203.0.113.9", "198.51.100.3").status_code == 429
    assert via_proxy("203.0.113.10", "198.51.100.3").status_code == 400  # another person


def test_status_pages_are_limited_per_client_address_right_or_wrong_links(client, event, settings):
    from accreditation.apply import status_path
    from tests.factories import make_request

    settings.PRESSPASS_STATUS_VIEWS_PER_HOUR = 3
    req = make_request(event)
    assert client.get(status_path(req)).status_code == 200
    assert client.get(f"/status/{req.reference}/{'0' * 40}/").status_code == 404
    assert client.get("/status/NOPE-NOPE/" + "1" * 40 + "/").status_code == 404
    assert client.get(status_path(req)).status_code == 429
    other = client.get(status_path(req), REMOTE_ADDR="192.0.2.7")
    assert other.status_code == 200


def test_documents_have_no_public_url(client, event, settings):
    post(client, event)
    document = Document.objects.first()
    with pytest.raises(NotImplementedError):
        _ = document.file.url
    name = document.file.name
    for prefix in ("/media/", "/static/", "/"):
        assert client.get(prefix + name).status_code == 404


def test_the_form_is_right_to_left_in_arabic(client, event):
    html = client.get(apply_url(event), HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert '<html lang="ar" dir="rtl">' in html
    assert "bootstrap.rtl.min.css" in html
