from django.urls import include, path

app_name = "members"

urlpatterns = [
    path("", include("apps.members.transfer_urls")),
]
