import pytest
from django.urls import reverse

from events.models import Checkpoint

pytestmark = pytest.mark.django_db


def test_a_supervisor_sets_up_a_checkpoint_serving_the_ceremonies(client, event, supervisor):
    opening, closing = event.sessions.get(kind="opening"), event.sessions.get(kind="closing")
    client.force_login(supervisor)
    add = reverse("admin:events_checkpoint_add")
    assert client.get(add).status_code == 200
    answer = client.post(
        add, {"event": event.pk, "name": "North gate", "sessions": [opening.pk, closing.pk]}
    )
    assert answer.status_code == 302, answer.context["adminform"].form.errors
    checkpoint = Checkpoint.objects.get(name="North gate")
    assert set(checkpoint.sessions.all()) == {opening, closing}


@pytest.mark.parametrize("role", ["reviewer", "badge_desk", "gate_agent"])
def test_other_staff_cannot_change_the_checkpoints(client, event, role, request):
    client.force_login(request.getfixturevalue(role))
    answer = client.post(reverse("admin:events_checkpoint_add"), {"event": event.pk, "name": "X"})
    assert answer.status_code in (302, 403)  # 302: sent to the sign-in page (not staff)
    assert not Checkpoint.objects.exists()


def test_a_checkpoint_cannot_serve_another_events_session_and_keeps_what_was_typed(
    client, event, supervisor
):
    from tests.factories import make_event

    other = make_event(slug="other", name="Regional conference")
    theirs = other.sessions.get(kind="opening")
    client.force_login(supervisor)
    answer = client.post(
        reverse("admin:events_checkpoint_add"),
        {"event": event.pk, "name": "North gate", "sessions": [theirs.pk]},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert answer.status_code == 200
    errors = answer.context["adminform"].form.errors["sessions"]
    assert "son propre événement" in errors[0] and "Regional conference" in errors[0]
    assert 'value="North gate"' in answer.text  # nothing typed is lost
    assert not Checkpoint.objects.exists()


def test_a_session_cannot_be_moved_to_another_event(client, event, supervisor):
    """Badges grant sessions by id and the event's checkpoints serve them: a session stays in
    its event (the checkpoint form's rule could otherwise be walked round)."""
    from tests.factories import make_event

    other = make_event(slug="other", name="Regional conference")
    opening = event.sessions.get(kind="opening")
    client.force_login(supervisor)
    url = reverse("admin:events_session_change", args=[opening.pk])
    page = client.get(url)
    assert page.status_code == 200 and "event" not in page.context["adminform"].form.fields
    client.post(
        url,
        {
            "event": other.pk,
            "kind": opening.kind,
            "title": opening.title,
            "media_access": opening.media_access,
            "colour": opening.colour,
        },
    )
    opening.refresh_from_db()
    assert opening.event == event
