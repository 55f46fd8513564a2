"""Staff sessions end when left idle, and an account switched off and on again starts afresh:
none of its old sessions or gate tokens comes back to life."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import User
from django.urls import reverse

from accreditation.models import AuditEntry
from accreditation.staff import sessions
from tests.factories import make_user
from tests.staff.helpers import PASSWORD, sign_in

pytestmark = pytest.mark.django_db


def test_a_staff_session_left_idle_ends(client, settings):
    settings.PRESSPASS_STAFF_IDLE_MINUTES = 30
    make_user("amal", "Reviewer")
    start = dt.datetime.now(dt.UTC)
    with time_machine.travel(start, tick=False):
        assert sign_in(client, "amal").status_code == 302
        assert client.get(reverse("admin:index")).status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=29), tick=False):
        assert client.get(reverse("admin:index")).status_code == 200  # activity: kept
    with time_machine.travel(start + dt.timedelta(minutes=29 + 31), tick=False):
        left = client.get(reverse("admin:index"), follow=True)
    assert left.redirect_chain[-1][0].startswith(reverse("admin:login"))
    assert "without activity" in left.content.decode()


def test_a_deactivated_then_reactivated_account_keeps_none_of_its_sessions_or_gate_tokens(
    client, settings
):
    supervisor = make_user("sara", "Supervisor", is_superuser=True)
    agent = make_user("gate1", "Gate agent")
    phone = type(client)()
    assert sign_in(phone, "gate1").status_code == 302
    token = phone.get(reverse("gate:api_token")).json()["token"]
    valid = phone.get(
        reverse("gate:api_revocations", args=[1]), HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert valid.status_code != 401  # the token works (no such checkpoint here: 404)

    client.force_login(supervisor)
    response = client.post(
        reverse("admin:auth_user_change", args=[agent.pk]),
        {
            "username": "gate1",
            "is_staff": "on",  # "is_active" left out: the box unticked
            "groups": [g.pk for g in agent.groups.all()],
            "date_joined_0": agent.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": agent.date_joined.strftime("%H:%M:%S"),
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    agent.refresh_from_db()
    assert not agent.is_active and not agent.has_usable_password()
    assert AuditEntry.objects.filter(action="staff.deactivated", data__user=agent.pk).exists()

    # Switched on again (with the new password it now needs): nothing from before works.
    sessions.account_active_set(user=agent, active=True, actor=supervisor)
    agent.set_password(PASSWORD)
    agent.save()
    assert phone.get(reverse("gate:api_token")).status_code == 401  # the old session is gone
    old_token = phone.get(
        reverse("gate:api_revocations", args=[1]), HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert old_token.status_code == 401  # and so is the old gate token
    assert User.objects.get(pk=agent.pk).is_active
