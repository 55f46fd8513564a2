"""The processing register for the CNDP declaration, generated from the event's settings:
supervisors read it on a page to print and download it (Markdown), in their language."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import make_event, make_user

pytestmark = pytest.mark.django_db


def register_path(event) -> str:
    return reverse("privacy:register", kwargs={"pk": event.pk})


def test_the_register_says_what_how_long_where_and_to_whom_from_the_settings(
    client, event, supervisor, settings
):
    event.retention_days = 60
    event.document_retention_days = 14
    event.security_vetting_required = True
    event.save()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "smtp.mail-provider.example"
    client.force_login(supervisor)
    download = client.get(register_path(event), {"format": "md"})
    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/markdown")
    assert f"processing-register-{event.slug}.md" in download["Content-Disposition"]
    text = download.content.decode()
    assert text.startswith("# Processing register: General Assembly")
    assert "(14 days after the event)" in text and "(60 days after the event)" in text
    assert "Document number" in text  # the form's fields
    assert "security service" in text  # vetting is on
    assert "smtp.mail-provider.example" in text  # the mail provider
    assert "a private folder on the application server" in text
    assert "Accreditation reviewer: " in text and "Badge desk: " in text

    event.security_vetting_required = False
    event.save()
    assert (
        "security service"
        not in client.get(register_path(event), {"format": "md"}).content.decode()
    )


def test_a_bucket_abroad_is_named_as_a_possible_transfer(client, event, supervisor, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "accreditation.privacy.storage.PrivateS3Storage",
            "OPTIONS": {
                "bucket_name": "presspass-docs",
                "endpoint_url": "https://s3.eu-west-3.amazonaws.com",
                "region_name": "eu-west-3",
            },
        },
    }
    client.force_login(supervisor)
    text = client.get(register_path(event), {"format": "md"}).content.decode()
    assert "presspass-docs" in text and "s3.eu-west-3.amazonaws.com" in text
    assert "transfer abroad" in text


def test_the_page_is_in_the_staff_members_language(client, event, supervisor):
    client.force_login(supervisor)
    page = client.get(register_path(event), HTTP_ACCEPT_LANGUAGE="fr")
    assert page.status_code == 200
    assert 'lang="fr"' in page.content.decode()
    assert 'id="register-download"' in page.content.decode()


def test_only_supervisors_of_the_event(client, event, reviewer):
    client.force_login(reviewer)
    assert client.get(register_path(event)).status_code == 403
    other = make_user("other-supervisor", "Supervisor")
    make_event(slug="other").staff.add(other)
    client.force_login(other)
    assert client.get(register_path(event)).status_code == 403
