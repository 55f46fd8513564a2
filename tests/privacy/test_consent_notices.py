"""The data-protection notice: its full text in each language is kept with its version and
SHA-256 when shown, old versions stay, each request names the one its person agreed to, and a
notice that changes while someone fills in the form is shown again to be agreed to anew."""

from __future__ import annotations

import hashlib
import re
from html import unescape

import pytest
from django.urls import reverse

from accreditation.models import AccreditationRequest, PendingUpload
from accreditation.privacy.notice import notice_agreed, notice_current
from events.models import ConsentNotice
from events.services import event_save
from tests.factories import application_data, application_files

pytestmark = pytest.mark.django_db


def form_page(client, event, language="fr") -> str:
    response = client.get(
        reverse("accreditation:apply", args=[event.slug]), HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 200
    return response.content.decode()


def shown(html: str, language: str = "fr") -> tuple[str, str]:
    """The notice's text as the page shows it, and the hash the form carries."""
    text = re.search(r'id="consent-text"[^>]*>(.*?)</div>', html, re.S).group(1)
    digest = re.search(rf'name="consent_sha256_{language}" value="([0-9a-f]{{64}})"', html).group(1)
    return unescape(text.replace("<br>", "\n")), digest


def post(client, event, digest, language="fr", **overrides):
    payload = {**application_data(event, **overrides), f"consent_sha256_{language}": digest}
    return client.post(
        reverse("accreditation:apply", args=[event.slug]),
        {**payload, **application_files()},
        HTTP_ACCEPT_LANGUAGE=language,
    )


def test_the_request_names_the_exact_text_its_person_was_shown(client, event):
    event.consent_text = "Nous traitons vos données.\nÉcrivez à ccc@example.org."
    event_save(event=event, changed=["consent_text"])
    text, digest = shown(form_page(client, event))
    assert text == "Nous traitons vos données.\nÉcrivez à ccc@example.org."
    assert digest == hashlib.sha256(text.encode()).hexdigest()

    assert post(client, event, digest).status_code == 302
    req = AccreditationRequest.objects.get()
    notice = notice_agreed(request=req)
    assert (notice.version, notice.language) == (req.consent_version, "fr")
    assert notice.text == text and notice.sha256 == digest


def test_each_language_has_its_own_text_and_hash(client, event):
    event.consent_text = "We process your data."
    event.consent_texts = {"ar": "نعالج بياناتك."}
    event_save(event=event, changed=["consent_text", "consent_texts"])
    arabic, arabic_digest = shown(form_page(client, event, "ar"), "ar")
    english, english_digest = shown(form_page(client, event, "en"), "en")
    assert arabic == "نعالج بياناتك."
    assert english == "We process your data."
    assert arabic_digest != english_digest
    versions = set(ConsentNotice.objects.values_list("version", flat=True))
    assert versions == {event.consent_version}


def test_without_a_text_of_the_events_own_the_translated_default_is_kept(client, event):
    text, _digest = shown(form_page(client, event))
    assert "ccc@example.org" in text and "90" in text
    assert ConsentNotice.objects.get(language="fr").text == text


def test_a_changed_text_is_a_new_version_and_the_old_one_stays(client, event):
    _text, first = shown(form_page(client, event))
    assert post(client, event, first).status_code == 302
    early = AccreditationRequest.objects.get()

    event.consent_text = "A new notice."
    event_save(event=event, changed=["consent_text"])
    client.cookies.clear()
    text, second = shown(form_page(client, event))
    assert text == "A new notice."
    assert post(client, event, second, email="other@example.com").status_code == 302
    late = AccreditationRequest.objects.exclude(pk=early.pk).get()

    assert late.consent_version == early.consent_version + 1
    assert notice_agreed(request=early).sha256 == first
    assert notice_agreed(request=late).sha256 == second
    assert ConsentNotice.objects.filter(event=event, language="fr").count() == 2


def test_a_setting_the_default_text_quotes_changes_it_too(client, event):
    """The default notice says how long data are kept: changing that is a new notice."""
    before = notice_current(event=event, language="en")
    event.retention_days = 60
    event.document_retention_days = 30
    event_save(event=event, changed=["retention_days"])
    after = notice_current(event=event, language="en")
    assert after.version == before.version + 1
    assert "60" in after.text and "90" in before.text
    before.refresh_from_db()
    assert "90" in before.text


def test_a_notice_changed_while_filling_in_is_shown_again_and_nothing_typed_is_lost(client, event):
    _text, old = shown(form_page(client, event))
    event.consent_text = "Revised notice: data kept 30 days."
    event_save(event=event, changed=["consent_text"])

    response = post(client, event, old)
    assert response.status_code == 400
    assert not AccreditationRequest.objects.exists()
    html = response.content.decode()
    text, new = shown(html)
    assert text == "Revised notice: data kept 30 days." and new != old
    # In the language of the page (French here).
    assert "La notice de protection des données a changé pendant que vous remplissiez" in (
        " ".join(unescape(html).split())
    )
    assert 'value="Le Matin"' in html  # what was typed is back in the form
    assert re.search(r'name="consent"[^>]*checked', html) is None  # to be ticked again
    assert PendingUpload.objects.count() == 3  # the files are kept too

    payload = {**application_data(event), "consent_sha256_fr": new}
    again = client.post(
        reverse("accreditation:apply", args=[event.slug]), payload, HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert again.status_code == 302
    req = AccreditationRequest.objects.get()
    assert notice_agreed(request=req).text == "Revised notice: data kept 30 days."
    assert req.documents.count() == 3


def test_a_kept_notice_is_never_rewritten_nor_deleted_while_agreed_to(client, event):
    _text, digest = shown(form_page(client, event))
    assert post(client, event, digest).status_code == 302  # agreed to by a request
    notice = ConsentNotice.objects.get()
    notice.text = "Something else"
    with pytest.raises(ValueError):
        notice.save()
    with pytest.raises(ValueError):
        notice.delete()
    assert ConsentNotice.objects.get().sha256 == digest


def test_the_event_admin_lists_the_texts_shown(client, event):
    from tests.factories import make_user

    notice_current(event=event, language="ar")
    admin_user = make_user("root", "Supervisor", is_superuser=True)
    client.force_login(admin_user)
    page = client.get(reverse("admin:events_event_change", args=[event.pk]))
    html = page.content.decode()
    assert notice_current(event=event, language="ar").sha256 in html
    assert reverse("privacy:register", kwargs={"pk": event.pk}) in html
