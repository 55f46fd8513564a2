"""What the journalist and the press office may do, and what each refusal says: asking,
forwarding (only accredited journalists go forward), declining, merging, cancelling, writing
to the contact — and who is told."""

from __future__ import annotations

import pytest
from django.core import mail

from accreditation.errors import ServiceError
from accreditation.interviews import services
from accreditation.interviews.models import InterviewMessage, InterviewStatus
from accreditation.models import AuditEntry, Status
from tests.factories import make_user
from tests.interviews.helpers import ask, confirmed, forwarded, journalist, make_target, slot

pytestmark = pytest.mark.django_db
S = InterviewStatus


def refused(code, call, *args, **kwargs):
    with pytest.raises(ServiceError) as error:
        call(*args, **kwargs)
    assert error.value.code == code, error.value
    assert str(error.value.message)
    return error.value


# --- Asking ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields, code",
    [
        ({"topic": "  "}, "topic_required"),
        ({"languages": []}, "languages_required"),
        ({"languages": ["xx"]}, "languages_required"),
        ({"format": "telepathy"}, "format_required"),
        ({"preferred_times": ["1999-01-01/am"]}, "outside_event"),
        # A right-to-left override in the topic (read by the press office and the contact).
        ({"topic": "Borders \u202etsop"}, "invalid_characters"),
    ],
)
def test_a_request_missing_what_it_needs_is_refused(fields, code, amina, target):
    refused(code, ask, amina, target, **fields)


def test_a_topic_on_several_lines_is_taken(amina, target):
    assert ask(amina, target, topic="Borders\nand ports").topic == "Borders\nand ports"


def test_only_someone_from_the_list_of_this_event_may_be_asked(event, amina):
    from tests.factories import make_event

    other_event = make_event(slug="other")
    elsewhere = make_target(other_event)
    refused("unknown_target", ask, amina, elsewhere)
    retired = make_target(event, country="FR", active=False)
    refused("unknown_target", ask, amina, retired)


@pytest.mark.parametrize("status", [Status.REJECTED, Status.WITHDRAWN, Status.REVOKED])
def test_a_closed_accreditation_request_cannot_ask(status, event, target):
    closed = journalist(event, status=status)
    refused("not_accredited", ask, closed, target)


def test_the_same_person_is_asked_once_at_a_time_and_open_requests_are_limited(
    event, amina, target, monkeypatch
):
    first = ask(amina, target)
    refused("already_asked", ask, amina, target)
    services.interview_cancel_by_journalist(interview=first)
    ask(amina, target)  # once cancelled, asked again
    monkeypatch.setattr(services, "MAX_OPEN_PER_JOURNALIST", 2)
    ask(amina, make_target(event, country="FR"))
    refused("too_many", ask, amina, make_target(event, country="ES"))


def test_a_journalist_in_review_may_ask_but_their_request_goes_forward_only_once_approved(
    event, target, press_office, reviewer
):
    from accreditation import review

    pending = journalist(event, status=Status.IN_REVIEW)
    interview = ask(pending, target)
    refused("not_accredited", services.interview_forward, interview=interview, actor=press_office)
    review.request_approve(request=pending, actor=reviewer)
    services.interview_forward(interview=interview, actor=press_office)
    assert interview.status == S.FORWARDED


# --- Roles -------------------------------------------------------------------------------------


def test_reviewers_and_the_desk_cannot_triage(amina, target, reviewer, badge_desk):
    interview = ask(amina, target)
    for outsider in (reviewer, badge_desk):
        refused("forbidden", services.interview_forward, interview=interview, actor=outsider)
        refused(
            "forbidden",
            services.interview_decline,
            interview=interview,
            actor=outsider,
            reason="No.",
        )


def test_press_office_staff_assigned_to_another_event_cannot_triage_this_one(amina, target):
    from tests.factories import make_event

    elsewhere = make_user("press2", "Press office")
    make_event(slug="other").staff.add(elsewhere)
    interview = ask(amina, target)
    refused("not_assigned", services.interview_forward, interview=interview, actor=elsewhere)


# --- Forwarding, declining, merging -----------------------------------------------------------


def test_forwarding_writes_to_the_contact_in_their_language_with_a_private_link(
    event, amina, press_office, django_capture_on_commit_callbacks
):
    office = make_target(
        event,
        country="",
        name="Secretary General",
        language="es",
        names={"es": "Secretario General"},
    )
    interview = ask(amina, office)
    with django_capture_on_commit_callbacks(execute=True):
        services.interview_forward(interview=interview, actor=press_office, note="Breve.")
    (sent,) = mail.outbox
    assert sent.to == [office.contact_email]
    assert sent.reply_to == [event.contact_email]
    assert "Secretario General" in sent.body
    assert "/interviews/contact/" in sent.body
    assert sent.extra_headers["Message-ID"].startswith("<presspass-outbox-")
    assert InterviewMessage.objects.get().body == "Breve."


def test_declining_needs_a_reason_which_the_journalist_is_told(
    amina, target, press_office, django_capture_on_commit_callbacks
):
    interview = forwarded(amina, target, press_office)
    refused(
        "reason_required",
        services.interview_decline,
        interview=interview,
        actor=press_office,
        reason=" ",
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.interview_decline(interview=interview, actor=press_office, reason="Agenda full.")
    to = sorted(m.to[0] for m in mail.outbox)
    # The journalist is told why; the contact, who had it, is told it is off.
    assert to == sorted([amina.email, target.contact_email])
    (to_journalist,) = [m for m in mail.outbox if m.to == [amina.email]]
    assert "Agenda full." in to_journalist.body


def test_merging_into_a_group_interview_shares_its_slot_and_calendar_entry(
    event, amina, target, press_office, django_capture_on_commit_callbacks
):
    lead = confirmed(amina, target, press_office, [slot(event, 1, 10)])
    karim = journalist(event, given_names="Karim", language="ar")
    joining = ask(karim, target)
    with django_capture_on_commit_callbacks(execute=True):
        services.interview_merge(interview=joining, actor=press_office, into=lead, note="Groupe.")
    joining.refresh_from_db()
    assert (joining.status, joining.merged_into_id) == (S.MERGED, lead.pk)
    to_karim = [m for m in mail.outbox if m.to == [karim.email]]
    assert len(to_karim) == 2  # merged, then the group's confirmed slot
    assert any(a[0] == "interview.ics" for a in to_karim[-1].attachments)


@pytest.mark.parametrize("case", ["itself", "other_target", "both", "neither", "closed"])
def test_merging_needs_one_open_group_for_the_same_target_or_one_press_point(
    case, event, amina, target, press_office
):
    interview = ask(amina, target)
    other = ask(journalist(event), make_target(event, country="FR"))
    closed = ask(journalist(event), target)
    services.interview_decline(interview=closed, actor=press_office, reason="No.")
    session = event.sessions.get(kind="opening")
    into, press_point = {
        "itself": (interview, None),
        "other_target": (other, None),
        "both": (closed, session),
        "neither": (None, None),
        "closed": (closed, None),
    }[case]
    refused(
        "merge_target",
        services.interview_merge,
        interview=interview,
        actor=press_office,
        into=into,
        session=press_point,
    )


def test_a_journalist_busy_at_the_group_interviews_time_cannot_join_it(
    event, amina, target, press_office
):
    lead = confirmed(amina, target, press_office, [slot(event, 1, 10)])
    karim = journalist(event)
    confirmed(karim, make_target(event, country="FR"), press_office, [slot(event, 1, 10)])
    joining = ask(karim, target)
    refused(
        "journalist_busy",
        services.interview_merge,
        interview=joining,
        actor=press_office,
        into=lead,
    )


# --- Cancelling, writing to the contact -------------------------------------------------------


def test_the_journalist_cancelling_a_confirmed_interview_tells_the_contact_with_the_entry(
    event, amina, target, press_office, django_capture_on_commit_callbacks
):
    interview = confirmed(amina, target, press_office, [slot(event, 1, 10)])
    with django_capture_on_commit_callbacks(execute=True):
        services.interview_cancel_by_journalist(interview=interview, reason="Flight changed")
    (told,) = mail.outbox
    assert told.to == [target.contact_email]
    assert told.attachments[0][0] == "interview.ics"


def test_staff_cancelling_tells_the_journalist_and_the_contact_and_needs_a_reason(
    event, amina, target, press_office, django_capture_on_commit_callbacks
):
    interview = confirmed(amina, target, press_office, [slot(event, 1, 10)])
    refused(
        "reason_required",
        services.interview_cancel,
        interview=interview,
        actor=press_office,
        reason="",
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.interview_cancel(interview=interview, actor=press_office, reason="Minister left")
    assert sorted(m.to[0] for m in mail.outbox) == sorted([amina.email, target.contact_email])


def test_the_press_office_answers_the_contact_by_email_while_it_is_forwarded(
    amina, target, press_office, django_capture_on_commit_callbacks
):
    interview = ask(amina, target)
    refused(
        "not_forwarded",
        services.interview_write_to_contact,
        interview=interview,
        actor=press_office,
        text="Hello",
    )
    services.interview_forward(interview=interview, actor=press_office)
    refused(
        "text_required",
        services.interview_write_to_contact,
        interview=interview,
        actor=press_office,
        text=" ",
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.interview_write_to_contact(
            interview=interview, actor=press_office, text="She works for Le Matin."
        )
    (sent,) = mail.outbox
    assert "She works for Le Matin." in sent.body and "/interviews/contact/" in sent.body
    assert AuditEntry.objects.filter(action="interview.contact_written").count() == 1


def test_a_new_link_is_only_for_a_request_waiting_for_the_contact(amina, target, press_office):
    interview = ask(amina, target)
    refused("not_forwarded", services.interview_link_renew, interview=interview, actor=press_office)
    services.interview_forward(interview=interview, actor=press_office)
    old = interview.__class__.objects.get(pk=interview.pk).contact_nonce
    services.interview_link_renew(interview=interview, actor=press_office)
    assert interview.__class__.objects.get(pk=interview.pk).contact_nonce != old


def test_the_emails_are_background_tasks_staff_can_follow(
    amina, target, press_office, django_capture_on_commit_callbacks
):
    from accreditation.models import OutboxTask
    from accreditation.notify.admin import OutboxTaskAdmin

    interview = ask(amina, target)
    with django_capture_on_commit_callbacks(execute=True):
        services.interview_forward(interview=interview, actor=press_office)
    (row,) = OutboxTask.objects.filter(task_name="interviews.send_email")
    assert row.completed_at is not None
    shown = OutboxTaskAdmin(OutboxTask, None)
    assert (str(shown.task(row)), shown.concerns(row)) == ("Interview e-mail", amina.reference)
