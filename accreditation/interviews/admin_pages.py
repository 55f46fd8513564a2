"""The press office's own admin pages (InterviewRequestAdmin's URLs): the board by target with
counts, one request's triage page, and the schedule's CSV export per day and per target."""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from accreditation.errors import ServiceError
from accreditation.interviews import selectors, services
from accreditation.interviews.forms import MergeForm, NoteForm, ReasonForm, TextForm
from accreditation.interviews.models import InterviewRequest
from accreditation.interviews.workflow import CONTACT_KNOWS, action_allowed
from accreditation.models import AuditEntry
from accreditation.review.vetting import safe_cell
from accreditation.roles import scoped
from accreditation.workflow import audit
from events.models import Event


def _require_view(model_admin, request) -> None:
    if not model_admin.has_view_permission(request):
        raise PermissionDenied


def _events(request):
    return list(scoped(Event.objects.all(), request.user, "pk").order_by("-starts_on"))


def board(model_admin, request):
    _require_view(model_admin, request)
    events = _events(request)
    event = next((e for e in events if str(e.pk) == request.GET.get("event", "")), None)
    queryset = model_admin.get_queryset(request)
    if event is not None:
        queryset = queryset.filter(event=event)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Interview requests by target"),
        "opts": model_admin.model._meta,
        "events": events,
        "event": event,
        "rows": selectors.board(queryset),
        "days": _days(event) if event else [],
    }
    return TemplateResponse(request, "admin/interviews/board.html", context)


def _days(event) -> list[dt.date]:
    return [
        event.starts_on + dt.timedelta(days=n)
        for n in range((event.ends_on - event.starts_on).days + 1)
    ]


def export(model_admin, request):
    """The confirmed interviews as CSV (formula-safe cells): ``by`` day or target, optionally
    one ``event``, one ``day`` (local date at the venue) and one ``target``."""
    _require_view(model_admin, request)
    queryset = model_admin.get_queryset(request)
    params = {key: request.GET.get(key, "") for key in ("event", "day", "target", "by")}
    if params["event"].isdigit():
        queryset = queryset.filter(event_id=int(params["event"]))
    if params["target"].isdigit():
        queryset = queryset.filter(target_id=int(params["target"]))
    by = "target" if params["by"] == "target" else "day"
    rows = selectors.schedule_rows(queryset, by=by)
    if params["day"]:
        try:
            day = dt.date.fromisoformat(params["day"])
        except ValueError:
            day = None
        if day is not None:
            rows = [rows[0]] + [row for row in rows[1:] if row[0] == day.isoformat()]
    audit(
        action="interviews.exported",
        actor=request.user,
        data={**params, "by": by, "count": len(rows) - 1},
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="interviews-by-{by}.csv"'
    response["Cache-Control"] = "no-store"
    return response


ACTIONS = ("forward", "decline", "merge", "write", "cancel", "renew")


def _act(action: str, interview: InterviewRequest, actor, data: dict) -> str:
    if action == "forward":
        services.interview_forward(interview=interview, actor=actor, note=data["note"])
        return _("Forwarded to %(contact)s.") % {"contact": interview.target.contact_name}
    if action == "decline":
        services.interview_decline(interview=interview, actor=actor, reason=data["reason"])
        return _("Declined; the journalist is told.")
    if action == "merge":
        services.interview_merge(
            interview=interview,
            actor=actor,
            into=data["into"],
            session=data["session"],
            note=data["note"],
        )
        return _("Merged; the journalist is told.")
    if action == "write":
        services.interview_write_to_contact(interview=interview, actor=actor, text=data["text"])
        return _("Sent to the contact.")
    if action == "cancel":
        services.interview_cancel(interview=interview, actor=actor, reason=data["reason"])
        return _("Cancelled; the people concerned are told.")
    services.interview_link_renew(interview=interview, actor=actor)
    return _("A new link is on its way to the contact.")


def _forms(interview, data=None, action=None) -> dict:
    def bound(name):
        return data if action == name else None

    return {
        "forward": NoteForm(bound("forward"), prefix="forward"),
        "decline": ReasonForm(bound("decline"), prefix="decline"),
        "merge": MergeForm(bound("merge"), interview=interview, prefix="merge"),
        "write": TextForm(bound("write"), prefix="write"),
        "cancel": ReasonForm(bound("cancel"), prefix="cancel"),
    }


def triage(model_admin, request, pk: int):
    _require_view(model_admin, request)
    interview = get_object_or_404(
        model_admin.get_queryset(request).select_related(
            "event", "target", "request", "merged_into__request", "merged_session"
        ),
        pk=pk,
    )
    forms = _forms(interview)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in ACTIONS:
            raise PermissionDenied
        forms = _forms(interview, request.POST, action)
        form = forms.get(action)
        if form is None or form.is_valid():
            try:
                done = _act(action, interview, request.user, form.cleaned_data if form else {})
            except ServiceError as exc:
                if form is None or exc.field not in form.fields:
                    messages.error(request, str(exc.message))
                    return HttpResponseRedirect(request.path)
                form.add_error(exc.field, str(exc.message))
            else:
                messages.success(request, done)
                return HttpResponseRedirect(request.path)
        status = 400
    may_manage = request.user.has_perm(services.MANAGE)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Interview request"),
        "opts": model_admin.model._meta,
        "interview": interview,
        "journalist": interview.request,
        "target": interview.target,
        "slots": interview.slots.all(),
        "thread": interview.messages.select_related("staff_user"),
        "joined": interview.merged.select_related("request"),
        "history": AuditEntry.objects.filter(data__interview=interview.pk).order_by("at", "pk"),
        "forms": forms,
        "may": {
            name: may_manage and action_allowed(name, interview.status)
            for name in ("forward", "decline", "merge", "cancel")
        }
        | {
            "write": may_manage and interview.status in CONTACT_KNOWS,
            "renew": may_manage and interview.status == "forwarded",
        },
        "board_url": reverse("admin:interviews_board"),
    }
    return TemplateResponse(request, "admin/interviews/triage.html", context, status=status)
