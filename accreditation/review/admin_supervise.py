"""The supervisors' pages of the requests' admin (admin.py mixes them in): exports of the
queue as CSV or XLSX, the statistics with their charts and the gates' live admissions, and the
security vetting's export and import."""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from accreditation import review
from accreditation.errors import ServiceError
from accreditation.models import AccreditationRequest, Status, Vetting
from accreditation.review import selectors
from accreditation.review.admin_charts import day_chart, hbar_chart
from accreditation.review.admin_forms import VettingImportForm
from accreditation.review.vetting import safe_cell
from accreditation.roles import event_ids_for, scoped
from accreditation.workflow import audit
from events.models import Event

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LIVE_REFRESH_SECONDS = 30
LONGEST_DAY_CHART = 366  # days


class SupervisorPages:
    """Mixed into AccreditationRequestAdmin: needs its ``get_changelist_instance``,
    ``admin_site`` and ``model``."""

    def has_supervise_permission(self, request):
        return request.user.has_perm("accreditation.supervise_request")

    # --- Exports ---------------------------------------------------------------------------------

    @admin.action(description=_("Export the selected requests (CSV)"), permissions=["supervise"])
    def export_selected(self, request, queryset):
        return self._export_response(request, queryset, "selected", "csv")

    @admin.action(description=_("Export the selected requests (XLSX)"), permissions=["supervise"])
    def export_selected_xlsx(self, request, queryset):
        return self._export_response(request, queryset, "selected", "xlsx")

    def export_view(self, request):
        """The filtered list as CSV or XLSX (``format``; the same filters and search as the
        list)."""
        if not self.has_supervise_permission(request):
            raise PermissionDenied
        query = request.GET.copy()
        kind = query.pop("format", ["csv"])[-1]
        request.GET = query  # the list's own parameters only: "format" is no filter
        changelist = self.get_changelist_instance(request)
        return self._export_response(
            request,
            changelist.get_queryset(request),
            "filtered",
            "xlsx" if kind == "xlsx" else "csv",
        )

    def _export_response(self, request, queryset, scope: str, kind: str):
        audit(
            action="requests.exported",
            actor=request.user,
            data={"scope": scope, "query": request.GET.urlencode(), "format": kind},
        )
        # Labels in the supervisor's language, also while a streamed response is written
        # (after the view has returned).
        language = translation.get_language()

        def rows():
            with translation.override(language):
                yield from selectors.export_rows(queryset)

        if kind == "xlsx":
            response = HttpResponse(_xlsx(rows()), content_type=XLSX)
        else:
            writer = csv.writer(_Echo())
            response = StreamingHttpResponse(
                (writer.writerow([safe_cell(cell) for cell in row]) for row in rows()),
                content_type="text/csv; charset=utf-8",
            )
        response["Content-Disposition"] = f'attachment; filename="accreditation-requests.{kind}"'
        response["Cache-Control"] = "no-store"
        return response

    # --- Statistics -------------------------------------------------------------------------------

    def statistics_view(self, request):
        if not self.has_supervise_permission(request):
            raise PermissionDenied
        user = request.user
        events = list(
            scoped(Event.objects.all(), user, "pk")
            .annotate(n=Count("requests"))
            .order_by("-starts_on")
        )
        event_id = request.GET.get("event", "")
        event = next((e for e in events if str(e.pk) == event_id), None)
        in_scope = [event] if event else events
        if request.GET.get("live"):
            return TemplateResponse(
                request,
                "admin/accreditation/statistics_live.html",
                _live_context(user, event, in_scope),
                headers={"Cache-Control": "no-store"},
            )
        queryset = scoped(AccreditationRequest.objects.all(), user)
        if event:
            queryset = queryset.filter(event=event)
        tz = event.tz if event else timezone.get_current_timezone()
        stats = selectors.statistics(queryset, tz=tz)
        today = timezone.localdate(timezone=tz)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Accreditation statistics"),
            "opts": self.model._meta,
            "stats": stats,
            "events": events,
            "event": event,
            "event_id": event_id,
            "per_day": _per_day_chart(stats["per_day"], event, in_scope, today),
            "days_left": (event.local_deadline().date() - today).days if event else None,
            "request_series": [gettext("Requests")],
            **_distribution_charts(stats),
            **_live_context(user, event, in_scope),
        }
        return TemplateResponse(request, "admin/accreditation/statistics.html", context)

    # --- Security vetting -------------------------------------------------------------------------

    def vetting_view(self, request):
        if not self.has_supervise_permission(request):
            raise PermissionDenied
        form = VettingImportForm()
        if request.method == "POST" and "export" in request.POST:
            event = get_object_or_404(Event, pk=request.POST.get("event"))
            rows = review.vetting_rows(event=event, actor=request.user)
            if request.POST["export"] == "xlsx":
                response = HttpResponse(review.rows_to_xlsx(rows), content_type=XLSX)
                response["Content-Disposition"] = (
                    f'attachment; filename="vetting-{event.slug}.xlsx"'
                )
            else:
                response = HttpResponse(
                    review.rows_to_csv(rows), content_type="text/csv; charset=utf-8"
                )
                response["Content-Disposition"] = f'attachment; filename="vetting-{event.slug}.csv"'
            response["Cache-Control"] = "no-store"
            return response
        if request.method == "POST":
            form = VettingImportForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                try:
                    rows = review.read_vetting_file(upload.read(), upload.name)
                    result = review.vetting_import(
                        event=form.cleaned_data["event"], actor=request.user, rows=rows
                    )
                except ServiceError as exc:
                    form.add_error("file", str(exc.message))
                else:
                    messages.success(
                        request,
                        gettext("Recorded: %(cleared)s, %(not_cleared)s.")
                        % {
                            "cleared": ngettext(
                                "%(count)d cleared", "%(count)d cleared", result.cleared
                            )
                            % {"count": result.cleared},
                            "not_cleared": ngettext(
                                "%(count)d not cleared", "%(count)d not cleared", result.not_cleared
                            )
                            % {"count": result.not_cleared},
                        },
                    )
                    for problem in result.problems:
                        messages.warning(request, problem)
                    return HttpResponseRedirect(request.path)
        pending = (
            scoped(AccreditationRequest.objects.all(), request.user)
            .filter(vetting=Vetting.PENDING)
            .exclude(status__in=[Status.WITHDRAWN, Status.REJECTED])
            .values_list("event__name", "event_id")
            .annotate(n=Count("id"))
            .order_by("event__name")
        )
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Security vetting"),
            "form": form,
            "pending": pending,
            "events": scoped(Event.objects.all(), request.user, "pk").filter(
                security_vetting_required=True
            ),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/accreditation/vetting.html", context)


class _Echo:
    """A file that hands back what is written: csv.writer then yields each line."""

    def write(self, value):
        return value


def _xlsx(rows) -> bytes:
    """Every cell a text cell. One that a spreadsheet would take for a formula (safe_cell
    says which: ``=``, ``+``, ``-``, ``@``…) is marked as text the way Excel marks a typed
    apostrophe (quotePrefix), so that ``+212 6 12 34 56 78`` reads as written and stays text
    when edited; a CSV has no such mark and gets the apostrophe itself."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(gettext("Requests"))
    for row in rows:
        cells = []
        for value in row:
            # Control characters cannot be written in the file (openpyxl refuses the row).
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
            if safe_cell(value) == value:
                cells.append(value)  # written as text: it does not start like a formula
                continue
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"  # never a formula, whatever the text starts with
            cell.quotePrefix = True
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _per_day_chart(per_day: dict, event, in_scope: list, today: dt.date):
    """Requests per day: for one event, from its opening (or its first request, if it opened
    long before) to its deadline (or its last request, if later: late admissions); for
    several, from the first request to the last. The deadlines in view are marked."""
    if not per_day and event is None:
        return None
    days = sorted(per_day)
    if event is not None:
        opens = timezone.localtime(event.accreditation_opens_at, event.tz).date()
        deadline = event.local_deadline().date()
        first = min(days[0], opens) if days else opens
        if (deadline - first).days > LONGEST_DAY_CHART / 3 and days:
            first = days[0]
        last = max(days[-1], deadline) if days else deadline
    else:
        first, last = days[0], days[-1]
    first = max(first, last - dt.timedelta(days=LONGEST_DAY_CHART))
    markers = [
        (
            gettext("Deadline, %(event)s") % {"event": e.name}
            if len(in_scope) > 1
            else gettext("Deadline"),
            e.local_deadline().date(),
            "deadline",
        )
        for e in in_scope
    ]
    markers.append((gettext("Today"), today, "today"))
    return day_chart(per_day, first=first, last=last, markers=markers)


def _distribution_charts(stats: dict) -> dict:
    peak = max((n for _s, _l, n in stats["pipeline"] + stats["ended"]), default=0)
    countries_rows = [(countries.name(code) or code, (n,)) for code, n in stats["by_country"]]
    if stats["other_countries"]:
        countries_rows.append(
            (
                gettext("Other countries (%(count)s)") % {"count": stats["other_country_count"]},
                (stats["other_countries"],),
            )
        )
    return {
        "pipeline_chart": hbar_chart(
            [(label, (n,)) for _s, label, n in stats["pipeline"]], peak=peak
        ),
        "ended_chart": hbar_chart([(label, (n,)) for _s, label, n in stats["ended"]], peak=peak),
        "country_chart": hbar_chart(countries_rows),
        "type_chart": hbar_chart([(label, (n,)) for _v, label, n in stats["by_type"]]),
    }


def _live_context(user, event, in_scope: list) -> dict:
    """The gates' part of the page, which static/review/statistics.js fetches again (``live``)
    every LIVE_REFRESH_SECONDS while the event runs or scans come in."""
    ids = [event.pk] if event else event_ids_for(user)
    gates = selectors.admissions(ids)
    tz = event.tz if event else timezone.get_current_timezone()
    running = any(
        e.starts_on - dt.timedelta(days=1) <= timezone.localdate(timezone=e.tz) <= e.ends_on
        for e in in_scope
    )
    return {
        "gates": gates,
        "gate_series": [gettext("Admitted"), gettext("Denied")],
        "gates_running": running or bool(gates.total),
        "session_chart": hbar_chart([(t, (a, d)) for t, a, d, _p in gates.per_session]),
        "checkpoint_chart": hbar_chart([(n, (a, d)) for n, a, d, _r in gates.per_checkpoint]),
        "updated_at": timezone.localtime(timezone.now(), tz),
        "gates_tz": tz,
        "refresh_seconds": LIVE_REFRESH_SECONDS,
        # The page stops asking once its reader has done nothing for half the idle timeout, so
        # that a statistics tab left open does not keep a staff session alive for ever.
        "idle_seconds": settings.PRESSPASS_STAFF_IDLE_MINUTES * 30,
    }
