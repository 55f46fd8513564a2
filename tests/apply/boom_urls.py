"""A URL that fails, to show the server-error page (tests/apply/test_disk_full.py)."""

from django.urls import include, path


def boom(request):
    raise RuntimeError("an unexpected error")


urlpatterns = [path("boom/", boom), path("", include("config.urls"))]
