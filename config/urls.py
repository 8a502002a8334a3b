from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from apps.campaigns import views as campaign_views
from apps.campaigns.surveys import views as survey_views

urlpatterns = [
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
    path("analytics/", include("apps.analytics.urls")),
    path("campaigns/", include("apps.campaigns.urls")),
    path("r/<str:token>/", campaign_views.click, name="campaign_click"),
    path("s/<str:token>/", survey_views.survey, name="survey"),
    path("s/<str:token>/<int:score>/", survey_views.survey, name="survey_score"),
    path("members/", include("apps.members.urls")),
    path("points/", include("apps.programs.urls")),
    path("tiers/", include("apps.programs.tiers.urls")),
    path("coupons/", include("apps.programs.coupons.urls")),
    path("referrals/", include("apps.programs.referrals.urls")),
    path("", include("apps.portal.urls")),
    path("", include("apps.messaging.urls")),
    path("anymail/", include("anymail.urls")),
    path("", include("apps.home.urls")),
    path("", include("apps.core.urls")),
]

handler400 = "apps.core.views.bad_request"
handler500 = "apps.core.outage.server_error"
