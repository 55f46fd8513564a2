"""The pages of the person's rights and of their record: the journalist's download of their data
(from their status link), and for supervisors the access report of one request and the event's
processing register. The rules are in export.py, access.py and register.py."""

from __future__ import annotations

from functools import wraps

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accreditation.apply import links
from accreditation.errors import ServiceError
from accreditation.models import AccreditationRequest
from accreditation.privacy import access, export, register
from accreditation.privacy.notice import notice_agreed
from accreditation.privacy.status_link import own_request
from accreditation.ratelimit import client_ip, status_view_allowed
from accreditation.roles import may_work_on, scoped, signed_in
from events.models import Event

NO_STORE = "no-store, private"


@never_cache
@require_http_methods(["GET", "POST"])
def export_page(request, reference: str, token: str):
    """GET explains what the download holds; POST (a button, never a prefetched link) builds
    and sends the ZIP."""
    if not status_view_allowed(request):
        return render(request, "accreditation/rate_limited.html", {"event": None}, status=429)
    req = own_request(request, reference=reference, token=token, link="export")
    if request.method == "POST":
        built = export.export_build(request=req, ip_address=client_ip(request))
        response = FileResponse(
            built.file,
            as_attachment=True,
            filename=built.filename,
            content_type="application/zip",
        )
        response["Content-Length"] = str(built.size)
        response["Cache-Control"] = NO_STORE
        response["X-Content-Type-Options"] = "nosniff"
        return response
    context = {
        "event": req.event,
        "req": req,
        "status_path": links.status_path(req),
        "documents": req.documents.count(),
    }
    response = render(request, "privacy/export.html", context)
    response["Cache-Control"] = NO_STORE
    return response


def supervisor_required(view):
    """Staff pages outside the admin, held to the admin's own rule (a staff account, signed in
    with its second factor) and to the supervisor's permission."""

    @staff_member_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not signed_in(request.user):
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not request.user.has_perm("accreditation.supervise_request"):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return never_cache(wrapper)


@supervisor_required
def access_report(request, pk: int):
    # Another event's request is "not found", like a request that does not exist (the
    # admin's own pages answer so: nothing tells a supervisor what other events hold).
    req = get_object_or_404(
        scoped(AccreditationRequest.objects.select_related("event"), request.user), pk=pk
    )
    try:
        rows = access.access_report(request=req, actor=request.user, ip_address=client_ip(request))
    except ServiceError as exc:
        raise PermissionDenied(str(exc.message)) from None
    if request.GET.get("format") == "csv":
        response = HttpResponse(
            access.access_csv(rows, zone=req.event.tz), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="access-{req.reference}.csv"'
        response["Cache-Control"] = NO_STORE
        return response
    context = {
        **admin.site.each_context(request),
        "title": _("Who accessed the data of %(reference)s") % {"reference": req.reference},
        "req": req,
        "rows": rows,
        "notice": notice_agreed(request=req),
    }
    return render(request, "privacy/access_report.html", context)


@supervisor_required
def register_page(request, pk: int):
    event = get_object_or_404(Event, pk=pk)
    if not may_work_on(request.user, event.pk):
        raise PermissionDenied
    content = register.register_build(event=event)
    if request.GET.get("format") == "md":
        response = HttpResponse(
            register.register_markdown(content), content_type="text/markdown; charset=utf-8"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="processing-register-{event.slug}.md"'
        )
        return response
    context = {
        **admin.site.each_context(request),
        "title": content.title,
        "event": event,
        "register": content,
    }
    return render(request, "privacy/register.html", context)
