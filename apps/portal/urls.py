from django.urls import path

from apps.messaging.links import DATA, ERASE
from apps.portal import staff_views, views

app_name = "portal"

urlpatterns = [
    path(
        "messages/members/<str:public_id>/",
        staff_views.member_messages,
        name="member_messages",
    ),
    path(
        "messages/members/<str:public_id>/welcome/",
        staff_views.member_welcome_resend,
        name="member_welcome_resend",
    ),
    path(
        "messages/members/<str:public_id>/revoke/",
        staff_views.member_card_links_revoke,
        name="member_card_links_revoke",
    ),
    path("c/sw.js", views.service_worker, name="service_worker"),
    path("c/offline/", views.offline, name="offline"),
    path("c/new/<slug:merchant>/", views.new_link, name="new_link"),
    path("c/erase/<str:token>/", views.erase_confirm, name="erase_confirm"),
    path("c/data/<str:token>/", views.data_download, name="data_download"),
    path("c/<str:token>/", views.card, name="card"),
    path("c/<str:token>/preferences/", views.preferences, name="preferences"),
    path("c/<str:token>/revoke/", views.revoke, name="revoke"),
    path(
        "c/<str:token>/data/",
        views.privacy_request_view,
        {"kind": DATA},
        name="data_request",
    ),
    path(
        "c/<str:token>/erase/",
        views.privacy_request_view,
        {"kind": ERASE},
        name="erase_request",
    ),
    path("c/<str:token>/manifest.webmanifest", views.manifest, name="manifest"),
    path("c/<str:token>/pass.pkpass", views.apple_pass, name="apple_pass"),
]
