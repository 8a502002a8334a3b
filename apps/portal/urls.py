from django.urls import path

from apps.portal import views

app_name = "portal"

urlpatterns = [
    path("c/sw.js", views.service_worker, name="service_worker"),
    path("c/offline/", views.offline, name="offline"),
    path("c/new/<slug:merchant>/", views.new_link, name="new_link"),
    path("c/<str:token>/", views.card, name="card"),
    path("c/<str:token>/preferences/", views.preferences, name="preferences"),
    path("c/<str:token>/revoke/", views.revoke, name="revoke"),
    path("c/<str:token>/manifest.webmanifest", views.manifest, name="manifest"),
    path("c/<str:token>/pass.pkpass", views.apple_pass, name="apple_pass"),
]
