from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class TiersConfig(AppConfig):
    """VIP tiers: qualification from the ledger, benefits, moves up and down."""

    name = "apps.programs.tiers"
    label = "tiers"
    verbose_name = pgettext_lazy("loyalty tier", "Tiers")

    def ready(self):
        from apps.members import services as member_services
        from apps.members.panels import MEMBER_PANELS, MemberPanel
        from apps.programs import hooks as program_hooks
        from apps.programs.rewards import selectors as reward_selectors
        from apps.programs.tiers.models import MemberTier
        from apps.programs.tiers.selectors import rewards_for_member
        from apps.programs.tiers.services import (
            tier_earn_percent,
            tier_reward_check,
            tiers_merge,
            tiers_on_purchase,
        )

        program_hooks.EARN_PERCENT.append(tier_earn_percent)
        program_hooks.PURCHASE_RECORDED.append(tiers_on_purchase)
        program_hooks.REWARD_CHECKS.append(tier_reward_check)
        reward_selectors.MEMBER_REWARD_FILTERS.append(rewards_for_member)
        # One tier row per member: a merge keeps the better tier instead of re-pointing it.
        member_services.MERGE_HANDLERS.append(tiers_merge)
        member_services.MERGE_KEEPS.add(MemberTier)
        MEMBER_PANELS.append(
            MemberPanel("tiers:member_tier", pgettext_lazy("loyalty tier", "Tier"), order=10)
        )

        from apps.members.api_fields import MEMBER_API_EXTENSIONS
        from apps.programs.api_fields import PROGRAM_API_EXTENSIONS
        from apps.programs.tiers import api_fields

        MEMBER_API_EXTENSIONS.append(api_fields.MEMBER)
        PROGRAM_API_EXTENSIONS.append(api_fields.PROGRAM)
        program_hooks.PURCHASE_REPLAYED.append(api_fields.replayed_purchase_tier)

        from apps.programs.tiers.hooks import TIER_CHANGED

        TIER_CHANGED.append(api_fields.tier_changed_webhook)
