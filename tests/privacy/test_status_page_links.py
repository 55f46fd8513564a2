"""The status page leads the journalist to their own data: the download of everything held
about them and the erasure request, both opened with the same private link."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accreditation.apply import status_path
from tests.factories import make_request

pytestmark = pytest.mark.django_db


def test_the_status_page_links_to_the_export_and_the_erasure_request(client, event):
    req = make_request(event, language="fr")
    page = client.get(status_path(req)).content.decode()
    for link_id in ("export-link", "erasure-link"):
        href = re.search(rf'href="([^"]+)" id="{link_id}"', page).group(1)
        assert client.get(href).status_code == 200
    token = status_path(req).rstrip("/").rsplit("/", 1)[1]
    assert f'href="{reverse("privacy:export", args=[req.reference, token])}"' in page
    assert f'href="{reverse("privacy:erasure", args=[req.reference, token])}"' in page


def test_the_request_page_links_supervisors_only_to_the_access_report(
    client, event, reviewer, supervisor
):
    req = make_request(event)
    page = reverse("admin:accreditation_accreditationrequest_change", args=[req.pk])
    client.force_login(reviewer)
    assert 'id="access-report"' not in client.get(page).content.decode()
    client.force_login(supervisor)
    shown = client.get(page).content.decode()
    assert f'href="{reverse("privacy:access_report", args=[req.pk])}"' in shown
    assert client.get(reverse("privacy:access_report", args=[req.pk])).status_code == 200
