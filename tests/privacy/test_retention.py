import datetime as dt

import pytest

from accreditation.models import AccreditationRequest, AuditEntry, Document
from accreditation.privacy.retention import retention_purge
from tests.factories import make_event, make_request

pytestmark = pytest.mark.django_db


def test_personal_data_are_deleted_when_the_retention_period_ends(private_dir):
    past = make_event(slug="past", retention_days=30)
    current = make_event(slug="current", retention_days=30, deadline_in_days=200)
    old = make_request(past)
    kept = make_request(current)
    old_files = [private_dir / d.file.name for d in old.documents.all()]
    assert all(p.exists() for p in old_files)

    assert retention_purge(today=past.ends_on + dt.timedelta(days=30)) == {
        "requests": 0,
        "files": 0,
    }
    result = retention_purge(today=past.ends_on + dt.timedelta(days=31))
    assert result["requests"] == 1
    assert list(AccreditationRequest.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not any(p.exists() for p in old_files)
    assert not Document.objects.filter(request__event=past).exists()
    assert Document.objects.filter(request=kept).count() == 3
    assert AuditEntry.objects.filter(action="retention.purged").count() == 1


def test_late_admissions_go_with_their_event_used_or_not(django_user_model):
    """A late admission holds a name and an address: it goes with the event's other personal
    data, whether it was used for a request or not."""
    from django.utils import timezone

    from accreditation.models import LateAdmission

    past = make_event(slug="past", retention_days=30)
    current = make_event(slug="current", retention_days=30, deadline_in_days=200)
    staff = django_user_model.objects.create_user("reviewer")

    def admission(event, email):
        return LateAdmission.objects.create(
            event=event,
            name="Late",
            email=email,
            nonce="n" * 32,
            valid_until=timezone.now(),
            created_by=staff,
        )

    used = admission(past, "used@example.com")
    make_request(past, late_admission=used)
    admission(past, "unused@example.com")
    kept = admission(current, "kept@example.com")
    retention_purge(today=past.ends_on + dt.timedelta(days=31))
    assert list(LateAdmission.objects.values_list("pk", flat=True)) == [kept.pk]
