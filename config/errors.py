"""Error pages: a translated page for people, JSON for the gate's API (a phone reads it)."""

from __future__ import annotations

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults


def not_found(request, exception=None):
    if request.path.startswith("/gate/api/"):
        return JsonResponse(
            {"error": "not_found", "message": _("There is nothing at this address.")},
            status=404,
        )
    return defaults.page_not_found(request, exception)
