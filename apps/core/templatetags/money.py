from django import template

from apps.core.formatting import format_merchant_money

register = template.Library()


@register.filter
def money(minor: int | None, merchant) -> str:
    """`{{ purchase.amount|money:active_merchant }}` -> '12,50 €' for a Spanish reader: the
    reader's language, written as in the merchant's country (en + ES gives '12,50 €')."""
    if minor is None:
        return ""
    return format_merchant_money(minor, merchant)
