"""Public pages: the application form, its confirmation, and the private status page."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from accreditation.apply import address, answers, links, pending, submission, uploads
from accreditation.apply.forms import (
    FILE_SLOTS,
    AddressForm,
    AnswerForm,
    ApplicationForm,
    ResendLinkForm,
    too_large,
)
from accreditation.errors import ServiceError
from accreditation.models import AccreditationRequest, Message
from accreditation.outlets.crews import crew_from_session, crew_initial
from accreditation.ratelimit import client_ip, status_view_allowed, submission_allowed
from accreditation.review.capacity import waiting_positions
from accreditation.workflow import action_allowed
from config.logs import security_event
from events.models import Event


def _draft_key(request, scope: str) -> str:
    key = f"draft:{scope}"
    if key not in request.session:
        request.session[key] = secrets.token_hex(16)
    return request.session[key]


def _checked_files(request) -> tuple[dict, dict[str, str]]:
    """This post's acceptable files by slot, and an error message per refused slot."""
    files = {slot: request.FILES[slot] for slot in FILE_SLOTS if slot in request.FILES}
    checked, refused = pending.uploads_check(uploads=files)
    messages = {slot: str(exc.message) for slot, exc in refused.items()}
    for slot in getattr(request, "unstored_uploads", ()):
        messages[slot] = str(STORAGE_FULL)
    return checked, messages


# The disk would not take a file (accreditation.apply.uploads): the journalist keeps the form.
STORAGE_FULL = gettext_lazy(
    "We could not keep this file just now (our storage is full). Everything you typed is still "
    "here: send the file again in a few minutes."
)


def _language() -> str:
    return (get_language() or "en")[:2]


def event_list(request):
    events = Event.objects.filter(ends_on__gte=timezone.localdate()).order_by("starts_on")
    return render(request, "accreditation/event_list.html", {"events": events})


@csrf_exempt
def apply(request, slug: str):
    # The size-limiting handler must be installed before the body is read, which CSRF
    # checking would do; CSRF is therefore checked just below, after it is in place.
    if request.method == "POST":
        uploads.install(request)
    return _apply(request, slug)


@csrf_protect
def _apply(request, slug: str):
    event = get_object_or_404(Event, slug=slug)
    late = None
    late_value = request.GET.get("late") or request.POST.get("late") or ""
    if late_value:
        late = links.late_admission_from_token(event=event, value=late_value)
        if late is None:
            security_event("link.invalid", link="late_admission", client=client_ip(request))
    if not submission.accreditation_open(event=event, late_admission=late):
        typed = _typed_answers(request, event) if request.method == "POST" else []
        return render(
            request,
            "accreditation/closed.html",
            {
                "event": event,
                "state": event.accreditation_state(),
                "typed": typed,
                "mailto": _mailto(event, typed) if typed else "",
            },
            status=403 if request.method == "POST" else 200,
        )

    # The address is proved first (apply.address): by the link from the address step, or by the
    # late-admission link, which went to the admitted person's address.
    email, fresh = (late.email, True) if late else (None, False)
    if late is None and settings.PRESSPASS_CONFIRM_ADDRESS_FIRST:
        email, fresh = address.session_address(request.session, event)
        if email is None:
            return _address_step(request, event, status=403 if request.method == "POST" else 200)
        if not fresh and request.method == "GET":
            return _address_step(request, event, expired=email)

    draft_key = _draft_key(request, f"apply:{event.pk}")
    member = crew_from_session(request.session, event)  # a crew member's own link opened it
    if member is not None and email is None:
        # Their link proved their address (even with the address step off): it is theirs.
        email, fresh = member.email, True
    if request.method == "POST" and email and not fresh:
        # The proof went stale while the form was open: keep what was typed (files already
        # kept stay kept; this post's are not taken) and send a new link to the same address.
        if submission_allowed(request, "address"):
            address.address_check_start(
                event=event, email=email, language=_language(), client=client_ip(request)
            )
        form = ApplicationForm(
            request.POST, event=event, pending=pending.pending_uploads(draft_key), email=email
        )
        form.is_valid()
        form.add_error(None, ADDRESS_EXPIRED % {"email": email})
        return _apply_page(request, event, form, late, late_value, status=403)
    if request.method == "POST":
        if not submission_allowed(request, "apply"):
            return render(request, "accreditation/rate_limited.html", {"event": event}, status=429)
        checked, refused = _checked_files(request)
        for slot in request.POST.getlist("discard"):
            pending.pending_discard(draft_key=draft_key, slot=slot)
        form = ApplicationForm(
            request.POST,
            event=event,
            pending=pending.pending_uploads(draft_key),
            received=frozenset(checked),
            oversized=getattr(request, "oversized_uploads", set()),
            refused=refused,
            email=email if settings.PRESSPASS_CONFIRM_ADDRESS_FIRST or late or member else None,
            outlet_vouches=member is not None,
        )
        if form.is_valid():
            # This post's files go straight into the request; on failure they are kept.
            try:
                submitted = submission.request_submit(
                    event=event,
                    data=form.cleaned_data,
                    draft_key=draft_key,
                    uploads=checked,
                    language=_language(),
                    late_admission=late,
                    ip_address=client_ip(request),
                    address_confirmed=bool(email),
                    outlet_vouches=member is not None,
                )
            except ServiceError as exc:
                form.add_service_error(exc)
                form.pending = pending.pending_uploads(draft_key)
            else:
                del request.session[f"draft:apply:{event.pk}"]
                address.session_forget(request.session, event)
                request.session["submitted"] = submitted.request.pk
                return redirect("accreditation:submitted", slug=event.slug)
        else:
            # Keep the acceptable files, so that the corrected form need not send them again.
            form.pending = pending.uploads_stash(draft_key=draft_key, uploads=checked)
        # A file our storage could not take is our fault, for a moment: 503, not 400.
        status = 503 if getattr(request, "unstored_uploads", None) else 400
    else:
        form = ApplicationForm(
            event=event,
            pending=pending.pending_uploads(draft_key),
            email=email if settings.PRESSPASS_CONFIRM_ADDRESS_FIRST or late or member else None,
            initial=crew_initial(member) if member else None,
            outlet_vouches=member is not None,
        )
        status = 200
    return _apply_page(request, event, form, late, late_value, status=status)


def _typed_answers(request, event) -> list[tuple[str, str, str]]:
    """What a form sent after the deadline held, as (field, label, value) to show back:
    nothing is kept, but the person keeps what they typed (files are not shown back)."""
    form = ApplicationForm(request.POST, event=event, pending={})
    answers = []
    for name in submission.REQUEST_FIELDS:
        value = request.POST.get(name, "").strip()
        if not value or name not in form.fields:
            continue
        choices = dict(getattr(form.fields[name], "choices", None) or ())
        label = str(form.fields[name].label).capitalize()
        answers.append((name, label, str(choices.get(value, value))))
    for row in form.interview_forms:  # the interviews asked for, by whom and on what
        topic = str(row["topic"].value() or "").strip()
        if row.used and topic:
            target = row.fields["target"].queryset.filter(pk=_int(row["target"].value())).first()
            asked = f"{target.display_name()}: {topic}" if target else topic
            answers.append((row.prefix, row.legend, asked))
    return answers


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# Not put in an e-mail, which crosses servers we do not know: given on the form, later.
_NOT_MAILED = {"id_document_number", "date_of_birth"}


def _mailto(event, typed: list[tuple[str, str, str]]) -> str:
    from urllib.parse import quote

    subject = _("Late accreditation request — %(event)s") % {"event": event.display_name()}
    body = "\n".join(f"{label}: {value}" for name, label, value in typed if name not in _NOT_MAILED)
    return f"mailto:{event.contact_email}?subject={quote(subject)}&body={quote(body[:1800])}"


def _apply_page(request, event, form, late, late_value, *, status: int):
    # Only without the address step can a stranger reach this, and it tells them nothing then
    # that the deploy check (presspass.W002) has not warned about.
    typed = form["email"].value() or ""
    duplicate = (
        "email" in form.errors
        and typed
        and AccreditationRequest.objects.with_email(event, typed).exists()
    )
    return render(
        request,
        "accreditation/apply.html",
        {
            "event": event,
            "form": form,
            "late": late,
            "late_value": late_value if late else "",
            "duplicate_email": duplicate,
            "sessions": submission.media_sessions(event),
        },
        status=status,
    )


ADDRESS_EXPIRED = gettext_lazy(
    "Your address was confirmed too long ago. We have sent a new link to %(email)s: open it, "
    "then send this form again (attach again the files you added just now)."
)


def _address_step(
    request, event, *, status: int = 200, form=None, expired: str = "", link_expired=False
):
    """The first step: the address the link to the form goes to."""
    if form is None:
        form = AddressForm(initial={"email": expired} if expired else None)
    return render(
        request,
        "accreditation/address.html",
        {
            "event": event,
            "form": form,
            "expired": bool(expired),
            "link_expired": link_expired,
            "minutes": settings.PRESSPASS_ADDRESS_LINK_MINUTES,
        },
        status=status,
    )


@require_POST
def address_start(request, slug: str):
    event = get_object_or_404(Event, slug=slug)
    if not submission.accreditation_open(event=event):
        return redirect("accreditation:apply", slug=slug)
    form = AddressForm(request.POST)
    if not form.is_valid():
        return _address_step(request, event, status=400, form=form)
    if submission_allowed(request, "address"):
        address.address_check_start(
            event=event,
            email=form.cleaned_data["email"],
            language=_language(),
            client=client_ip(request),
        )
    # The same answer whether or not the address has applied: what differs is in the e-mail.
    request.session[f"address_sent:{event.pk}"] = form.cleaned_data["email"]
    return redirect("accreditation:address_sent", slug=slug)


def address_sent(request, slug: str):
    event = get_object_or_404(Event, slug=slug)
    email = request.session.get(f"address_sent:{event.pk}")
    if not email:
        return redirect("accreditation:apply", slug=slug)
    return render(
        request,
        "accreditation/address_sent.html",
        {"event": event, "email": email, "minutes": settings.PRESSPASS_ADDRESS_LINK_MINUTES},
    )


@never_cache
def address_confirm(request, slug: str):
    """The link from the e-mail. Opening it shows a button; only the button uses the link, so
    a mail scanner that opens links first does not spend it."""
    event = get_object_or_404(Event, slug=slug)
    if not status_view_allowed(request):  # a link tried, right or wrong, counts like a status page
        return render(request, "accreditation/rate_limited.html", {"event": event}, status=429)
    value = request.POST.get("token") or request.GET.get("token") or ""
    if request.method == "POST":
        email = address.address_check_use(event=event, value=value)
        if email is not None:
            address.session_confirm(request.session, event, email)
            return redirect("accreditation:apply", slug=slug)
    elif address.address_link_valid(event=event, value=value):
        return render(
            request, "accreditation/address_confirm.html", {"event": event, "token": value}
        )
    security_event("link.invalid", link="address", client=client_ip(request))
    return _address_step(request, event, status=410, link_expired=True)


def submitted(request, slug: str):
    event = get_object_or_404(Event, slug=slug)
    req = AccreditationRequest.objects.filter(
        pk=request.session.get("submitted"), event=event
    ).first()
    if req is None:
        return redirect("accreditation:apply", slug=slug)
    return render(request, "accreditation/submitted.html", {"event": event, "req": req})


@require_POST
def resend_link(request, slug: str):
    event = get_object_or_404(Event, slug=slug)
    form = ResendLinkForm(request.POST)
    if form.is_valid() and not address.resend_permitted(
        request.session, event, form.cleaned_data["email"]
    ):
        # The address step (the form's page shows it) sends a known address its status link.
        messages.info(request, _("Give your address below: we send your status link to it."))
        return redirect("accreditation:apply", slug=slug)
    if form.is_valid() and submission_allowed(request, "resend"):
        links.request_resend_link(event=event, email=form.cleaned_data["email"])
    messages.info(
        request, _("If a request exists for this address, its status link is on its way there.")
    )
    return redirect("accreditation:apply", slug=slug)


@csrf_exempt
@never_cache  # a private page: no browser or proxy keeps a copy
def status(request, reference: str, token: str):
    if request.method == "POST":
        uploads.install(request)
    return _status(request, reference, token)


@csrf_protect
def _status(request, reference: str, token: str):
    if not status_view_allowed(request):
        return render(request, "accreditation/rate_limited.html", {"event": None}, status=429)
    req = links.request_from_status_link(reference=reference, token=token)
    if req is None:
        security_event("link.invalid", link="status", client=client_ip(request))
        raise Http404(
            _("This status link is not valid. Use the latest link we sent you by e-mail.")
        )
    links.request_confirm_email(request=req)
    if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
        # The page speaks the language the journalist applied in (the e-mails' language),
        # not the browser's, until they choose another with the switcher.
        translation.activate(req.language)
        request.LANGUAGE_CODE = req.language
    draft_key = _draft_key(request, f"answer:{req.pk}")
    answer_form = AnswerForm()
    if request.method == "POST" and request.POST.get("action") == "answer":
        if not submission_allowed(request, "answer"):
            return render(
                request, "accreditation/rate_limited.html", {"event": req.event}, status=429
            )
        answer_form = AnswerForm(request.POST)
        checked, stash_errors = _checked_files(request)
        pending.uploads_stash(draft_key=draft_key, uploads=checked)
        for slot in getattr(request, "oversized_uploads", set()):
            stash_errors[slot] = too_large()
        if answer_form.is_valid() and not stash_errors:
            try:
                answers.request_answer(
                    request=req,
                    text=answer_form.cleaned_data["body"],
                    draft_key=draft_key,
                    ip_address=client_ip(request),
                )
            except ServiceError as exc:
                answer_form.add_error(
                    exc.field if exc.field in answer_form.fields else None, str(exc.message)
                )
            else:
                messages.success(
                    request, _("Thank you, your answer was sent to the accreditation team.")
                )
                return HttpResponseRedirect(request.path)
        for slot, message in stash_errors.items():
            answer_form.add_error(slot, message)
    elif request.method == "POST" and request.POST.get("action") == "withdraw":
        if not request.POST.get("confirm"):
            messages.error(request, _("Tick the box to confirm that you withdraw your request."))
            return HttpResponseRedirect(request.path)
        try:
            answers.request_withdraw(request=req, ip_address=client_ip(request))
        except ServiceError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Your request is withdrawn."))
        return HttpResponseRedirect(request.path)
    # A refused answer is a 400 (503 when our storage would not take a file), as on the form.
    status = 200
    if answer_form.errors:
        status = 503 if getattr(request, "unstored_uploads", None) else 400
    return render(
        request,
        "accreditation/status.html",
        {
            "req": req,
            "event": req.event,
            "answer_form": answer_form,
            "pending": pending.pending_uploads(draft_key),
            "staff_messages": req.messages.all(),
            "can_withdraw": action_allowed("withdraw", req.status),
            "waiting": waiting_positions(req),
            "Message": Message,
            "apply_url": reverse("accreditation:apply", kwargs={"slug": req.event.slug}),
        },
        status=status,
    )
