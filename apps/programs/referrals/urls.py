from django.urls import path

from apps.programs.referrals import views

app_name = "referrals"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("settings/", views.settings_update, name="settings_update"),
    path("members/<str:public_id>/", views.member_panel, name="member_panel"),
    # public: a member's shareable link, no sign-in
    path("join/<slug:merchant>/<str:code>/", views.join, name="join"),
    path("join/<slug:merchant>/<str:code>/thanks/", views.join_thanks, name="join_thanks"),
]
