"""The journalist's interviews on their status page ({% interviews_panel %} in
interviews/_status.html): each request's state, the proposed times to confirm, the form to ask."""

from __future__ import annotations

from django import template

from accreditation import tokens
from accreditation.interviews import selectors
from accreditation.interviews.forms import InterviewAskForm, preferred_time_label
from accreditation.interviews.models import InterviewTarget
from accreditation.interviews.workflow import MAY_ASK, action_allowed

register = template.Library()


@register.inclusion_tag("interviews/_panel.html", takes_context=True)
def interviews_panel(context):
    req, event = context["req"], context["event"]
    interviews = selectors.status_interviews(req)
    may_ask = (
        req.status in MAY_ASK and InterviewTarget.objects.filter(event=event, active=True).exists()
    )
    token = tokens.make_token("status", req.pk, req.status_nonce)
    return {
        "req": req,
        "event": event,
        "csrf_token": context.get("csrf_token"),
        "token": token,
        "interviews": [
            {
                "interview": interview,
                "may_confirm": action_allowed("confirm", interview.status),
                "may_cancel": action_allowed("cancel", interview.status),
            }
            for interview in interviews
        ],
        "busy": selectors.busy_slot_ids(req, interviews),
        "form": InterviewAskForm(event=event, auto_id="interview-%s") if may_ask else None,
    }


@register.filter
def preferred_time(value: str) -> str:
    return preferred_time_label(value)
