"""The journalist's pages of announcements: unsubscribing from optional ones (and back), and
the files an announcement carries. Both are opened with a link of the request (links.py)."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from accreditation.communications import links, services
from accreditation.communications.models import Attachment, OptOut
from accreditation.privacy.storage import private_file_response
from accreditation.ratelimit import client_ip, status_view_allowed
from config.logs import security_event


def _request_or_404(request, purpose: str, reference: str, token: str):
    req = links.request_from_link(purpose=purpose, reference=reference, token=token)
    if req is None:
        security_event("link.invalid", link=purpose, client=client_ip(request))
        raise Http404(_("This link is not valid. Use the latest link we sent you by e-mail."))
    if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
        translation.activate(req.language)  # the e-mails' language, as the status page
        request.LANGUAGE_CODE = req.language
    return req


# The token in the address is the secret (it cannot be forged across sites), and mail clients'
# one-click unsubscribing (RFC 8058) posts without a CSRF cookie: no CSRF check here.
@csrf_exempt
def unsubscribe(request, reference: str, token: str):
    """GET shows the choice (a link prefetched by a mail scanner changes nothing); POST makes it."""
    if not status_view_allowed(request):
        return render(request, "accreditation/rate_limited.html", {"event": None}, status=429)
    req = _request_or_404(request, links.UNSUBSCRIBE, reference, token)
    if request.method == "POST":
        if request.POST.get("List-Unsubscribe") == "One-Click":
            services.announcements_unsubscribe(request=req)
            return HttpResponse(status=204)
        if request.POST.get("action") == "resubscribe":
            services.announcements_resubscribe(request=req)
        else:
            services.announcements_unsubscribe(request=req)
        return HttpResponseRedirect(request.path)
    context = {
        "req": req,
        "event": req.event,
        "unsubscribed": OptOut.objects.filter(request=req).exists(),
    }
    return render(request, "communications/unsubscribe.html", context)


def attachment(request, reference: str, token: str, pk: int):
    """A file of an announcement this request received."""
    if not status_view_allowed(request):
        return render(request, "accreditation/rate_limited.html", {"event": None}, status=429)
    req = _request_or_404(request, links.FILES, reference, token)
    item = Attachment.objects.filter(pk=pk, announcement__deliveries__request=req).first()
    if item is None:
        raise Http404
    try:
        return private_file_response(
            item.file.name,
            filename=item.original_name,
            content_type=item.content_type,
            as_attachment=True,
        )
    except FileNotFoundError:
        raise Http404(_("This file is no longer kept.")) from None
