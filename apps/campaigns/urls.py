from django.urls import path

from apps.campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("segments/", views.segment_list, name="segment_list"),
    path("segments/new/", views.segment_new, name="segment_new"),
    path("segments/<int:pk>/", views.segment_edit, name="segment_edit"),
    path("segments/<int:pk>/count/", views.segment_count_view, name="segment_count"),
    path("segments/<int:pk>/delete/", views.segment_delete, name="segment_delete"),
    path("segments/ready/<slug:key>/count/", views.ready_made_count, name="ready_made_count"),
]
