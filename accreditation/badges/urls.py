from django.urls import path

from accreditation.badges import desk as desk_views

app_name = "desk"
urlpatterns = [
    path("", desk_views.print_queue, name="queue"),
    path("batches/<int:pk>/", desk_views.batch_detail, name="batch"),
    path("batches/<int:pk>/pdf/", desk_views.batch_file, name="batch_file"),
    path("handover/", desk_views.handover, name="handover"),
    path("badges/<int:pk>/", desk_views.badge_detail, name="badge"),
]
