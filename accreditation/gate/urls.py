"""Gates: the agent's page at /gate/ and the JSON API under /gate/api/ (OpenAPI at
/gate/api/openapi.json). Included by config/urls.py as path("gate/", include(...))."""

from django.urls import path, re_path

from accreditation.gate import api as gate_api
from accreditation.gate import views as gate_views

app_name = "gate"
urlpatterns = [
    path("", gate_views.checkpoints, name="checkpoints"),
    path("<int:checkpoint_id>/", gate_views.gate_page, name="page"),
    path("sw.js", gate_views.service_worker, name="service_worker"),
    path("api/openapi.json", gate_api.openapi, name="api_openapi"),
    path("api/token", gate_api.token, name="api_token"),
    path("api/checkpoints/<int:checkpoint_id>/scan", gate_api.scan, name="api_scan"),
    path(
        "api/checkpoints/<int:checkpoint_id>/revocations",
        gate_api.revocations,
        name="api_revocations",
    ),
    path("api/checkpoints/<int:checkpoint_id>/counters", gate_api.counters, name="api_counters"),
    path("api/offline-scans", gate_api.offline_scans, name="api_offline_scans"),
    path("api/photos/<str:ticket>", gate_api.photo, name="api_photo"),
    re_path(r"^api(?:/.*)?$", gate_api.not_found, name="api_not_found"),
]
