"""The interview e-mails, each in its recipient's language and the event's time zone: to the
journalist, to the target's contact (with their private link while it is theirs to answer),
to the press office. Plain text, rendered by the "text" template engine (nothing escaped) from
this app's templates (email/interviews/) by accreditation.notify.emails, as every e-mail is; a
confirmed or cancelled slot carries its .ics."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.utils import timezone, translation

from accreditation.interviews import ics
from accreditation.interviews.models import InterviewRequest, InterviewStatus
from accreditation.models import AccreditationRequest
from accreditation.notify import emails

TEMPLATES = Path(__file__).resolve().parent / "templates" / "email" / "interviews"
RECIPIENTS = ("journalist", "contact", "press_office")


def _interview(interview_id: int) -> InterviewRequest:
    return InterviewRequest.objects.select_related(
        "event", "target", "request", "merged_into__target", "merged_session"
    ).get(pk=interview_id)


def send(
    *,
    interview_id: int,
    recipient: str,
    kind: str,
    request_id: int | None = None,
    extra: dict | None = None,
    message_id: str | None = None,
) -> None:
    """Send the ``kind`` e-mail about an interview to ``recipient`` ("journalist": the
    journalist of ``request_id``, who may have joined it as part of a group; "contact";
    "press_office")."""
    from accreditation.apply import status_url
    from accreditation.interviews.contact import contact_link_open, contact_url

    interview = _interview(interview_id)
    event = interview.event
    target = interview.target
    context = {
        "kind": kind,
        "interview": interview,
        "event": event,
        "target": target,
        "journalist": interview.request,
        "slots": list(interview.slots.filter(withdrawn=False)),
        **(extra or {}),
    }
    if recipient == "journalist":
        journalist = (
            interview.request
            if request_id in (None, interview.request_id)
            else AccreditationRequest.objects.get(pk=request_id)
        )
        context.update(journalist=journalist, status_url=status_url(journalist))
        to, reply_to, language = journalist.email, event.contact_email, journalist.language
    elif recipient == "contact":
        if contact_link_open(interview):
            context["contact_url"] = contact_url(interview)
        to, reply_to, language = target.contact_email, event.contact_email, target.contact_language
    elif recipient == "press_office":
        path = f"/admin/interviews/interviewrequest/{interview.pk}/triage/"
        context["admin_url"] = settings.SITE_URL + path
        to, reply_to, language = event.contact_email, target.contact_email, event.notice_language
    else:
        raise ValueError(f"unknown recipient {recipient!r}")
    context["group"] = interview.merged.filter(status=InterviewStatus.MERGED).exists()
    rendered = emails.render(recipient, context, language=language, tz=event.tz, folder=TEMPLATES)
    message = emails.message(rendered, to=to, reply_to=reply_to, message_id=message_id)
    if ics.has_slot(interview) and kind in ("confirmed", "cancelled"):
        with translation.override(language), timezone.override(event.tz):
            attachment = ics.interview_ics(
                interview,
                cancelled=interview.status == InterviewStatus.CANCELLED,
                group=context["group"],
            )
        message.attach("interview.ics", attachment, "text/calendar; charset=utf-8; method=PUBLISH")
    message.send()
