from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    """Segments of members, campaigns to them, and whether they brought anyone back."""

    name = "apps.campaigns"
    label = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self):
        from apps.campaigns.rendering import campaign_render
        from apps.campaigns.services.offers import campaign_earn_percent
        from apps.campaigns.views import segment_from_list_url
        from apps.core import extensions

        extensions.MEMBER_LIST_ACTIONS.register(
            extensions.MemberListAction("segment", _("Make this a segment"), segment_from_list_url),
            order=50,
        )
        extensions.MESSAGE_SOURCES.register(
            extensions.MessageSource(
                kind="campaign", render=campaign_render, label=_("Campaign"), batched=True
            )
        )
        from apps.campaigns.automations.rendering import (
            automation_before_send,
            automation_render,
            automation_sms_held,
        )

        # An automation's rows are sent one task each (few at a time), the sweeper behind.
        extensions.MESSAGE_SOURCES.register(
            extensions.MessageSource(
                kind="automation",
                render=automation_render,
                label=_("Automation"),
                before_send=automation_before_send,
                held=automation_sms_held,
            )
        )
        from apps.campaigns.automations import triggers
        from apps.core import events

        # The automations' moments (apps/campaigns/automations/triggers.py).
        events.subscribe(events.POINTS_EXPIRING, triggers.automations_on_points_expiring, order=60)
        for event, handler in (
            (events.PURCHASE_RECORDED, triggers.automations_on_purchase),
            (events.TIER_CHANGED, triggers.automations_on_tier_changed),
            (events.POINTS_BALANCE_CHANGED, triggers.automations_on_balance),
        ):
            events.subscribe(event, handler, order=60, after_commit=True)
        # One offer per campaign and member (per automation, member and occurrence): a merge
        # leaves the duplicate's where it is.
        from apps.campaigns.models import OfferGrant

        extensions.MERGE_KEPT_MODELS.register(OfferGrant)
        # A campaign's "double points for n days" offer.
        extensions.EARN_PERCENT.register(campaign_earn_percent, order=50)
        # The post-purchase survey's answers: a card after the dashboard's own (100-1400),
        # and a part of the member's data export. A merge re-points them at the survivor.
        from apps.campaigns.surveys.selectors import survey_answers_personal_data

        extensions.ANALYTICS_CARDS.register(
            extensions.AnalyticsCard("nps", _("Net Promoter Score"), "campaigns:nps_card"),
            order=1500,
        )
        extensions.PERSONAL_DATA_PARTS.register(
            extensions.PersonalDataPart("surveys", survey_answers_personal_data), order=65
        )
