"""The public interview pages: the journalist's posts from their status page (ask, confirm a
slot, ask for other times, cancel), and the target contact's private page. Thin: parse, call a
service, redirect or render."""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accreditation.apply.links import request_from_status_link, status_path
from accreditation.errors import ServiceError
from accreditation.interviews import booking, contact, services
from accreditation.interviews.forms import (
    ContactDeclineForm,
    InterviewAskForm,
    ProposeForm,
    QuestionForm,
)
from accreditation.ratelimit import client_ip, status_view_allowed, submission_allowed
from config.logs import security_event


class RateLimited(Exception):
    pass


def _journalist(request, reference: str, token: str):
    """The status link's request, in its language (as the status page speaks it), or 404.
    Counted like the status page's own views (right or wrong links alike)."""
    if not status_view_allowed(request):
        raise RateLimited
    req = request_from_status_link(reference=reference, token=token)
    if req is None:
        security_event("link.invalid", link="status", client=client_ip(request))
        raise Http404(
            _("This status link is not valid. Use the latest link we sent you by e-mail.")
        )
    if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
        translation.activate(req.language)
        request.LANGUAGE_CODE = req.language
    return req


def _back(req, anchor: str = "interviews") -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{status_path(req)}#{anchor}")


def _rate_limited(view):
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except RateLimited:
            return render(request, "accreditation/rate_limited.html", {"event": None}, status=429)

    return wraps(view)(wrapped)


@require_POST
@never_cache
@_rate_limited
def ask(request, reference: str, token: str):
    req = _journalist(request, reference, token)
    if not submission_allowed(request, "interview"):
        return render(request, "accreditation/rate_limited.html", {"event": req.event}, status=429)
    form = InterviewAskForm(request.POST, event=req.event, auto_id="interview-%s")
    if form.is_valid():
        try:
            services.interview_ask(request=req, **form.cleaned_data, ip_address=client_ip(request))
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        else:
            messages.success(
                request,
                _(
                    "Your interview request is sent. The press office will tell you what comes next."
                ),
            )
            return _back(req)
    return render(
        request,
        "interviews/ask.html",
        {"req": req, "event": req.event, "form": form, "back": status_path(req)},
        status=400,
    )


def _own_interview(req, pk: int):
    interview = req.interviews.select_related("event", "target").filter(pk=pk).first()
    if interview is None:
        raise Http404(_("No such interview request."))
    return interview


@require_POST
@never_cache
@_rate_limited
def act(request, reference: str, token: str, pk: int, action: str):
    """The journalist's answer to a proposal (confirm, other times) or their cancellation."""
    req = _journalist(request, reference, token)
    interview = _own_interview(req, pk)
    ip = client_ip(request)
    try:
        if action == "confirm":
            try:
                slot_id = int(request.POST.get("slot", ""))
            except ValueError:
                raise ServiceError("unknown_slot", _("Choose one of the times proposed.")) from None
            booking.interview_confirm(interview=interview, slot_id=slot_id, ip_address=ip)
            done = _(
                "Confirmed. The interview is in the e-mail we are sending you, with its calendar entry."
            )
        elif action == "other-times":
            booking.interview_other_times(
                interview=interview, note=request.POST.get("note", "")[:1000], ip_address=ip
            )
            done = _("We have asked for other times.")
        elif action == "cancel":
            if not request.POST.get("confirm"):
                raise ServiceError(
                    "confirm_required", _("Tick the box to confirm that you cancel it.")
                )
            services.interview_cancel_by_journalist(interview=interview, ip_address=ip)
            done = _("Your interview request is cancelled.")
        else:
            raise Http404()
    except ServiceError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, done)
    return _back(req, f"interview-{interview.pk}")


@never_cache
def contact_page(request, pk: int, token: str):
    """The target contact's private page: the request, and what they may answer."""
    if not status_view_allowed(request):
        return render(request, "accreditation/rate_limited.html", {"event": None}, status=429)
    try:
        interview = contact.interview_from_contact_link(pk=pk, token=token)
    except ServiceError as exc:
        security_event(
            "link.invalid", link="interview_contact", reason=exc.code, client=client_ip(request)
        )
        return render(
            request,
            "interviews/contact_closed.html",
            {"message": exc.message, "code": exc.code},
            status=404 if exc.code == "link_invalid" else 410,
        )
    if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
        translation.activate(interview.target.contact_language)
        request.LANGUAGE_CODE = interview.target.contact_language
    event = interview.event
    forms = {
        "propose": ProposeForm(event=event),
        "decline": ContactDeclineForm(),
        "question": QuestionForm(),
    }
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        ip = client_ip(request)
        try:
            if action == "propose":
                form = forms["propose"] = ProposeForm(request.POST, event=event)
                if form.is_valid():
                    contact.interview_propose(
                        interview=interview,
                        slots=form.slots(),
                        place=form.cleaned_data["place"],
                        note=form.cleaned_data["note"],
                        ip_address=ip,
                    )
                    return _answered(
                        request,
                        interview,
                        _("Thank you: the journalist is told the times you propose."),
                    )
            elif action == "decline":
                form = forms["decline"] = ContactDeclineForm(request.POST)
                if form.is_valid():
                    contact.interview_contact_decline(
                        interview=interview, reason=form.cleaned_data["reason"], ip_address=ip
                    )
                    return _answered(request, interview, _("Thank you: the journalist is told."))
            elif action == "question":
                form = forms["question"] = QuestionForm(request.POST)
                if form.is_valid():
                    contact.interview_contact_ask(
                        interview=interview, question=form.cleaned_data["question"], ip_address=ip
                    )
                    messages.success(
                        request,
                        _(
                            "Your question is sent to the press office. This link stays valid for your answer."
                        ),
                    )
                    return HttpResponseRedirect(request.path)
            else:
                raise Http404()
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        status = 400
    return render(
        request,
        "interviews/contact.html",
        {
            "interview": interview,
            "event": event,
            "journalist": interview.request,
            "forms": forms,
            "open_action": request.POST.get("action", "") if status == 400 else "",
        },
        status=status,
    )


def _answered(request, interview, text: str):
    return render(
        request,
        "interviews/contact_closed.html",
        {"message": text, "code": "answered", "event": interview.event},
    )
