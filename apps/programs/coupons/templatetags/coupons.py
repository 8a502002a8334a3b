"""`{% load coupons %}`: what a coupon is worth, as the reader reads it."""

from __future__ import annotations

from django import template

from apps.core.formatting import format_merchant_money, format_percent

register = template.Library()


@register.filter
def coupon_value(coupon, merchant) -> str:
    """`{{ coupon|coupon_value:active_merchant }}`: '15 %' for a percent coupon, '5,00 €'
    for one of a fixed value (the merchant's money, in the reader's language)."""
    if coupon.percent:
        return format_percent(coupon.percent)
    return format_merchant_money(coupon.value, merchant)
