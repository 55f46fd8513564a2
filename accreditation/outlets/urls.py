from django.urls import path

from accreditation.outlets import views

app_name = "outlets"
urlpatterns = [
    path("events/<slug:slug>/register/", views.register, name="register"),
    path("events/<slug:slug>/register/done/", views.registered, name="registered"),
    path("page/<int:pk>/<str:token>/", views.focal, name="focal"),
    path("crew/<int:pk>/<str:token>/", views.crew, name="crew"),
    path("confirm/<int:pk>/<str:token>/", views.confirm, name="confirm"),
]
