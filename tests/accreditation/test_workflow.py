"""What people may do to a request, and from which statuses: one table in the state machine
(workflow.ACTIONS_ALLOWED), enforced by the services; the admin and the status page read it."""

import pytest
from django.urls import reverse

from accreditation import apply, review
from accreditation.errors import TransitionError
from accreditation.models import AccreditationRequest, AuditEntry, Status
from accreditation.workflow import ACTIONS_ALLOWED, TRANSITIONS, action_allowed
from tests.factories import make_request

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("action", sorted(ACTIONS_ALLOWED))
def test_every_action_is_allowed_only_where_the_state_machine_has_its_transition(action):
    target, allowed_from = ACTIONS_ALLOWED[action]
    assert allowed_from, action
    for status in allowed_from:
        assert target in TRANSITIONS[status], (action, status)


@pytest.mark.parametrize("status", ["submitted", "checking", "info_requested", "in_review"])
def test_only_a_rejected_or_revoked_request_can_be_reopened(event, supervisor, status):
    """The defect: reopening a request whose checks were running (or that waited for the
    journalist) moved it to "in review" — the rule lived only in the admin's hidden button."""
    req = make_request(event, status=status, documents=())
    with pytest.raises(TransitionError) as refused:
        review.request_reopen(request=req, actor=supervisor, reason="Look again")
    assert refused.value.code == "not_allowed"
    assert AccreditationRequest.objects.get(pk=req.pk).status == status
    assert not AuditEntry.objects.filter(action="accreditation.reopened").exists()


@pytest.mark.parametrize("status", ["rejected", "revoked"])
def test_a_rejected_or_revoked_request_is_reopened(event, supervisor, status):
    req = make_request(event, status=status, documents=())
    review.request_reopen(request=req, actor=supervisor, reason="Mistaken identity")
    assert AccreditationRequest.objects.get(pk=req.pk).status == Status.IN_REVIEW


def test_the_admin_refuses_to_reopen_a_request_in_checking(client, event, supervisor):
    req = make_request(event, status="checking", documents=())
    client.force_login(supervisor)
    url = reverse("admin:accreditation_request_decide", args=[req.pk, "reopen"])
    response = client.post(url, {"reason": "Look again"}, follow=True)
    assert response.status_code == 200
    assert AccreditationRequest.objects.get(pk=req.pk).status == "checking"


@pytest.mark.parametrize("status", Status.values)
def test_the_status_page_offers_withdrawal_exactly_where_the_service_allows_it(event, status):
    req = make_request(event, status=status, documents=())
    allowed = action_allowed("withdraw", status)
    if allowed:
        apply.request_withdraw(request=req)
        assert AccreditationRequest.objects.get(pk=req.pk).status == Status.WITHDRAWN
    else:
        with pytest.raises(TransitionError):
            apply.request_withdraw(request=req)
        assert AccreditationRequest.objects.get(pk=req.pk).status == status
