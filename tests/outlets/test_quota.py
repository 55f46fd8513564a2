"""The outlet quota: per event and outlet type, raisable per outlet; beyond it, requests wait
in the focal point's order; two approvals at once never exceed it (PostgreSQL)."""

from __future__ import annotations

from functools import partial

import pytest
from django.db import connection, transaction

from accreditation.outlets import grouping, quota, registration
from accreditation.outlets.models import OutletLink, OutletQuota, QuotaPlace
from tests.concurrency import at_once
from tests.factories import make_event, make_request
from tests.outlets.helpers import make_outlet


def grouped(outlet, n, priorities=None):
    reqs = []
    for i in range(n):
        req = make_request(outlet.event)
        OutletLink.objects.create(
            request=req, outlet=outlet, how="crew", priority=(priorities or [100] * n)[i]
        )
        reqs.append(req)
    return reqs


@pytest.mark.django_db
def test_no_quota_no_limit(event):
    outlet = make_outlet(event)
    [req] = grouped(outlet, 1)
    assert quota.outlet_quota_allows(req)
    assert quota.outlet_quota_reserve(request=req)
    assert quota.outlet_quota_reserve(request=make_request(event))  # not grouped: no quota


@pytest.mark.django_db
def test_beyond_the_quota_requests_wait_in_the_focal_points_order(event, supervisor):
    OutletQuota.objects.create(event=event, outlet_type="print", people=2)
    outlet = make_outlet(event)
    a, b, c, d = grouped(outlet, 4, priorities=[1, 2, 4, 3])
    assert quota.outlet_quota_reserve(request=a) and quota.outlet_quota_reserve(request=b)
    assert quota.outlet_quota_reserve(request=a)  # held already: still fine
    assert not quota.outlet_quota_allows(c)
    assert not quota.outlet_quota_reserve(request=c)
    assert not quota.outlet_quota_reserve(request=d)
    assert quota.waiting_list(outlet) == [d, c]  # priority 3 before 4
    assert quota.outlet_quota_release(request=a) == d.pk  # a place for the first waiting
    assert quota.outlet_quota_reserve(request=d)
    registration.outlet_quota_raise(actor=supervisor, outlet=outlet, people=4)
    assert quota.outlet_quota_reserve(request=c)
    assert QuotaPlace.objects.filter(state="held").count() == 3


@pytest.mark.django_db
def test_a_split_request_no_longer_counts(event, reviewer):
    OutletQuota.objects.create(event=event, outlet_type="print", people=1)
    outlet = make_outlet(event)
    a, b = grouped(outlet, 2)
    grouping.request_ungroup(actor=reviewer, request=b)
    assert quota.outlet_quota_reserve(request=a) and quota.outlet_quota_reserve(request=b)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
def test_two_reviewers_approving_at_once_never_exceed_the_quota():
    event = make_event(slug="race")
    OutletQuota.objects.create(event=event, outlet_type="tv", people=3)
    outlet = make_outlet(event, outlet_type="tv")
    reqs = grouped(outlet, 8)

    def approve(req):
        with transaction.atomic():
            return quota.outlet_quota_reserve(request=req)

    results, errors = at_once([partial(approve, req) for req in reqs])
    assert not errors
    assert results.count(True) == 3
    assert QuotaPlace.objects.filter(outlet=outlet, state="held").count() == 3


def test_a_freed_place_goes_to_the_head_of_the_line_not_to_a_later_approval(event, reviewer):
    """Found in review: once a place was free, whichever request a reviewer approved first
    took it, ahead of those waiting in the focal point's order."""
    from accreditation.errors import ServiceError
    from accreditation.outlets import quota
    from accreditation.outlets.models import OutletLink, OutletQuota
    from accreditation.review import decisions
    from tests.factories import make_request
    from tests.outlets.helpers import make_outlet

    OutletQuota.objects.create(event=event, outlet_type="print", people=1)
    outlet = make_outlet(event)
    first, waiting, later = (make_request(event) for _ in range(3))
    for req, priority in ((first, 1), (waiting, 1), (later, 9)):
        OutletLink.objects.create(request=req, outlet=outlet, how="crew", priority=priority)
    decisions.request_approve(request=first, actor=reviewer)
    with pytest.raises(ServiceError):
        decisions.request_approve(request=waiting, actor=reviewer)
    assert quota.outlet_quota_release(request=first) == waiting.pk
    with pytest.raises(ServiceError) as refused:
        decisions.request_approve(request=later, actor=reviewer)
    assert refused.value.code == "outlet_quota_full"
    decisions.request_approve(request=waiting, actor=reviewer)  # the head of the line
    waiting.refresh_from_db()
    assert waiting.status == "approved"
