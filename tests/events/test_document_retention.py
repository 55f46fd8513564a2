"""An event's documents are kept no longer than its personal data: the rule on the event's
page, and existing events brought within it by the migration that added the setting."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError

from events.models import Event
from tests.factories import make_event

pytestmark = pytest.mark.django_db


def test_an_existing_event_keeping_personal_data_less_than_30_days_still_saves():
    migration = importlib.import_module("events.migrations.0012_document_retention")
    short = make_event(slug="short", retention_days=10)
    Event.objects.filter(pk=short.pk).update(document_retention_days=30)  # the column default
    long = make_event(slug="long", retention_days=90, document_retention_days=30)
    migration.no_longer_than_personal_data(apps, None)
    short.refresh_from_db()
    assert short.document_retention_days == 10
    short.full_clean()  # the next save of the event's page is not refused
    long.refresh_from_db()
    assert long.document_retention_days == 30
    long.document_retention_days = 91
    with pytest.raises(ValidationError):
        long.full_clean()
