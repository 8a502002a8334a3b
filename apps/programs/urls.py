from django.urls import path

from . import views

app_name = "programs"

urlpatterns = [
    path("members/<str:public_id>/", views.member_points, name="member_points"),
    path("members/<str:public_id>/purchases/", views.purchase_create, name="purchase_create"),
]
