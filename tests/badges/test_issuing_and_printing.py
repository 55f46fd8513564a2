"""Badges: issued once after approval, signed, printed in batches, handed over, reissued."""

import io
import threading

import pypdfium2
import pytest
import zxingcpp
from django.conf import settings
from django.db import connection
from pypdf import PdfReader

from accreditation import review
from accreditation.badges import issuing, printing
from accreditation.badges.signing import BadgeCodeError, load_public_keys, verify_code
from accreditation.errors import ServiceError
from accreditation.models import AccreditationRequest, AuditEntry, Badge, PrintBatch, Status
from accreditation.privacy.storage import private_storage
from tests.factories import make_request

pytestmark = pytest.mark.django_db


def stored(name: str) -> bytes:
    """A stored file's content (encrypted on disk: tests/privacy/test_encryption.py)."""
    with private_storage().open(name, "rb") as handle:
        return handle.read()


def approved(event, reviewer, **fields):
    req = make_request(event, **fields)
    review.request_approve(request=req, actor=reviewer)
    return req


def test_approval_issues_one_signed_badge_for_the_granted_sessions(
    event, reviewer, django_capture_on_commit_callbacks
):
    req = make_request(event)
    with django_capture_on_commit_callbacks(execute=True):
        review.request_approve(request=req, actor=reviewer)
    badge = Badge.objects.get(request=req)
    assert AccreditationRequest.objects.get(pk=req.pk).status == Status.BADGE_ISSUED
    claims = verify_code(badge.qr_text, load_public_keys(settings.BADGE_PUBLIC_KEYS))
    assert (claims.badge_id, claims.version, claims.event_id) == (badge.pk, 1, event.pk)
    assert set(claims.session_ids) == set(req.sessions_granted.values_list("pk", flat=True))
    # Running the task again (a retry) issues nothing more.
    assert issuing.badge_issue(request_id=req.pk) == badge
    assert Badge.objects.filter(request=req).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_issuing_makes_one_badge_and_unique_numbers(reviewer_tx):
    from tests.factories import make_event

    event = make_event(slug="concurrent")
    requests = [approved(event, reviewer_tx) for _ in range(4)]
    errors = []

    def issue(pk):
        try:
            issuing.badge_issue(request_id=pk)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue, args=(r.pk,)) for r in requests for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    badges = list(Badge.objects.filter(event=event))
    assert len(badges) == 4
    assert len({b.number for b in badges}) == 4


@pytest.fixture
def reviewer_tx(transactional_db):
    from tests.factories import make_user

    return make_user("reviewer-tx", "Reviewer")


def test_a_print_batch_renders_one_pdf_and_marks_the_badges_printed(
    event, reviewer, badge_desk, private_dir
):
    reqs = [approved(event, reviewer, name_native="أمينة الإدريسي") for _ in range(3)]
    for r in reqs:
        issuing.badge_issue(request_id=r.pk)
    batch = printing.batch_create(
        event=event, badges=Badge.objects.filter(event=event), actor=badge_desk, layout="a4_cr80"
    )
    batch = printing.batch_render(batch_id=batch.pk)
    assert batch.state == PrintBatch.State.DONE and batch.done == 3
    pdf = stored(batch.file.name)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1  # three cards on one A4 sheet
    text = reader.pages[0].extract_text()
    assert reqs[0].family_names.upper() in text
    page = pypdfium2.PdfDocument(pdf)[0].render(scale=300 / 72).to_pil()
    decoded = {r.text for r in zxingcpp.read_barcodes(page)}
    assert decoded == set(Badge.objects.values_list("qr_text", flat=True))
    assert set(AccreditationRequest.objects.values_list("status", flat=True)) == {Status.PRINTED}
    assert set(Badge.objects.values_list("print_count", flat=True)) == {1}
    assert (
        printing.batch_render(batch_id=batch.pk) is None
    )  # a finished batch is not rendered twice


def test_a_reprint_needs_a_reason_and_a_lost_badge_gets_a_new_version(event, reviewer, badge_desk):
    req = approved(event, reviewer)
    badge = issuing.badge_issue(request_id=req.pk)
    printing.batch_render(
        batch_id=printing.batch_create(event=event, badges=[badge], actor=badge_desk).pk
    )
    badge.refresh_from_db()
    with pytest.raises(ServiceError) as refused:
        printing.batch_create(event=event, badges=[badge], actor=badge_desk)
    assert refused.value.code == "reason_required"
    old_code = badge.qr_text
    issuing.badge_reissue(
        badge=badge, actor=badge_desk, reason="Lost in the press room", confirmed=True
    )
    badge.refresh_from_db()
    assert badge.version == 2 and badge.qr_text != old_code
    assert (
        verify_code(old_code, load_public_keys(settings.BADGE_PUBLIC_KEYS)).version == 1
    )  # still signed…
    assert (
        AccreditationRequest.objects.get(pk=req.pk).status == Status.BADGE_ISSUED
    )  # …but superseded
    assert AuditEntry.objects.filter(action="badge.reissued", request=req).exists()


def test_handover_requires_a_printed_badge_and_an_identity_check(event, reviewer, badge_desk):
    req = approved(event, reviewer)
    badge = issuing.badge_issue(request_id=req.pk)
    with pytest.raises(ServiceError) as refused:
        issuing.badge_handover(badge=badge, actor=badge_desk, identity_checked=True)
    assert refused.value.code == "not_printed"
    printing.batch_render(
        batch_id=printing.batch_create(event=event, badges=[badge], actor=badge_desk).pk
    )
    with pytest.raises(ServiceError) as refused:
        issuing.badge_handover(badge=badge, actor=badge_desk, identity_checked=False)
    assert refused.value.code == "identity_not_checked"
    issuing.badge_handover(badge=badge, actor=badge_desk, identity_checked=True)
    badge.refresh_from_db()
    assert (
        badge.collected_by == badge_desk
        and AccreditationRequest.objects.get(pk=req.pk).status == Status.COLLECTED
    )


def test_only_the_badge_desk_prints(event, reviewer, gate_agent):
    req = approved(event, reviewer)
    badge = issuing.badge_issue(request_id=req.pk)
    with pytest.raises(ServiceError):
        printing.batch_create(event=event, badges=[badge], actor=gate_agent)
    with pytest.raises(BadgeCodeError):
        verify_code(
            badge.qr_text[:-2] + ("A" if badge.qr_text[-2] != "A" else "B") + badge.qr_text[-1],
            load_public_keys(settings.BADGE_PUBLIC_KEYS),
        )
    assert private_storage()


def test_a_held_up_batch_never_prints_again_what_another_batch_printed(
    event, reviewer, badge_desk, private_dir
):
    """The review: a batch held up by a dead worker came back an hour later and printed again
    60 badges the desk had meanwhile printed in a new batch (print count 2, no reason). Now a
    batch renders only what no later batch printed; a reprint keeps its own batch and reason."""
    reqs = [approved(event, reviewer) for _ in range(2)]
    for r in reqs:
        issuing.badge_issue(request_id=r.pk)
    first, second = Badge.objects.order_by("pk")
    held_up = printing.batch_create(
        event=event, badges=[first, second], actor=badge_desk, layout="a4_cr80"
    )
    meanwhile = printing.batch_create(event=event, badges=[first], actor=badge_desk)
    printing.batch_render(batch_id=meanwhile.pk)

    printing.batch_render(batch_id=held_up.pk)  # the held-up batch comes back

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.print_count, second.print_count) == (1, 1)
    reader = PdfReader(io.BytesIO(stored(PrintBatch.objects.get(pk=held_up.pk).file.name)))
    text = "".join(page.extract_text() for page in reader.pages)
    assert second.request.family_names.upper() in text
    assert first.request.family_names.upper() not in text


def test_the_words_on_a_badge_are_in_the_events_badge_languages_not_the_holders(
    event, reviewer, badge_desk, private_dir
):
    """The host prints French and Arabic together; an English-speaking holder's badge too.
    The event's name and the session labels come in those languages where staff gave them."""
    event.badge_languages = ["fr", "ar"]
    event.names = {"fr": "Assemblée générale", "ar": "الجمعية العامة"}
    event.save()
    opening = event.sessions.get(kind="opening")
    opening.titles = {"fr": "Cérémonie d'ouverture", "ar": "حفل الافتتاح"}
    opening.save()
    req = approved(event, reviewer, language="en")
    issuing.badge_issue(request_id=req.pk)
    badge = Badge.objects.get(request=req)
    data = printing._badge_data(badge, event.badge_label_languages)
    assert data.event_name == "Assemblée générale / الجمعية العامة"
    assert data.footer == "PRESSE / إعلام"
    assert ("Cérémonie d'ouverture / حفل الافتتاح", opening.colour) in data.sessions
    batch = printing.batch_create(
        event=event, badges=Badge.objects.filter(pk=badge.pk), actor=badge_desk, layout="a6"
    )
    batch = printing.batch_render(batch_id=batch.pk)
    text = PdfReader(io.BytesIO(stored(batch.file.name))).pages[0].extract_text()
    assert "Assemblée générale" in text and "PRESSE" in text
