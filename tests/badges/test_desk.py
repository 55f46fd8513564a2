"""The badge desk's pages: print queue → batch PDF → handover with the photo."""

import pytest
from django.urls import reverse
from pypdf import PdfReader

from accreditation import review
from accreditation.badges import issuing, printing
from accreditation.models import AccreditationRequest, AuditEntry, Badge, PrintBatch, Status
from tests.factories import make_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(event, reviewer):
    reqs = []
    for country in ("MA", "FR"):
        req = make_request(event, outlet_country=country)
        review.request_approve(request=req, actor=reviewer)
        issuing.badge_issue(request_id=req.pk)
        reqs.append(req)
    return reqs


def test_the_desk_prints_a_filtered_batch_and_hands_a_badge_over(
    client, event, issued, badge_desk, django_capture_on_commit_callbacks
):
    client.force_login(badge_desk)
    queue = client.get(reverse("desk:queue") + "?country=FR")
    assert queue.status_code == 200
    html = queue.content.decode()
    assert issued[1].full_name in html and issued[0].full_name not in html

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("desk:queue") + "?country=FR", {"event": event.pk, "all": "1", "layout": "cr80"}
        )
    batch = PrintBatch.objects.get()
    assert response["Location"] == reverse("desk:batch", args=[batch.pk])
    assert batch.state == "done" and batch.total == 1
    pdf = client.get(reverse("desk:batch_file", args=[batch.pk]))
    assert pdf["Content-Type"] == "application/pdf" and "no-store" in pdf["Cache-Control"]
    import io

    assert len(PdfReader(io.BytesIO(b"".join(pdf.streaming_content))).pages) == 1
    assert AuditEntry.objects.filter(action="badge.batch_downloaded").exists()

    badge = Badge.objects.get(request=issued[1])
    found = client.get(reverse("desk:handover") + f"?q={issued[1].reference}")
    assert reverse("desk:badge", args=[badge.pk]) in found.content.decode()
    page = client.get(reverse("desk:badge", args=[badge.pk])).content.decode()
    assert 'id="holder-photo"' in page and 'id="handover-form"' in page
    refused = client.post(
        reverse("desk:badge", args=[badge.pk]), {"action": "handover"}, follow=True
    )
    assert "Check the holder" in refused.content.decode()
    client.post(
        reverse("desk:badge", args=[badge.pk]), {"action": "handover", "identity_checked": "1"}
    )
    assert AccreditationRequest.objects.get(pk=issued[1].pk).status == Status.COLLECTED


def test_a_lost_badge_is_reissued_and_reprinted_from_the_desk(
    client, event, issued, badge_desk, django_capture_on_commit_callbacks
):
    client.force_login(badge_desk)
    badge = Badge.objects.get(request=issued[0])
    printing.batch_render(
        batch_id=printing.batch_create(event=event, badges=[badge], actor=badge_desk).pk
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("desk:badge", args=[badge.pk]),
            {"action": "reissue", "reason": "Lost", "confirmed": "1"},
        )
    badge.refresh_from_db()
    assert badge.version == 2 and badge.print_count == 2
    assert PrintBatch.objects.filter(reprint_reason="Lost").exists()


def test_other_roles_cannot_use_the_desk(client, reviewer, gate_agent):
    for user in (reviewer, gate_agent):
        client.force_login(user)
        assert client.get(reverse("desk:queue")).status_code == 403
