"""One valid badge per person: a same-code copy only before handover; after it, a new version
(every earlier copy stops working), confirmed, with a reason, logged."""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from accreditation import review
from accreditation.badges import issuing, printing
from accreditation.errors import ServiceError
from accreditation.models import AuditEntry, Badge, PrintBatch
from tests.factories import make_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def printed(event, reviewer, badge_desk):
    req = make_request(event)
    review.request_approve(request=req, actor=reviewer)
    badge = issuing.badge_issue(request_id=req.pk)
    printing.batch_render(
        batch_id=printing.batch_create(event=event, badges=[badge], actor=badge_desk).pk
    )
    badge.refresh_from_db()
    return badge


@pytest.fixture
def handed_over(printed, badge_desk):
    issuing.badge_handover(badge=printed, actor=badge_desk, identity_checked=True)
    printed.refresh_from_db()
    return printed


def test_a_damaged_print_is_reprinted_with_the_same_code_before_handover(printed, badge_desk):
    batch = printing.batch_create(
        event=printed.event, badges=[printed], actor=badge_desk, reprint_reason="Smudged"
    )
    printing.batch_render(batch_id=batch.pk)
    printed.refresh_from_db()
    assert printed.version == 1 and printed.print_count == 2


def test_no_same_code_copy_once_the_badge_was_handed_over(handed_over, badge_desk):
    with pytest.raises(ServiceError) as refused:
        printing.batch_create(
            event=handed_over.event, badges=[handed_over], actor=badge_desk, reprint_reason="x"
        )
    assert refused.value.code == "handed_over"
    assert PrintBatch.objects.filter(badges=handed_over).count() == 1


def test_a_copy_queued_before_handover_is_not_printed_after_it(printed, badge_desk):
    batch = printing.batch_create(
        event=printed.event, badges=[printed], actor=badge_desk, reprint_reason="Smudged"
    )
    issuing.badge_handover(badge=printed, actor=badge_desk, identity_checked=True)
    done = printing.batch_render(batch_id=batch.pk)
    printed.refresh_from_db()
    assert printed.print_count == 1
    assert done.state == "failed" and not done.file
    with translation.override(printed.event.languages[0]):
        assert done.error == gettext(
            "Nothing to print: every badge in it was handed over or printed by another "
            "batch after it was queued."
        )


def test_a_new_version_needs_a_confirmation_and_a_reason(handed_over, badge_desk):
    for confirmed, reason, code in (
        (False, "Lost", "confirmation_required"),
        (True, " ", "reason_required"),
    ):
        with pytest.raises(ServiceError) as refused:
            issuing.badge_reissue(
                badge=handed_over, actor=badge_desk, reason=reason, confirmed=confirmed
            )
        assert refused.value.code == code
    assert Badge.objects.get(pk=handed_over.pk).version == 1
    issuing.badge_reissue(badge=handed_over, actor=badge_desk, reason="Lost", confirmed=True)
    entry = AuditEntry.objects.get(action="badge.reissued")
    assert entry.reason == "Lost" and entry.data["version"] == 2
    assert entry.actor_id == badge_desk.pk


def test_the_desk_offers_no_same_code_reprint_after_handover(client, handed_over, badge_desk):
    client.force_login(badge_desk)
    url = reverse("desk:badge", args=[handed_over.pk])
    page = client.get(url).content.decode()
    assert 'value="reprint"' not in page and 'value="reissue"' in page
    refused = client.post(url, {"action": "reprint", "reason": "Again"}, follow=True)
    assert "handed over" in refused.content.decode()
    unconfirmed = client.post(url, {"action": "reissue", "reason": "Lost"}, follow=True)
    assert "Confirm" in unconfirmed.content.decode()
    assert Badge.objects.get(pk=handed_over.pk).version == 1
    client.post(url, {"action": "reissue", "reason": "Lost", "confirmed": "1"})
    assert Badge.objects.get(pk=handed_over.pk).version == 2


def test_before_handover_the_desk_offers_the_same_code_reprint(client, printed, badge_desk):
    client.force_login(badge_desk)
    page = client.get(reverse("desk:badge", args=[printed.pk])).content.decode()
    assert 'value="reprint"' in page
