"""Staff review: the state machine, each decision and refusal, and what each role may do."""

import csv
import io

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accreditation import review
from accreditation.errors import ServiceError, TransitionError
from accreditation.models import AccreditationRequest, AuditEntry, Message, RejectionReason, Status
from accreditation.workflow import TRANSITIONS, transition
from tests.factories import make_request

pytestmark = pytest.mark.django_db


def change_url(req):
    return reverse("admin:accreditation_accreditationrequest_change", args=[req.pk])


def decide(client, req, decision, **data):
    return client.post(reverse("admin:accreditation_request_decide", args=[req.pk, decision]), data)


@pytest.mark.parametrize("status", [s for s in Status.values])
def test_the_state_machine_refuses_every_transition_not_in_its_table(event, status):
    req = make_request(event, status=status, documents=())
    for target in Status.values:
        if target in TRANSITIONS[status]:
            continue
        with pytest.raises(TransitionError) as refused:
            transition(req, to=target, actor_label="test")
        assert refused.value.code == "invalid_transition"
    assert AccreditationRequest.objects.get(pk=req.pk).status == status


def test_a_stale_transition_loses_to_the_one_that_came_first(event, reviewer):
    req = make_request(event)
    other_copy = AccreditationRequest.objects.get(pk=req.pk)
    review.request_approve(request=req, actor=reviewer)
    with pytest.raises(TransitionError) as refused:
        transition(other_copy, to=Status.REJECTED, actor=reviewer, reason="double click")
    assert refused.value.code == "stale"
    assert AuditEntry.objects.filter(request=req, to_status=Status.APPROVED).count() == 1


def test_approval_grants_only_open_sessions_and_emails_the_journalist(
    event, reviewer, django_capture_on_commit_callbacks
):
    req = make_request(event)
    req.sessions_requested.add(event.sessions.get(kind="plenary"))  # closed: never granted
    with django_capture_on_commit_callbacks(execute=True):
        review.request_approve(request=req, actor=reviewer)
    req.refresh_from_db()
    assert req.status == Status.BADGE_ISSUED  # approved, then the badge was issued after commit
    assert sorted(req.sessions_granted.values_list("kind", flat=True)) == ["closing", "opening"]
    entry = AuditEntry.objects.get(request=req, action="accreditation.approved")
    assert entry.actor == reviewer and entry.from_status == "in_review"
    (email,) = mail.outbox
    assert email.to == [req.email] and req.reference in email.body
    assert "badge" in email.body.lower() and ".pdf" not in email.body.lower()
    assert not email.attachments


def test_rejection_needs_a_reason_and_sends_it_in_the_journalists_language(
    event, reviewer, django_capture_on_commit_callbacks
):
    req = make_request(event, language="fr")
    with pytest.raises(ServiceError) as refused:
        review.request_reject(request=req, actor=reviewer)
    assert refused.value.code == "reason_required"
    reason = RejectionReason.objects.create(
        title="No outlet",
        text_en="We could not confirm your outlet.",
        text_fr="Nous n'avons pas pu confirmer votre média.",
    )
    with django_capture_on_commit_callbacks(execute=True):
        review.request_reject(
            request=req, actor=reviewer, reason=reason, text="Send a mission letter next time."
        )
    req.refresh_from_db()
    assert req.status == Status.REJECTED
    (email,) = mail.outbox
    assert "Nous n'avons pas pu confirmer votre média." in email.body
    assert "Send a mission letter next time." in email.body
    assert AuditEntry.objects.get(request=req, action="accreditation.rejected").reason.startswith(
        "Nous"
    )


def test_asking_for_information_and_the_answer_returns_the_request_to_the_queue(
    event, reviewer, client, django_capture_on_commit_callbacks
):
    from accreditation.apply import status_path

    req = make_request(event)
    with django_capture_on_commit_callbacks(execute=True):
        review.request_ask_info(request=req, actor=reviewer, message="Please send a sharper photo.")
    assert "Please send a sharper photo." in mail.outbox[0].body
    page = client.get(status_path(req), HTTP_ACCEPT_LANGUAGE="en")
    assert "Please send a sharper photo." in page.content.decode()
    response = client.post(status_path(req), {"action": "answer", "body": "Here it is."})
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == Status.IN_REVIEW
    assert list(Message.objects.filter(request=req).values_list("author", flat=True)) == [
        "staff",
        "applicant",
    ]


def test_revocation_and_reopening(event, reviewer, supervisor):
    req = make_request(event)
    review.request_approve(request=req, actor=reviewer)
    with pytest.raises(ServiceError):
        review.request_revoke(request=req, actor=reviewer, reason="")
    review.request_revoke(request=req, actor=reviewer, reason="Misconduct at the opening")
    assert AccreditationRequest.objects.get(pk=req.pk).status == Status.REVOKED
    with pytest.raises(ServiceError) as refused:
        review.request_reopen(request=req, actor=reviewer, reason="mistake")
    assert refused.value.code == "forbidden"
    review.request_reopen(request=req, actor=supervisor, reason="Mistaken identity")
    assert AccreditationRequest.objects.get(pk=req.pk).status == Status.IN_REVIEW


def test_vetting_round_trip_blocks_approval_until_cleared(event, reviewer, supervisor):
    event.security_vetting_required = True
    event.save()
    cleared = make_request(event, vetting="pending")
    refused = make_request(event, vetting="pending")
    with pytest.raises(ServiceError) as blocked:
        review.request_approve(request=cleared, actor=reviewer)
    assert blocked.value.code == "vetting_pending"

    rows = review.vetting_rows(event=event, actor=supervisor)
    assert rows[0][:3] == ["reference", "family_names", "given_names"]
    exported = list(csv.reader(io.StringIO(review.rows_to_csv(rows))))
    assert {row[0] for row in exported[1:]} == {cleared.reference, refused.reference}
    assert review.rows_to_xlsx(rows)[:2] == b"PK"

    # The security service fills in the decision column and sends the file back.
    answer = io.StringIO()
    writer = csv.writer(answer)
    writer.writerow(exported[0])
    for row in exported[1:]:
        row[-2] = "cleared" if row[0] == cleared.reference else "not cleared"
        writer.writerow(row)
    writer.writerow(["ZZZZ-ZZZZ"] + [""] * 10 + ["cleared", ""])
    result = review.vetting_import(
        event=event,
        actor=supervisor,
        rows=review.read_vetting_file(answer.getvalue().encode(), "answer.csv"),
    )
    assert (result.cleared, result.not_cleared, len(result.problems)) == (1, 1, 1)

    review.request_approve(request=cleared, actor=reviewer)
    with pytest.raises(ServiceError) as blocked:
        review.request_approve(request=refused, actor=reviewer)
    assert blocked.value.code == "vetting_not_cleared"


def test_a_vetting_export_neutralises_spreadsheet_formulas(event, supervisor):
    make_request(event, vetting="pending", family_names='=HYPERLINK("http://x")')
    text = review.rows_to_csv(review.vetting_rows(event=event, actor=supervisor))
    assert "'=HYPERLINK" in text


# --- The admin ------------------------------------------------------------------------------


def test_a_reviewer_approves_from_the_admin(client, event, reviewer):
    req = make_request(event)
    client.force_login(reviewer)
    page = client.get(change_url(req))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="decide-approve"' in html and 'id="decide-reopen"' not in html
    response = decide(
        client, req, "approve", sessions=[s.pk for s in event.sessions.filter(kind="opening")]
    )
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == Status.APPROVED
    assert list(req.sessions_granted.values_list("kind", flat=True)) == ["opening"]


def test_an_invalid_decision_from_the_admin_says_why_and_changes_nothing(client, event, reviewer):
    req = make_request(event, status="submitted")
    client.force_login(reviewer)
    response = decide(client, req, "approve")
    assert AccreditationRequest.objects.get(pk=req.pk).status == "submitted"
    page = client.get(response["Location"])
    assert "cannot become" in page.content.decode()


@pytest.mark.parametrize(
    ("persona", "status"), [("badge_desk", 403), ("gate_agent", 403), ("reviewer", 200)]
)
def test_documents_are_shown_only_to_roles_that_need_them(client, event, request, persona, status):
    user = request.getfixturevalue(persona)
    req = make_request(event)
    identity = req.documents.get(kind="identity")
    client.force_login(user)
    response = client.get(
        reverse("admin:accreditation_document_file", args=[identity.pk, "original"])
    )
    if user.has_perm("accreditation.open_documents"):
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content).startswith(b"%PDF")
        assert AuditEntry.objects.filter(action="document.viewed", actor=user).count() == 1
    else:
        assert response.status_code in (302, status)  # non-staff are sent to the login page
        assert AuditEntry.objects.filter(action="document.view_refused", actor=user).count() <= 1


def test_the_badge_desk_sees_the_photo_but_no_other_document(client, event, badge_desk):
    req = make_request(event)
    client.force_login(badge_desk)
    photo = req.documents.get(kind="photo")
    assert (
        client.get(
            reverse("admin:accreditation_document_file", args=[photo.pk, "original"])
        ).status_code
        == 200
    )
    card = req.documents.get(kind="press_card")
    assert (
        client.get(
            reverse("admin:accreditation_document_file", args=[card.pk, "original"])
        ).status_code
        == 403
    )
    assert client.get(change_url(req)).status_code == 403


def test_a_reviewer_cannot_export_or_see_statistics(client, event, reviewer, supervisor):
    make_request(event)
    client.force_login(reviewer)
    assert client.get(reverse("admin:accreditation_request_export")).status_code == 403
    assert client.get(reverse("admin:accreditation_request_statistics")).status_code == 403
    assert (
        client.post(reverse("admin:accreditation_request_decide", args=[1, "reopen"])).status_code
        == 403
    )
    client.force_login(supervisor)
    export = client.get(reverse("admin:accreditation_request_export"))
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert rows[0][0] == "reference" and len(rows) == 2
    stats = client.get(reverse("admin:accreditation_request_statistics"))
    assert stats.status_code == 200 and 'id="per-day"' in stats.content.decode()


def test_the_audit_log_is_append_only_in_the_admin(client, event, supervisor):
    req = make_request(event)
    review.request_ask_info(request=req, actor=supervisor, message="?")
    client.force_login(supervisor)
    entry = AuditEntry.objects.first()
    assert client.get(reverse("admin:accreditation_auditentry_changelist")).status_code == 200
    assert (
        client.post(
            reverse("admin:accreditation_auditentry_delete", args=[entry.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def _list_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_queue_costs_the_same_number_of_queries_at_any_size(client, event, reviewer):
    client.force_login(reviewer)
    url = (
        reverse("admin:accreditation_accreditationrequest_changelist")
        + "?q=Idrissi&status__exact=in_review"
    )
    for _ in range(3):
        make_request(event, documents=())
    small = _list_queries(client, url)
    for _ in range(40):
        make_request(event, documents=(), outlet_country="FR")
    large = _list_queries(client, url)
    assert small == large
    page = client.get(url).content.decode()
    assert 'data-status="in_review"' in page
