"""Cashback and coupons set up through the services, as a manager would."""

from apps.programs.coupons.cashback import cashback_settings_update, category_rate_set
from apps.programs.coupons.services import coupon_issue


def enable_cashback(team, *, rate_bp=500, threshold=1000, days=90, min_spend=0, **categories):
    settings = cashback_settings_update(
        merchant=team.merchant,
        actor=team.manager,
        is_enabled=True,
        rate_bp=rate_bp,
        threshold=threshold,
        coupon_days=days,
        coupon_min_spend=min_spend,
    )
    for category, rate in categories.items():
        category_rate_set(
            merchant=team.merchant, actor=team.manager, category=category, rate_bp=rate
        )
    return settings


def give_coupon(team, member=None, *, value=500, **fields):
    return coupon_issue(
        merchant=team.merchant, member=member, value=value, source="manual", **fields
    )


def give_percent_coupon(team, member=None, *, percent=15, **fields):
    """A coupon worth `percent` of the basket it is used on (a campaign's offer)."""
    return coupon_issue(
        merchant=team.merchant, member=member, percent=percent, source="campaign", **fields
    )
