"""Money: an integer count of minor units (cents) plus an ISO 4217 currency.

Every division of money or points goes through `divide`, which names its rounding
mode, so no float ever touches an amount. Currency facts (which codes exist, how many
minor digits each has, how amounts look in a locale) come from Babel's CLDR data.
"""

from __future__ import annotations

import enum
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import (
    NumberFormatError,
    format_currency,
    get_currency_precision,
    list_currencies,
    parse_decimal,
)
from django.utils.translation import get_language, gettext

# Codes in ISO 4217 that are not money a shop takes (funds, metals, testing, SDR).
_NOT_SHOP_CURRENCIES = frozenset(
    {"XAU", "XAG", "XPT", "XPD", "XDR", "XTS", "XXX", "XBA", "XBB", "XBC", "XBD", "XSU", "XUA"}
)


class Rounding(enum.Enum):
    """How a division that does not come out even is settled."""

    DOWN = "down"  # toward zero: never give away more than earned (earn rates)
    HALF_UP = "half_up"  # the shop-floor rule: .5 goes away from zero
    HALF_EVEN = "half_even"  # banker's rounding: no drift over many splits
    UP = "up"  # away from zero: never take back less than owed


def divide(numerator: int, denominator: int, *, rounding: Rounding) -> int:
    """Integer `numerator / denominator`, rounded as named. Exact for any size of int."""
    if not isinstance(numerator, int) or not isinstance(denominator, int):
        raise TypeError("divide() takes integers only")
    if denominator == 0:
        raise ZeroDivisionError("division of money by zero")
    negative = (numerator < 0) != (denominator < 0)
    quotient, remainder = divmod(abs(numerator), abs(denominator))
    if remainder:
        twice = remainder * 2
        match rounding:
            case Rounding.DOWN:
                pass
            case Rounding.UP:
                quotient += 1
            case Rounding.HALF_UP:
                quotient += twice >= abs(denominator)
            case Rounding.HALF_EVEN:
                if twice > abs(denominator) or (twice == abs(denominator) and quotient % 2):
                    quotient += 1
    return -quotient if negative else quotient


@cache
def _iso_codes() -> frozenset[str]:
    return frozenset(code for code in list_currencies() if code not in _NOT_SHOP_CURRENCIES)


def is_currency(code: str) -> bool:
    return code in _iso_codes()


def currency_choices() -> list[tuple[str, str]]:
    """Every currency, named in the reader's language: 'EUR · euro' for a Spanish reader."""
    names = money_locale(get_language() or "en").currencies
    return sorted((code, f"{code} · {names.get(code, code)}") for code in _iso_codes())


def minor_digits(currency: str) -> int:
    """How many digits follow the decimal point: 2 for EUR, 0 for JPY, 3 for KWD."""
    return get_currency_precision(currency)


def to_minor(amount: str | Decimal, currency: str) -> int:
    """'12.50' EUR -> 1250. Refuses more precision than the currency has, and non-numbers.

    A person typing in Spanish or Romanian writes '12,50' or '1.234,50': when the text is not
    a plain number it is read as the active language writes numbers."""
    text = str(amount).strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = _typed_decimal(text, amount)
    if not value.is_finite():
        raise ValueError(not_an_amount(amount))
    scaled = value.scaleb(minor_digits(currency))
    if scaled != scaled.to_integral_value():
        # Forms show this message to the person who typed the amount.
        raise ValueError(
            gettext("%(currency)s amounts have at most %(digits)s decimals")
            % {"currency": currency, "digits": minor_digits(currency)}
        )
    return int(scaled)


def _typed_decimal(text: str, amount) -> Decimal:
    try:
        return parse_decimal(text, locale=money_locale(get_language() or "en"), strict=True)
    except (NumberFormatError, ValueError) as error:
        raise ValueError(not_an_amount(amount)) from error


def not_an_amount(amount) -> str:
    return gettext("%(amount)s is not an amount") % {"amount": repr(amount)}


def to_major(minor: int, currency: str) -> Decimal:
    """1250 EUR -> Decimal('12.50'), for display and for form initial values."""
    return Decimal(minor).scaleb(-minor_digits(currency))


@lru_cache(maxsize=256)
def money_locale(language: str, country: str = "") -> Locale:
    """The CLDR locale for a merchant: 'es' + 'MX' -> es_MX, falling back to 'es'.

    Kept per process: Babel parses anew on every call, and a language without a country
    is tried as 'es_' first, which raises; a page formats dozens of dates and numbers."""
    for candidate in (f"{language}_{country}", language, "en"):
        try:
            return Locale.parse(candidate)
        except (UnknownLocaleError, ValueError):
            continue
    raise AssertionError("Babel always knows English")


def format_money(minor: int, currency: str, locale: Locale | str = "en") -> str:
    """1250, 'EUR', 'es_ES' -> '12,50 €'. For templates; services never format."""
    return format_currency(to_major(minor, currency), currency, locale=locale)
