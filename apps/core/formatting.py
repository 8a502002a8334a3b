"""Locale-aware display of dates and numbers (Babel), for templates and messages.

Everything reads the active language (`translation.get_language()`), so a page follows
its reader and an email rendered under `translation.override(member_language(member))`
follows the member. Services never format: they hand numbers and dates to templates.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from django.utils import timezone, translation

from apps.core.money import format_money, money_locale


def active_locale(country: str = "") -> Locale:
    """The CLDR locale for the active language, in a merchant's country when given."""
    return money_locale(translation.get_language() or "en", country)


def format_day(value: datetime.date | datetime.datetime, *, locale: Locale | None = None) -> str:
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return format_date(value, "medium", locale=locale or active_locale())


def format_moment(value: datetime.datetime, *, locale: Locale | None = None) -> str:
    locale = locale or active_locale()
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    # CLDR's date-time pattern joins the medium date with a short time: "2 dic 2026, 14:05".
    pattern = locale.datetime_formats["medium"]
    return pattern.format(
        format_time(value, "short", locale=locale), format_date(value, "medium", locale=locale)
    )


def format_number(value: int | float, *, locale: Locale | None = None) -> str:
    return format_decimal(value, locale=locale or active_locale())


def format_percent(value: int | Decimal, *, locale: Locale | None = None) -> str:
    """A percentage with the language's digits and a space before the sign: '15 %',
    '12,5 %' in Spanish (as the analytics cards and the cashback page write rates)."""
    return f"{format_number(value, locale=locale)} %"


def format_merchant_money(minor: int, merchant) -> str:
    """An amount of the merchant's currency for the reader: their language, written as in the
    merchant's country ('12,50 €' for an English reader of a Spanish shop)."""
    return format_money(minor, merchant.currency, active_locale(merchant.country.code))
