"""The storefront API, version 1 (`/api/v1/`): each app adds its routes here."""

from django.conf import settings
from django.urls import path, re_path
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

from apps.campaigns import api as campaigns_api
from apps.core.api import base as core_api
from apps.members import api as members_api
from apps.programs import api as programs_api
from apps.programs.coupons import api as coupons_api
from apps.programs.points import api as points_api
from apps.programs.rewards import api as reward_api

app_name = "api"

# The schema and its docs are public (the contract is no secret); the docs page and its
# script come from this server (drf-spectacular-sidecar), never a CDN.
_public = {"authentication_classes": [], "permission_classes": [AllowAny]}

urlpatterns = [
    path("", core_api.whoami, name="whoami"),
    path("program/", reward_api.ProgramView.as_view(), name="program"),
    path("rewards/", reward_api.RewardsView.as_view(), name="rewards"),
    path("redemptions/", reward_api.RedemptionsView.as_view(), name="redemptions"),
    path(
        "redemptions/<str:code>/void/",
        reward_api.RedemptionVoidView.as_view(),
        name="redemption_void",
    ),
    path("events/", reward_api.EventsView.as_view(), name="events"),
    path("coupons/validate/", coupons_api.CouponValidateView.as_view(), name="coupon_validate"),
    path("coupons/redeem/", coupons_api.CouponRedeemView.as_view(), name="coupon_redeem"),
    path("members/", members_api.MembersView.as_view(), name="members"),
    path("members/<str:member_id>/", members_api.MemberView.as_view(), name="member"),
    path("members/<str:member_id>/ledger/", points_api.LedgerView.as_view(), name="ledger"),
    path("purchases/", programs_api.PurchasesView.as_view(), name="purchases"),
    path(
        "purchases/<path:purchase_id>/refunds/",
        programs_api.RefundsView.as_view(),
        name="refunds",
    ),
    path(
        "segments/preview/",
        campaigns_api.SegmentPreviewView.as_view(),
        name="segment_preview",
    ),
    path("segments/", campaigns_api.SegmentsView.as_view(), name="segments"),
    path("segments/<int:segment_id>/", campaigns_api.SegmentView.as_view(), name="segment"),
    path("campaigns/", campaigns_api.CampaignsView.as_view(), name="campaigns"),
    path("campaigns/<int:campaign_id>/", campaigns_api.CampaignView.as_view(), name="campaign"),
    path(
        "campaigns/<int:campaign_id>/send/",
        campaigns_api.CampaignSendView.as_view(),
        name="campaign_send",
    ),
    path(
        "campaigns/<int:campaign_id>/pause/",
        campaigns_api.CampaignPauseView.as_view(),
        name="campaign_pause",
    ),
    path(
        "campaigns/<int:campaign_id>/resume/",
        campaigns_api.CampaignResumeView.as_view(),
        name="campaign_resume",
    ),
    path(
        "campaigns/<int:campaign_id>/cancel/",
        campaigns_api.CampaignCancelView.as_view(),
        name="campaign_cancel",
    ),
    path(
        "campaigns/<int:campaign_id>/report/",
        campaigns_api.CampaignReportView.as_view(),
        name="campaign_report",
    ),
    path("schema/", SpectacularAPIView.as_view(**_public), name="schema"),
    path(
        "docs/",
        # Swagger UI's page carries one inline <style>: allowed on this page alone.
        csp_override(settings.SECURE_CSP | {"style-src": [CSP.SELF, CSP.UNSAFE_INLINE]})(
            SpectacularSwaggerSplitView.as_view(url_name="api:schema", **_public)
        ),
        name="docs",
    ),
    # Last: whatever matched nothing above ([\s\S] takes newlines too, unlike a dot).
    re_path(r"^[\s\S]*$", core_api.api_not_found),
]
