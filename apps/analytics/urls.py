from django.urls import path

from apps.analytics import views

app_name = "analytics"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("cards/<slug:name>/", views.card, name="card"),
    path("cards/<slug:name>.csv", views.card_csv, name="card_csv"),
    path("members/<slug:status>/", views.members, name="members"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/thresholds/", views.settings_update, name="settings_update"),
    path("settings/spend/", views.spend_update, name="spend_update"),
]
