from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
    path("analytics/", include("apps.analytics.urls")),
    path("members/", include("apps.members.urls")),
    path("points/", include("apps.programs.urls")),
    path("tiers/", include("apps.programs.tiers.urls")),
    path("coupons/", include("apps.programs.coupons.urls")),
    path("referrals/", include("apps.programs.referrals.urls")),
    path("", include("apps.core.urls")),
]
