from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class TiersConfig(AppConfig):
    """VIP tiers: qualification from the ledger, benefits, moves up and down."""

    name = "apps.programs.tiers"
    label = "tiers"
    verbose_name = pgettext_lazy("loyalty tier", "Tiers")

    def ready(self):
        from apps.core import events, extensions
        from apps.core.events import subscribe
        from apps.programs.tiers import api_fields
        from apps.programs.tiers.models import MemberTier
        from apps.programs.tiers.selectors import rewards_for_member
        from apps.programs.tiers.services import (
            tier_earn_percent,
            tier_reward_check,
            tiers_merge,
            tiers_on_purchase,
        )

        subscribe(
            events.PURCHASE_RECORDED, tiers_on_purchase, order=20, writes=("tier", "tier_changed")
        )
        subscribe(
            events.PURCHASE_REPLAYED,
            api_fields.replayed_purchase_tier,
            order=20,
            writes=("tier", "tier_changed"),
        )
        subscribe(events.TIER_CHANGED, api_fields.tier_changed_webhook, order=90)
        # One tier row per member: a merge keeps the better tier instead of re-pointing it.
        subscribe(events.MEMBERS_MERGING, tiers_merge, order=20)
        extensions.MERGE_KEPT_MODELS.register(MemberTier)

        extensions.EARN_PERCENT.register(tier_earn_percent, order=20)
        extensions.REWARD_REFUSALS.register(tier_reward_check, order=20)
        extensions.MEMBER_REWARD_FILTERS.register(rewards_for_member, order=20)
        extensions.MEMBER_PANELS.register(
            extensions.MemberPanel("tiers:member_tier", pgettext_lazy("loyalty tier", "Tier")),
            order=10,
        )
        extensions.MEMBER_API_FIELDS.register(api_fields.MEMBER, order=20)
        extensions.PROGRAM_API_FIELDS.register(api_fields.PROGRAM, order=20)
