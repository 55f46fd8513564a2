"""The journalist's erasure page, from their status link: what would be erased and what must
be kept, a confirmation, then the request waiting for staff (erasure_requests.py)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accreditation.apply import links
from accreditation.privacy import erasure_requests
from accreditation.privacy.status_link import own_request
from accreditation.ratelimit import client_ip, status_view_allowed

NO_STORE = "no-store, private"


@never_cache
@require_http_methods(["GET", "POST"])
def erasure_page(request, reference: str, token: str):
    if not status_view_allowed(request):
        return render(request, "accreditation/rate_limited.html", {"event": None}, status=429)
    req = own_request(request, reference=reference, token=token, link="erasure")
    error = ""
    if request.method == "POST":
        if request.POST.get("confirm"):
            erasure_requests.erasure_ask(request=req, ip_address=client_ip(request))
            messages.success(
                request,
                _("Your request for erasure was sent to the accreditation team."),
            )
            return HttpResponseRedirect(request.path)
        error = _("Tick the box to confirm that you ask for the erasure of your data.")
    context = {
        "event": req.event,
        "req": req,
        "status_path": links.status_path(req),
        "open_erasure": erasure_requests.erasure_open(req),
        "error": error,
    }
    response = render(request, "privacy/erasure_ask.html", context, status=400 if error else 200)
    response["Cache-Control"] = NO_STORE
    return response
