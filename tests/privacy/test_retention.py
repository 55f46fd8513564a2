"""The retention purge, in stages, by the clock: documents and photos after the event's
document retention, identities after its personal-data retention, with the event's
statistics and one tombstone per request left behind; idempotent and resumable."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from accreditation import review
from accreditation.badges import issuing, printing
from accreditation.models import (
    AccreditationRequest,
    AuditEntry,
    Badge,
    Document,
    LateAdmission,
    Message,
    OutboxTask,
    PrintBatch,
    Scan,
)
from accreditation.privacy import retention
from accreditation.privacy.models import EventPurge, EventStatistics, Tombstone
from accreditation.privacy.retention import retention_purge
from events.models import Checkpoint
from tests.factories import make_event, make_request, make_user
from tests.privacy.test_erasure import person  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def noon(day: dt.date, event) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=event.tz)


@pytest.fixture
def past(private_dir):
    """An event over, with two requests (one approved, badge printed and scanned, a staff
    question), a late admission never used, and another event still running."""
    event = make_event(slug="past", retention_days=60, document_retention_days=10)
    reviewer, desk = make_user("reviewer", "Reviewer"), make_user("desk", "Badge desk")
    rejected = make_request(event, nationality="TN", outlet_type="tv")
    review.request_reject(request=rejected, actor=reviewer, text="Not a journalist")
    approved = make_request(event)
    review.request_approve(request=approved, actor=reviewer)
    badge = issuing.badge_issue(request_id=approved.pk)
    batch = printing.batch_create(event=event, badges=[badge], actor=desk)
    printing.batch_render(batch_id=batch.pk)
    checkpoint = Checkpoint.objects.create(event=event, name="Main hall")
    opening = event.sessions.get(kind="opening")
    for n, decision in enumerate(["admit", "admit", "deny"]):
        Scan.objects.create(
            checkpoint=checkpoint,
            session=opening,
            badge=badge,
            badge_version=1,
            decision=decision,
            reason="ok" if decision == "admit" else "closed",
            agent=desk,
            device_id="phone",
            client_scan_id=f"s{n}",
            scanned_at=timezone.now(),
        )
    LateAdmission.objects.create(
        event=event,
        name="Never Came",
        email="never@example.com",
        nonce="n" * 32,
        valid_until=timezone.now(),
        created_by=reviewer,
    )
    current = make_event(slug="current", retention_days=60, deadline_in_days=400)
    kept = make_request(current)
    return {"event": event, "approved": approved, "rejected": rejected, "kept": kept}


def files_of(event, private_dir) -> list:
    paths = [private_dir / d.file.name for d in Document.objects.filter(request__event=event)]
    paths += [private_dir / b.file.name for b in PrintBatch.objects.filter(event=event) if b.file]
    return paths


def test_nothing_goes_before_the_document_retention_ends(past, private_dir):
    event = past["event"]
    files = files_of(event, private_dir)
    with time_machine.travel(noon(event.documents_until, event), tick=False):
        assert retention_purge() == {"requests": 0, "files": 0}
    assert all(p.exists() for p in files)
    assert not EventPurge.objects.exists()


def test_documents_photos_and_batches_go_first_names_and_decisions_stay(past, private_dir):
    event = past["event"]
    files = files_of(event, private_dir)
    assert len(files) == 7  # 2 x 3 documents, 1 batch PDF
    with time_machine.travel(noon(event.documents_until + dt.timedelta(days=1), event), tick=False):
        assert retention_purge() == {"requests": 0, "files": 7}
    assert not any(p.exists() for p in files)
    assert not Document.objects.filter(request__event=event).exists()
    assert AccreditationRequest.objects.filter(event=event).count() == 2
    assert Badge.objects.filter(event=event).count() == 1
    assert PrintBatch.objects.get(event=event).file == ""
    assert Document.objects.filter(request=past["kept"]).count() == 3  # the other event's
    assert EventPurge.objects.get(event=event).documents_purged_at is not None
    assert EventPurge.objects.get(event=event).identities_purged_at is None


def test_identities_go_later_leaving_statistics_and_one_tombstone_per_request(past, private_dir):
    event = past["event"]
    with time_machine.travel(noon(event.documents_until + dt.timedelta(days=1), event), tick=False):
        retention_purge()
    day = event.personal_data_until + dt.timedelta(days=1)
    with time_machine.travel(noon(day, event), tick=False):
        assert retention_purge() == {"requests": 2, "files": 0}

    assert not AccreditationRequest.objects.filter(event=event).exists()
    assert not LateAdmission.objects.filter(event=event).exists()
    assert not Scan.objects.filter(checkpoint__event=event).exists()
    assert not PrintBatch.objects.filter(event=event).exists()
    assert not Message.objects.filter(request__event=event).exists()
    # No e-mail about them is left (a rejection's carries its reason).
    people = [past["approved"].pk, past["rejected"].pk]
    assert not OutboxTask.objects.filter(kwargs__request_id__in=people).exists()
    assert AccreditationRequest.objects.filter(pk=past["kept"].pk).exists()

    stats = EventStatistics.objects.get(event=event)
    assert stats.requests == 2
    assert stats.by_status == {"badge_issued": 1, "rejected": 1} or stats.by_status == {
        "printed": 1,
        "rejected": 1,
    }
    assert stats.by_nationality == {"MA": 1, "TN": 1}
    assert stats.by_outlet_type == {"print": 1, "tv": 1}
    opening = event.sessions.get(kind="opening")
    assert stats.sessions[str(opening.pk)] == {
        "title": "Opening ceremony",
        "admitted": 2,
        "denied": 1,
        "badges": 1,
    }
    assert stats.badges_printed == 1
    assert sum(stats.by_day.values()) == 2

    tombstones = Tombstone.objects.filter(event=event)
    assert sorted(t.final_status for t in tombstones) == ["printed", "rejected"]
    assert {t.cause for t in tombstones} == {"retention"}
    assert AuditEntry.objects.filter(action="retention.purged").count() == 1


def test_past_both_dates_one_run_does_both_stages_and_a_second_run_writes_nothing(
    past, private_dir
):
    event = past["event"]
    day = event.personal_data_until + dt.timedelta(days=1)
    with time_machine.travel(noon(day, event), tick=False):
        assert retention_purge() == {"requests": 2, "files": 7}
        audit_entries = AuditEntry.objects.count()
        assert retention_purge() == {"requests": 0, "files": 0}
    assert AuditEntry.objects.count() == audit_entries
    assert EventStatistics.objects.count() == 1
    assert Tombstone.objects.count() == 2


def test_a_purge_that_stopped_half_way_resumes_without_counting_twice(past, private_dir):
    """The process dies after erasing the first request (each request is its own transaction,
    the statistics are written first): the next run erases the rest and keeps the statistics it
    made from every request."""
    event = past["event"]
    day = event.personal_data_until + dt.timedelta(days=1)
    with time_machine.travel(noon(day, event), tick=False):
        retention.documents_purge(event=event)
        retention.statistics_make(event=event)
        from accreditation.privacy.erasure import erase_request

        erase_request(request=past["rejected"], cause="retention")
        # …the process died here.
        assert retention_purge() == {"requests": 1, "files": 0}
    stats = EventStatistics.objects.get(event=event)
    assert stats.requests == 2 and stats.by_status["rejected"] == 1
    assert Tombstone.objects.filter(event=event).count() == 2
    assert EventPurge.objects.get(event=event).identities_purged_at is not None


def test_the_statistics_count_requests_erased_before_the_purge(past):
    from accreditation.privacy.erasure import erase_request

    event = past["event"]
    erase_request(request=past["rejected"], cause="erasure")
    stats = retention.statistics_make(event=event)
    assert stats.requests == 2
    assert stats.by_status["rejected"] == 1


def test_the_purge_runs_by_itself_every_day():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["retention-purge"]
    assert entry["task"] == "accreditation.retention_purge"
    assert entry["schedule"] <= 86400


def test_events_past_retention_in_another_time_zone_are_judged_by_their_own_day(private_dir):
    """ "After the retention date" is the event's own calendar day, not the server's."""
    event = make_event(slug="tz", retention_days=30, document_retention_days=30)
    make_request(event)
    last_day = event.personal_data_until
    just_before = dt.datetime.combine(last_day, dt.time(23, 30), tzinfo=event.tz)
    with time_machine.travel(just_before, tick=False):
        assert retention_purge()["requests"] == 0
    with time_machine.travel(just_before + dt.timedelta(hours=1), tick=False):
        assert retention_purge()["requests"] == 1


@pytest.mark.usefixtures("person")
def test_after_the_purge_nothing_of_the_events_people_is_left_anywhere(event, private_dir):
    """The journalist of test_erasure (every personal field filled, a message thread, an
    interview, a delivery, a scan, a late admission, a crew place, files), and the other people
    of the event: the outlet's focal point, the interview target's contact."""
    from tests.privacy.test_erasure import database_text, leaks

    assert "focal@example.org" in database_text() and "office@example.org" in database_text()
    with time_machine.travel(noon(event.personal_data_until + dt.timedelta(days=1), event)):
        assert retention_purge()["requests"] == 1
    assert leaks(private_dir) == []
    text = database_text()
    assert "focal@example.org" not in text and "office@example.org" not in text
    assert not [p for p in private_dir.rglob("*") if p.is_file()]
    assert EventStatistics.objects.get(event=event).requests == 1
    assert Tombstone.objects.get(event=event).cause == "retention"


# The first purge's tests (docs/security.md row 35 names them), which the staged purge keeps.
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
