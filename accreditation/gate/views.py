"""The gate agent's pages: choose a checkpoint, then scan (static/gate/gate.js does the rest)."""

from __future__ import annotations

import hashlib
import json
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.db.models import F, Prefetch
from django.http import Http404
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _

from accreditation import gate
from accreditation.gate import api as gate_api
from accreditation.roles import may_scan, signed_in
from events.models import Checkpoint, Event, Session


def gate_agent_required(view):
    """Signed in (with the second factor when required), and allowed to scan badges."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not signed_in(user):
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
            # Who scans on this page: the page records it in each scan it queues offline, so
            # that the log says who scanned even if someone else's session uploads it.
            "agent_id": request.user.pk,
            "agent_name": gate_api.agent_name(request.user),
            "windows": gate.checkpoint_windows(checkpoint),
            # The keys the page checks the signed list with (also the one it kept).
            "list_keys": json.dumps(gate.public_keys_b64()),
            "api": {
                "scan": reverse("gate:api_scan", args=[checkpoint.pk]),
                "revocations": reverse("gate:api_revocations", args=[checkpoint.pk]),
                "counters": reverse("gate:api_counters", args=[checkpoint.pk]),
                "upload": reverse("gate:api_offline_scans"),
                "token": reverse("gate:api_token"),
                "service_worker": reverse("gate:service_worker"),
            },
        },
    )
    response["Cache-Control"] = "no-store"
    # The one page that may use the camera (to read badges); still no microphone or location.
    response["Permissions-Policy"] = "camera=(self), microphone=(), geolocation=()"
    return response


# What the gate page needs to start without the network (templates/base.html, gate/gate.html).
GATE_ASSETS = (
    "vendor/bootstrap/bootstrap.min.css",
    "vendor/bootstrap/bootstrap.rtl.min.css",
    "css/presspass.css",
    "gate/gate.css",
    "vendor/jsqr/jsQR.js",
    "gate/rules.js",
    "gate/gate.js",
    "gate/signed-out.js",
)


def _assets_version(urls: list[str]) -> str:
    """Changes when an asset changes, so that phones drop their old copies (in production
    the hashed static names change too; in development only the content does)."""
    digest = hashlib.sha256("\n".join(urls).encode())
    for name in GATE_ASSETS:
        path = finders.find(name)
        if path:
            with open(path, "rb") as file:
                digest.update(hashlib.sha256(file.read()).digest())
    return digest.hexdigest()[:16]


def service_worker(request):
    """The gate's service worker, served under /gate/ so that its scope covers the gate pages.

    It holds nothing personal and needs no sign-in: it only keeps the last copy of the gate
    pages this phone opened, and their scripts and styles, for a reload without network."""
    assets = [static(name) for name in GATE_ASSETS]
    scope = reverse("gate:checkpoints")
    response = render(
        request,
        "gate/sw.js",
        {
            "assets": json.dumps(assets),
            "scope": scope,
            "version": _assets_version(assets),
            "offline_text": _(
                "No network, and this gate page was never opened on this phone: "
                "open it once while connected."
            ),
        },
        content_type="text/javascript; charset=utf-8",
    )
    response["Cache-Control"] = "no-cache"
    return response
