from django.urls import path

from apps.messaging import views

app_name = "messaging"

urlpatterns = [
    path("u/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("messages/sms/status/", views.sms_status, name="sms_status"),
    path("messages/sms/inbound/", views.sms_inbound, name="sms_inbound"),
    path("messages/settings/", views.settings_page, name="settings"),
]
