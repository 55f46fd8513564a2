"""The journalist's own data, reached from their status link: what is held (export) and asking
for erasure. Each part keeps its routes in a module of its own."""

from django.urls import include, path

app_name = "privacy"

urlpatterns = [
    path("", include("accreditation.privacy.export_urls")),
    path("", include("accreditation.privacy.erasure_urls")),
]
