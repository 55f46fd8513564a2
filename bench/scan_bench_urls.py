"""URLconf for bench/bench_scan.py only: a trivial JSON view beside the whole project."""

from django.http import JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt


def trivial(request):
    """The baseline: Django's whole request cycle and a JSON answer, no database."""
    return JsonResponse({"ok": True})


urlpatterns = [
    path("bench/trivial", trivial),
    # The same for a POST with a body like a scan's (no CSRF token: like the gate's API).
    path("bench/trivial-post", csrf_exempt(trivial)),
    path("gate/", include("accreditation.gate_urls")),
    path("", include("config.urls")),
]
