"""Routes of export_urls (see accreditation/privacy/urls.py): the journalist's download of their
data, and for supervisors one request's access report and an event's processing register."""

from django.urls import path

from accreditation.privacy import views

urlpatterns = [
    path("status/<str:reference>/<str:token>/data/", views.export_page, name="export"),
    path("staff/privacy/requests/<int:pk>/access/", views.access_report, name="access_report"),
    path("staff/privacy/events/<int:pk>/register/", views.register_page, name="register"),
]
