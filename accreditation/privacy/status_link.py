"""The journalist's own pages beyond the status page (their data's download, their erasure
request), reached from the status link: the link checked exactly as the status page checks it,
and the page in the person's language until they choose another."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _

from accreditation.apply import links
from accreditation.models import AccreditationRequest
from accreditation.ratelimit import client_ip
from config.logs import security_event


def own_request(request, *, reference: str, token: str, link: str) -> AccreditationRequest:
    """The request of a status link, or Http404 (logged as ``link``'s invalid link)."""
    req = links.request_from_status_link(reference=reference, token=token)
    if req is None:
        security_event("link.invalid", link=link, client=client_ip(request))
        raise Http404(
            _("This status link is not valid. Use the latest link we sent you by e-mail.")
        )
    if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
        translation.activate(req.language)  # the person's language, as on the status page
        request.LANGUAGE_CODE = req.language
    return req
