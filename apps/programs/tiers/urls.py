from django.urls import path

from apps.programs.tiers import views

app_name = "tiers"

urlpatterns = [
    path("", views.tier_page, name="page"),
    path("settings/", views.settings_update, name="settings_update"),
    path("new/", views.tier_create, name="tier_create"),
    path("<int:pk>/", views.tier_edit, name="tier_edit"),
    path("<int:pk>/toggle/", views.tier_toggle, name="tier_toggle"),
    path("reevaluations/<int:pk>/", views.reevaluation_detail, name="reevaluation"),
    path(
        "reevaluations/<int:pk>/resume/",
        views.reevaluation_resume,
        name="reevaluation_resume",
    ),
    path("members/<str:public_id>/", views.member_tier, name="member_tier"),
]
