from django.urls import path

from accreditation.interviews import views

app_name = "interviews"
urlpatterns = [
    path("status/<str:reference>/<str:token>/ask/", views.ask, name="ask"),
    path("status/<str:reference>/<str:token>/<int:pk>/<slug:action>/", views.act, name="act"),
    path("contact/<int:pk>/<str:token>/", views.contact_page, name="contact"),
]
