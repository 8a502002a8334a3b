from django.urls import path

from apps.programs import views
from apps.programs.points import views as program_views
from apps.programs.rewards import views as reward_views

app_name = "programs"

urlpatterns = [
    path("program/", program_views.program, name="program"),
    path("program/expiring/", program_views.expiring, name="expiring"),
    path("program/settings/", program_views.settings_update, name="settings_update"),
    path("program/multipliers/", program_views.multiplier_create, name="multiplier_create"),
    path(
        "program/multipliers/<int:pk>/toggle/",
        program_views.multiplier_toggle,
        name="multiplier_toggle",
    ),
    path("program/promotions/", program_views.promotion_create, name="promotion_create"),
    path("program/bonuses/", program_views.bonus_rule_create, name="bonus_rule_create"),
    path(
        "program/bonuses/<int:pk>/toggle/",
        program_views.bonus_rule_toggle,
        name="bonus_rule_toggle",
    ),
    path(
        "program/promotions/<int:pk>/toggle/",
        program_views.promotion_toggle,
        name="promotion_toggle",
    ),
    path("members/<str:public_id>/", views.member_points, name="member_points"),
    path("members/<str:public_id>/purchases/", views.purchase_create, name="purchase_create"),
    path("members/<str:public_id>/adjust/", views.points_adjust_view, name="adjust"),
    # rewards catalog and redemption (reward_views.py)
    path("rewards/", reward_views.reward_list, name="reward_list"),
    path("rewards/new/", reward_views.reward_create, name="reward_create"),
    path("rewards/<int:pk>/", reward_views.reward_edit, name="reward_edit"),
    path(
        "rewards/<int:pk>/deactivate/",
        reward_views.reward_deactivate,
        name="reward_deactivate",
    ),
    path(
        "members/<str:public_id>/redeem/",
        reward_views.redemption_create,
        name="redemption_create",
    ),
    path("redemptions/<str:code>/", reward_views.redemption_detail, name="redemption_detail"),
    path("redemptions/<str:code>/void/", reward_views.redemption_void, name="redemption_void"),
]
