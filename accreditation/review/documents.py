"""Staff-only views used by the admin: documents (logged, never cached), exports, statistics."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _

from accreditation.models import Document
from accreditation.privacy.storage import (
    UnreadableFileError,
    private_file_response,
    private_storage,
)
from accreditation.ratelimit import client_ip
from accreditation.roles import may_work_on
from accreditation.workflow import audit
from config.logs import security_event

PREVIEWABLE = {"image/jpeg", "image/png"}
# The small picture of a document in the request page's list: its preview (a PDF's first page,
# a photo's sanitised copy), or the image itself when the checks made none.
THUMBNAIL = "thumbnail"


def _stored(document: Document, variant: str) -> tuple[str, str]:
    """The storage name and type of a document's variant; Http404 when it has none."""
    derived = document.derived or {}
    if variant == THUMBNAIL:
        if "preview" in derived:
            return derived["preview"], "image/jpeg"
        if document.content_type in PREVIEWABLE:
            return document.file.name, document.content_type
        raise Http404
    if variant == "original":
        return document.file.name, document.content_type
    if variant not in derived:
        raise Http404
    return derived[variant], "image/jpeg"


def can_open(user, document: Document) -> bool:
    if document.kind == Document.Kind.PHOTO and user.has_perm("accreditation.see_photo"):
        return True
    return user.has_perm("accreditation.open_documents")


def document_file(request, pk: int, variant: str = "original"):
    """Serve one private document to a member of staff whose role allows it; log the access."""
    document = Document.objects.select_related("request").filter(pk=pk).first()
    if document is None:
        raise Http404
    if not (
        request.user.is_active
        and request.user.is_staff
        and can_open(request.user, document)
        and may_work_on(request.user, document.request.event_id)
    ):
        audit(
            action="document.view_refused",
            request=document.request,
            actor=request.user,
            data={"document": document.pk, "kind": document.kind},
            ip_address=client_ip(request),
        )
        security_event(
            "document.view_refused",
            actor=request.user.pk,
            document=document.pk,
            client=client_ip(request),
        )
        raise PermissionDenied
    name, content_type = _stored(document, variant)
    if not private_storage().exists(name):
        # Removed: by the antivirus (its check result says so), or by the retention purge.
        raise Http404(_("This file is no longer kept."))
    if variant != THUMBNAIL:
        # Opened: the file itself or its page, by a click. A thumbnail in the request page's
        # list is not an opening (every view of the page would write one row per document);
        # the security log below still has every file served.
        audit(
            action="document.viewed",
            request=document.request,
            actor=request.user,
            data={"document": document.pk, "kind": document.kind, "variant": variant},
            ip_address=client_ip(request),
        )
    security_event(
        "document.viewed",
        outcome="allowed",
        level=logging.INFO,
        actor=request.user.pk,
        document=document.pk,
        variant=variant,
        client=client_ip(request),
    )
    # Only our own sanitised copies (re-encoded JPEGs) open in the browser; what the journalist
    # uploaded is always downloaded as an attachment, whatever it claims to be.
    inline = name != document.file.name and content_type in PREVIEWABLE
    extension = name.rsplit(".", 1)[-1]
    try:
        response = private_file_response(
            name,
            content_type=content_type,
            as_attachment=not inline,
            filename=f"{document.request.reference}-{document.kind}-{variant}.{extension}",
        )
    except UnreadableFileError:
        # Altered on disk, or sealed under a key no longer configured: nothing is sent, the
        # team is told why (a security event; the reviewer asks the journalist again).
        security_event("document.unreadable", actor=request.user.pk, document=document.pk)
        return HttpResponse(
            _(
                "This file cannot be opened: it was altered where it is stored, or its key is no "
                "longer configured. Ask the journalist to send it again."
            ),
            status=500,
            content_type="text/plain; charset=utf-8",
        )
    response["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    )
    return response
