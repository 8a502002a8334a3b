"""What cashback and coupons add to the API: a member's wallet and live coupons, the
program's cashback terms, and a retried purchase's cashback (registered in apps.py)."""

from rest_framework import serializers

from apps.core.events import PurchaseReplayed
from apps.core.extensions import MemberApiExtension, ProgramApiExtension
from apps.members.read_once import NOT_JOINED, joined_row
from apps.programs.coupons.selectors import (
    cashback_settings,
    category_rate_list,
    coupons_live,
    purchase_cashback_extras,
    wallet_get,
)


class CouponOut(serializers.Serializer):
    code = serializers.CharField()
    value = serializers.IntegerField(help_text="Cents off; 0 for a percent coupon.")
    percent = serializers.IntegerField(
        help_text="Percent of the basket off (1 to 100), rounded down to the cent; 0 for a "
        "coupon of a fixed value."
    )
    currency = serializers.CharField()
    min_spend = serializers.IntegerField(help_text="The smallest basket it is used on, cents.")
    expires_at = serializers.DateTimeField(allow_null=True)
    source = serializers.CharField()


def coupon_data(coupon) -> dict:
    return {
        "code": coupon.code,
        "value": coupon.value,
        "percent": coupon.percent,
        "currency": coupon.currency,
        "min_spend": coupon.min_spend,
        "expires_at": coupon.expires_at.isoformat() if coupon.expires_at else None,
        "source": coupon.source,
    }


def _member_data(member) -> dict:
    wallet = joined_row(member=member, relation="cashback_wallet")
    if wallet is NOT_JOINED:
        wallet = wallet_get(member=member)
    return {
        "cashback_balance": wallet.balance if wallet else 0,
        "coupons": [coupon_data(coupon) for coupon in coupons_live(member=member)[:50]],
    }


MEMBER = MemberApiExtension(
    fields={
        "cashback_balance": serializers.IntegerField(help_text="Cents not yet a coupon."),
        "coupons": serializers.ListField(
            child=CouponOut(), help_text="Live coupons, soonest to expire first."
        ),
    },
    data=_member_data,
    joins=("cashback_wallet",),
)


def _cashback_data(merchant) -> dict:
    settings = cashback_settings(merchant=merchant)
    return {
        "enabled": settings.is_enabled,
        "rate_bp": settings.rate_bp,
        "threshold": settings.threshold,
        "coupon_days": settings.coupon_days,
        "coupon_min_spend": settings.coupon_min_spend,
        "category_rates": [
            {"category": rate.category, "rate_bp": rate.rate_bp}
            for rate in category_rate_list(merchant=merchant)
        ],
    }


PROGRAM = ProgramApiExtension(
    name="cashback",
    field=serializers.DictField(
        help_text="enabled, rate_bp (basis points), threshold (cents: a coupon of that value), "
        "coupon_days, coupon_min_spend, category_rates."
    ),
    data=_cashback_data,
)


def replayed_purchase_cashback(replayed: PurchaseReplayed) -> dict:
    """`PURCHASE_REPLAYED`: the cashback and coupons the purchase earned the first time."""
    return purchase_cashback_extras(purchase=replayed.purchase)
