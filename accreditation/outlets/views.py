"""The outlets' public pages: the registration form, the focal point's crew page, a crew
member's link, and the focal point's confirmation of a journalist. Thin: parse, call a
service, render."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from accreditation.apply import pending, submission, uploads
from accreditation.apply.forms import too_large
from accreditation.errors import ServiceError
from accreditation.outlets import crews, links, quota, registration
from accreditation.outlets.forms import PROOF_SLOT, CrewMemberForm, OutletForm
from accreditation.ratelimit import client_ip, status_view_allowed, submission_allowed
from config.logs import security_event
from events.models import Event


def _allowed(request) -> bool:
    """The private links' pages count against the per-address limits like the status page:
    every view (right or wrong links), and each post (it may send e-mail) as a submission."""
    if not status_view_allowed(request):
        return False
    return request.method != "POST" or submission_allowed(request, "outlet_link")


def _language() -> str:
    return (get_language() or "en")[:2]


def _draft_key(request, event) -> str:
    key = f"draft:outlet:{event.pk}"
    if key not in request.session:
        request.session[key] = secrets.token_hex(16)
    return request.session[key]


@csrf_exempt
def register(request, slug: str):
    # The size-limiting upload handler goes in before the body is read (CSRF just below).
    if request.method == "POST":
        uploads.install(request)
    return _register(request, slug)


@csrf_protect
@never_cache
def _register(request, slug: str):
    event = get_object_or_404(Event, slug=slug)
    if not submission.accreditation_open(event=event):
        return render(request, "outlets/closed.html", {"event": event}, status=403)
    draft_key = _draft_key(request, event)
    kept = pending.pending_uploads(draft_key).get(PROOF_SLOT)
    status = 200
    if request.method != "POST":
        form = OutletForm(kept_proof=kept)
        return _register_page(request, event, form, status)
    if not submission_allowed(request, "apply"):
        return render(request, "accreditation/rate_limited.html", {"event": event}, status=429)
    checked, proof_error = {}, ""
    if "proof" in getattr(request, "oversized_uploads", set()):
        proof_error = too_large()
    elif "proof" in request.FILES:
        checked, refused = pending.uploads_check(uploads={PROOF_SLOT: request.FILES["proof"]})
        if refused:
            proof_error = str(refused[PROOF_SLOT].message)
    form = OutletForm(request.POST, request.FILES, kept_proof=kept, proof_error=proof_error)
    if form.is_valid():
        try:
            outlet = registration.outlet_register(
                event=event,
                data=form.cleaned_data,
                proof=checked.get(PROOF_SLOT) or kept,
                language=_language(),
                ip_address=client_ip(request),
            )
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        else:
            del request.session[f"draft:outlet:{event.pk}"]
            request.session["outlet_registered"] = outlet.pk
            return redirect("outlets:registered", slug=slug)
    robot = any(name in form.errors for name in ("homepage", "started", "altcha"))
    if checked and not robot:  # keep the proof for the corrected form (never a robot's file)
        form.kept_proof = pending.uploads_stash(draft_key=draft_key, uploads=checked).get(
            PROOF_SLOT
        )
    return _register_page(request, event, form, 400)


def _register_page(request, event, form, status):
    return render(request, "outlets/register.html", {"event": event, "form": form}, status=status)


def registered(request, slug: str):
    event = get_object_or_404(Event, slug=slug)
    outlet = event.outlets.filter(pk=request.session.get("outlet_registered")).first()
    if outlet is None:
        return redirect("outlets:register", slug=slug)
    return render(request, "outlets/registered.html", {"event": event, "outlet": outlet})


@never_cache
def focal(request, pk: int, token: str):
    """The focal point's private page: the crew, each member's progress, add and remove."""
    if not _allowed(request):
        return render(request, "accreditation/rate_limited.html", {"event": None}, status=429)
    outlet = links.outlet_from_focal_link(pk=pk, token=token)
    if outlet is None:
        security_event("link.invalid", link="outlet_focal", client=client_ip(request))
        return render(request, "outlets/link_invalid.html", {"event": None}, status=404)
    form = CrewMemberForm()
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "add":
                form = CrewMemberForm(request.POST)
                if form.is_valid():
                    member = crews.crew_add(
                        outlet=outlet, language=_language(), **form.cleaned_data
                    )
                    messages.success(
                        request,
                        _("%(name)s is added; their personal link is on its way.")
                        % {"name": member.name},
                    )
                    return HttpResponseRedirect(request.path)
                status = 400
            elif action in ("remove", "resend", "priority"):
                member_id = int(request.POST.get("member", "0") or 0)
                if action == "remove":
                    crews.crew_remove(outlet=outlet, member_id=member_id)
                    messages.success(request, _("The member is removed from your crew."))
                elif action == "resend":
                    crews.crew_resend(outlet=outlet, member_id=member_id)
                    messages.success(request, _("A new link is on its way to the member."))
                else:
                    crews.crew_priority(
                        outlet=outlet,
                        member_id=member_id,
                        priority=int(request.POST.get("priority", "1") or 1),
                    )
                return HttpResponseRedirect(request.path)
        except ServiceError as exc:
            if action == "add":
                form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
                status = 400
            else:
                messages.error(request, str(exc.message))
                return HttpResponseRedirect(request.path)
        except ValueError:
            return HttpResponseRedirect(request.path)
    return render(
        request,
        "outlets/focal.html",
        {
            "outlet": outlet,
            "event": outlet.event,
            "form": form,
            "progress": crews.crew_progress(outlet),
            "limit": quota.quota_limit(outlet),
        },
        status=status,
    )


@never_cache
def crew(request, pk: int, token: str):
    """A crew member's link: a button (mail scanners open links first), which proves the
    member's address and opens the normal form with the outlet named."""
    if not _allowed(request):
        return render(request, "accreditation/rate_limited.html", {"event": None}, status=429)
    member, state = links.crew_link_state(pk=pk, token=token)
    if request.method == "POST" and state == "ok":
        member = links.crew_link_use(pk=pk, token=token)
        if member is not None:
            crews.crew_open(request.session, member)
            return redirect("accreditation:apply", slug=member.outlet.event.slug)
        state = "used"
    if state == "ok":
        return render(
            request, "outlets/crew.html", {"member": member, "event": member.outlet.event}
        )
    security_event("link.invalid", link="crew", reason=state, client=client_ip(request))
    event = member.outlet.event if member is not None else None
    return render(
        request, "outlets/link_invalid.html", {"event": event, "state": state}, status=410
    )


@never_cache
def confirm(request, pk: int, token: str):
    if not _allowed(request):
        return render(request, "accreditation/rate_limited.html", {"event": None}, status=429)
    confirmation = links.confirmation_from_link(pk=pk, token=token)
    if confirmation is None:
        security_event("link.invalid", link="outlet_confirm", client=client_ip(request))
        return render(request, "outlets/link_invalid.html", {"event": None}, status=404)
    if request.method == "POST" and request.POST.get("answer") in ("confirmed", "not_ours"):
        try:
            crews.confirmation_answer(
                confirmation=confirmation,
                confirmed=request.POST["answer"] == "confirmed",
                ip_address=client_ip(request),
            )
        except ServiceError as exc:
            messages.error(request, str(exc.message))
        return HttpResponseRedirect(request.path)
    return render(
        request,
        "outlets/confirm.html",
        {"confirmation": confirmation, "event": confirmation.outlet.event},
    )
