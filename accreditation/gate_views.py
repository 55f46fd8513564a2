"""The gate agent's pages: choose a checkpoint, then scan (static/gate/gate.js does the rest)."""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import F, Prefetch
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse

from accreditation import gate
from accreditation.gate_api import issue_token
from events.models import Checkpoint, Event, Session


def may_scan(user) -> bool:
    return user.is_active and user.has_perm("accreditation.scan_badge")


def gate_agent_required(view):
    """Signed in (with the second factor when required), and allowed to scan badges."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated or (settings.PRESSPASS_REQUIRE_2FA and not user.is_verified()):
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not may_scan(user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@gate_agent_required
def checkpoints(request):
    sessions = Session.objects.order_by(F("starts_at").asc(nulls_last=True), "pk")
    events = (
        Event.objects.filter(checkpoints__isnull=False)
        .distinct()
        .order_by("-starts_on")
        .prefetch_related(
            Prefetch(
                "checkpoints",
                queryset=Checkpoint.objects.order_by("name").prefetch_related(
                    Prefetch("sessions", queryset=sessions)
                ),
            )
        )
    )
    return render(request, "gate/checkpoints.html", {"events": events})


@gate_agent_required
def gate_page(request, checkpoint_id: int):
    checkpoint = None
    if 0 < checkpoint_id <= gate.MAX_DB_ID:
        checkpoint = Checkpoint.objects.select_related("event").filter(pk=checkpoint_id).first()
    if checkpoint is None:
        raise Http404
    response = render(
        request,
        "gate/gate.html",
        {
            "checkpoint": checkpoint,
            "event": checkpoint.event,
            "windows": gate.checkpoint_windows(checkpoint),
            "token": issue_token(request.user),
            "api": {
                "scan": reverse("gate:api_scan", args=[checkpoint.pk]),
                "revocations": reverse("gate:api_revocations", args=[checkpoint.pk]),
                "counters": reverse("gate:api_counters", args=[checkpoint.pk]),
                "upload": reverse("gate:api_offline_scans"),
                "token": reverse("gate:api_token"),
            },
        },
    )
    response["Cache-Control"] = "no-store"
    return response
