from django.urls import path

from accreditation.communications import views

app_name = "communications"
urlpatterns = [
    path("unsubscribe/<str:reference>/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("file/<str:reference>/<str:token>/<int:pk>/", views.attachment, name="file"),
]
