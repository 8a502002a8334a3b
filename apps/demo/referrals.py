"""Demo referral terms (`make run` wires this in after seeding the demo merchant)."""

from apps.core.models import Merchant
from apps.core.money import minor_digits
from apps.programs.referrals.models import ReferralSettings, RewardKind


def configure_demo_referrals(merchant: Merchant) -> ReferralSettings:
    """100 points each, for the referrer and the new member, after the new member's
    first purchase of 10.00 (in the merchant's currency) within 30 days; at most 5
    rewarded referrals per referrer per month. Safe to run again: it sets, not adds."""
    settings, _created = ReferralSettings.objects.update_or_create(
        merchant=merchant,
        defaults={
            "is_enabled": True,
            "min_purchase": 10 * 10 ** minor_digits(merchant.currency),
            "window_days": 30,
            "referrer_reward": RewardKind.POINTS,
            "referrer_points": 100,
            "referrer_coupon_value": 0,
            "referred_reward": RewardKind.POINTS,
            "referred_points": 100,
            "referred_coupon_value": 0,
            "coupon_days": 90,
            "monthly_cap": 5,
        },
    )
    return settings
