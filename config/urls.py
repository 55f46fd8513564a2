from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from config.health import health, live
from config.metrics import metrics

urlpatterns = [
    path("health/", health, name="health"),
    path("health/live/", live, name="health_live"),
    path("metrics", metrics, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("desk/", include("accreditation.badges.urls")),
    path("gate/", include("accreditation.gate.urls")),
    path("announcements/", include("accreditation.communications.urls")),
    path("interviews/", include("accreditation.interviews.urls")),
    path("outlets/", include("accreditation.outlets.urls")),
    path("", include("accreditation.privacy.urls")),
    path("", include("accreditation.apply.urls")),
]

handler404 = "config.errors.not_found"
