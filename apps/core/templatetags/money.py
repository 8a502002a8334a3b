from django import template

from apps.core.money import format_money, money_locale

register = template.Library()


@register.filter
def money(minor: int | None, merchant) -> str:
    """`{{ purchase.amount|money:active_merchant }}` -> '12,50 €' in the merchant's locale."""
    if minor is None:
        return ""
    locale = money_locale(merchant.language, merchant.country.code)
    return format_money(minor, merchant.currency, locale)
