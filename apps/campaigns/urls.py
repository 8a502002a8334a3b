from django.urls import path

from apps.campaigns import automation_views, campaign_views, views, welcome_views
from apps.campaigns.surveys import views as survey_views

app_name = "campaigns"

urlpatterns = [
    path("segments/", views.segment_list, name="segment_list"),
    path("segments/new/", views.segment_new, name="segment_new"),
    path("segments/<int:pk>/", views.segment_edit, name="segment_edit"),
    path("segments/<int:pk>/count/", views.segment_count_view, name="segment_count"),
    path("segments/<int:pk>/delete/", views.segment_delete, name="segment_delete"),
    path("segments/ready/<slug:key>/count/", views.ready_made_count, name="ready_made_count"),
]

# Campaigns (apps/campaigns/campaign_views.py).
urlpatterns += [
    path("", campaign_views.campaign_list, name="campaign_list"),
    path("new/", campaign_views.campaign_new, name="campaign_new"),
    path("estimate/", campaign_views.campaign_estimate, name="campaign_estimate"),
    path("settings/", campaign_views.campaign_settings_page, name="campaign_settings"),
    path("<int:pk>/", campaign_views.campaign_detail, name="campaign_detail"),
    path("<int:pk>/edit/", campaign_views.campaign_edit, name="campaign_edit"),
    path("<int:pk>/preview/", campaign_views.campaign_preview, name="campaign_preview"),
    path("<int:pk>/test/", campaign_views.campaign_test, name="campaign_test"),
    path("<int:pk>/send/", campaign_views.campaign_send, name="campaign_send"),
    path("<int:pk>/pause/", campaign_views.campaign_pause, name="campaign_pause"),
    path("<int:pk>/resume/", campaign_views.campaign_resume, name="campaign_resume"),
    path("<int:pk>/cancel/", campaign_views.campaign_cancel, name="campaign_cancel"),
    path("<int:pk>/progress/", campaign_views.campaign_progress_view, name="campaign_progress"),
    path("<int:pk>/report/", campaign_views.campaign_report_view, name="campaign_report"),
]

# The post-purchase survey's card on the analytics dashboard (apps/campaigns/surveys/).
urlpatterns += [
    path("nps/card/", survey_views.nps_card, name="nps_card"),
    path("nps/card/csv/", survey_views.nps_card_csv, name="nps_card_csv"),
]

# Automations (apps/campaigns/automation_views.py): one page per kind of `KINDS`.
urlpatterns += [
    path("automations/", automation_views.automation_list, name="automation_list"),
    # The welcome is portal's message: its page comes before the kinds'.
    path("automations/welcome/", welcome_views.welcome_edit, name="welcome_edit"),
    path("automations/welcome/toggle/", welcome_views.welcome_toggle, name="welcome_toggle"),
    path("automations/welcome/preview/", welcome_views.welcome_preview, name="welcome_preview"),
    path("automations/<slug:kind>/", automation_views.automation_edit, name="automation_edit"),
    path(
        "automations/<slug:kind>/toggle/",
        automation_views.automation_toggle,
        name="automation_toggle",
    ),
    path(
        "automations/<slug:kind>/preview/",
        automation_views.automation_preview,
        name="automation_preview",
    ),
    path(
        "automations/<slug:kind>/report/",
        automation_views.automation_report_view,
        name="automation_report",
    ),
]
