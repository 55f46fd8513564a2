"""Routes of erasure_urls (see accreditation/privacy/urls.py): the journalist asks for the
erasure of their data from their status link. Staff act on it in the admin (admin.py)."""

from django.urls import path

from accreditation.privacy import erasure_views

urlpatterns = [
    path("status/<str:reference>/<str:token>/erase/", erasure_views.erasure_page, name="erasure"),
]
