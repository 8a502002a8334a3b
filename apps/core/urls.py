from django.urls import path

from apps.core import views
from apps.core.api import key_views as api_key_views
from apps.core.webhooks import views as webhook_views

app_name = "core"

urlpatterns = [
    path("business/new/", views.merchant_create, name="merchant_create"),
    path("business/switch/", views.merchant_switch, name="merchant_switch"),
    path("business/settings/", views.merchant_settings, name="merchant_settings"),
    path("location/choose/", views.location_choose, name="location_choose"),
    path("locations/", views.location_list_view, name="location_list"),
    path("locations/<int:pk>/", views.location_edit, name="location_edit"),
    path("team/", views.team, name="team"),
    path("team/<int:pk>/role/", views.membership_role, name="membership_role"),
    path("team/<int:pk>/remove/", views.membership_remove, name="membership_remove"),
    path("team/invitations/<int:pk>/resend/", views.invitation_resend, name="invitation_resend"),
    path("team/invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("activity/", views.audit_log, name="audit_log"),
    path("api-keys/", api_key_views.api_keys, name="api_keys"),
    path("api-keys/<int:pk>/revoke/", api_key_views.api_key_revoke_view, name="api_key_revoke"),
    path("webhooks/", webhook_views.webhooks, name="webhooks"),
    path("webhooks/<int:pk>/", webhook_views.webhook_detail, name="webhook_detail"),
    path("webhooks/<int:pk>/active/", webhook_views.webhook_set_active, name="webhook_set_active"),
    path(
        "webhooks/deliveries/<int:pk>/replay/", webhook_views.webhook_replay, name="webhook_replay"
    ),
    path("me/", views.profile, name="profile"),
    path("livez/", views.livez, name="livez"),
    path("healthz/", views.healthz, name="healthz"),
    path("readyz/", views.readyz, name="readyz"),
]
