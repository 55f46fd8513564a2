"""The badge desk at the venue: print queue, print batches, handover, reprint and reissue."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Q, Value
from django.db.models.functions import Lower, Replace
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django_countries import countries

from accreditation.badges import issuing, printing
from accreditation.errors import ServiceError
from accreditation.models import Badge, Document, PrintBatch, Status
from accreditation.models.names import search_key
from accreditation.privacy.access import desk_page_opened
from accreditation.privacy.storage import private_file_response
from accreditation.ratelimit import client_ip
from accreditation.roles import signed_in
from accreditation.workflow import audit
from events.models import Event


def desk_required(view):
    @staff_member_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not signed_in(request.user):  # e.g. still setting up the second factor
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not request.user.has_perm("accreditation.print_badge"):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _event(request) -> Event:
    event_id = request.GET.get("event") or request.POST.get("event")
    events = Event.objects.order_by("-starts_on")
    if event_id and event_id.isdigit():
        return get_object_or_404(Event, pk=event_id)
    event = events.first()
    if event is None:
        raise Http404(_("No event."))
    return event


@desk_required
def print_queue(request):
    event = _event(request)
    badges = (
        Badge.objects.filter(event=event, request__status=Status.BADGE_ISSUED)
        .select_related("request")
        .order_by("request__family_names", "pk")
    )
    country = request.GET.get("country", "")
    outlet = request.GET.get("outlet", "").strip()
    initial = request.GET.get("initial", "").strip()[:8]
    if country:
        badges = badges.filter(request__outlet_country=country)
    if outlet:
        badges = badges.filter(request__outlet_name__icontains=outlet)
    if initial_key := search_key(initial)[:1]:
        # name_key is "given+family family+given own-script" (names.person_key): a space
        # followed by the initial starts the family-first part (or the name in its own script).
        badges = badges.filter(request__name_key__contains=" " + initial_key)
    if request.method == "POST":
        chosen = (
            badges
            if request.POST.get("all")
            else badges.filter(pk__in=request.POST.getlist("badge"))
        )
        try:
            batch = printing.batch_create(
                event=event,
                badges=chosen,
                actor=request.user,
                layout=request.POST.get("layout") or None,
            )
        except ServiceError as exc:
            messages.error(request, str(exc.message))
        else:
            return redirect("desk:batch", pk=batch.pk)
    present = (
        Badge.objects.filter(event=event, request__status=Status.BADGE_ISSUED)
        .order_by()
        .values_list("request__outlet_country", flat=True)
        .distinct()
    )
    return render(
        request,
        "desk/print_queue.html",
        {
            "event": event,
            "events": Event.objects.order_by("-starts_on"),
            "badges": badges[:500],
            "count": badges.count(),
            "countries": sorted(((c, countries.name(c)) for c in present), key=lambda i: str(i[1])),
            "filters": {"country": country, "outlet": outlet, "initial": initial},
            "layouts": [
                ("", _("Event's format")),
                ("cr80", _("One card per page (card printer)")),
                ("a4_cr80", _("Cards on A4 with crop marks")),
                ("a6", _("A6 lanyard")),
            ],
            "batches": PrintBatch.objects.filter(event=event)[:10],
        },
    )


@desk_required
def batch_detail(request, pk: int):
    batch = get_object_or_404(PrintBatch.objects.select_related("event"), pk=pk)
    return render(
        request,
        "desk/batch.html",
        {"batch": batch, "refresh": batch.state in ("queued", "rendering")},
    )


@desk_required
def batch_file(request, pk: int):
    batch = get_object_or_404(PrintBatch, pk=pk, state=PrintBatch.State.DONE)
    if not batch.file:
        raise Http404(_("This batch's file was deleted after printing."))
    audit(
        action="badge.batch_downloaded",
        actor=request.user,
        data={"batch": batch.pk},
        ip_address=client_ip(request),
    )
    try:
        return private_file_response(
            batch.file.name,
            content_type="application/pdf",
            as_attachment=True,
            filename=f"badges-{batch.pk}.pdf",
        )
    except FileNotFoundError:  # removed meanwhile, or altered where it is stored
        raise Http404(_("This batch's file cannot be sent: print the batch again.")) from None


def _looked_up(query: str) -> Q:
    """What the handover look-up finds: the e-mail address exactly, or a name or a reference
    by its search key (accreditation.models.names): no case, accents, punctuation or spaces,
    so "garcia" finds García, "oconnor" O'Connor, "dubois claire" Claire Dubois (the stored
    key holds both orders), "محمد" مُحَمَّد, and "abcd2345" ABCD-2345."""
    found = Q(request__email__iexact=query)
    if key := search_key(query):  # punctuation alone is no key: it finds nobody, not everybody
        found |= Q(request__name_key__contains=key) | Q(reference_key=key)
    return found


@desk_required
def handover(request):
    query = request.GET.get("q", "").strip()[:200]
    results = []
    if query:
        results = (
            Badge.objects.select_related("request", "event")
            # A reference is capitals, digits and a dash: its search key, computed in the query.
            .annotate(reference_key=Lower(Replace("request__reference", Value("-"), Value(""))))
            .filter(_looked_up(query))
            .order_by("request__family_names", "pk")[:50]
        )
    return render(request, "desk/handover.html", {"query": query, "results": results})


@desk_required
def badge_detail(request, pk: int):
    badge = get_object_or_404(
        Badge.objects.select_related("request", "event", "collected_by"), pk=pk
    )
    req = badge.request
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "handover":
                issuing.badge_handover(
                    badge=badge,
                    actor=request.user,
                    identity_checked=bool(request.POST.get("identity_checked")),
                )
                messages.success(request, _("Badge handed over."))
            elif action == "reprint":
                batch = printing.batch_create(
                    event=badge.event,
                    badges=[badge],
                    actor=request.user,
                    reprint_reason=request.POST.get("reason", ""),
                )
                return redirect("desk:batch", pk=batch.pk)
            elif action == "reissue":
                badge = issuing.badge_reissue(
                    badge=badge,
                    actor=request.user,
                    reason=request.POST.get("reason", ""),
                    confirmed=bool(request.POST.get("confirmed")),
                )
                batch = printing.batch_create(
                    event=badge.event,
                    badges=[badge],
                    actor=request.user,
                    reprint_reason=request.POST.get("reason", ""),
                )
                messages.success(
                    request,
                    _("The old badge no longer opens any gate. The new one is being printed."),
                )
                return redirect("desk:batch", pk=batch.pk)
        except ServiceError as exc:
            messages.error(request, str(exc.message))
        return redirect("desk:badge", pk=badge.pk)
    photo = Document.objects.current_photo().filter(request=req).first()
    # The page shows the identity document's number, the date of birth and the photo: each
    # opening (a GET, not the forms posted from it) is an access to the person's data, in the
    # trail for their access report. The search results before it list names and outlets only
    # (what the badge itself prints) and are not recorded per person: one row per name listed
    # would be up to 50 writes per search on collection day, for nothing the badge does not
    # show anyway.
    desk_page_opened(badge=badge, actor=request.user, ip_address=client_ip(request))
    return render(
        request,
        "desk/badge.html",
        {
            "badge": badge,
            "req": req,
            "photo": photo,
            "can_hand_over": req.status == Status.PRINTED,
            # A same-code copy only while nobody holds the badge: one valid badge per person.
            "can_reprint": badge.collected_at is None and badge.print_count > 0,
        },
    )
