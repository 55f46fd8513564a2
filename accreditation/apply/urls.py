from django.urls import path

from accreditation.apply import views

app_name = "accreditation"
urlpatterns = [
    path("", views.event_list, name="events"),
    path("events/<slug:slug>/apply/", views.apply, name="apply"),
    path("events/<slug:slug>/apply/submitted/", views.submitted, name="submitted"),
    path("events/<slug:slug>/apply/resend-link/", views.resend_link, name="resend_link"),
    path("events/<slug:slug>/apply/address/", views.address_start, name="address_start"),
    path("events/<slug:slug>/apply/address/sent/", views.address_sent, name="address_sent"),
    path("events/<slug:slug>/apply/confirm/", views.address_confirm, name="address_confirm"),
    path("status/<str:reference>/<str:token>/", views.status, name="status"),
]
