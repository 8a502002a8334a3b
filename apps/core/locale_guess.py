"""Sensible first answers for a new business, read from the browser's Accept-Language.

The time zone is only guessed here when a country has a single one; the page's script
fills in the browser's own zone, which is right far more often.
"""

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.numbers import get_territory_currencies
from django.conf import settings
from django.utils.translation.trans_real import parse_accept_lang_header

_FALLBACK = {"currency": "USD", "country": "US", "timezone": "UTC", "language": "en"}


def merchant_defaults_for(request) -> dict[str, str]:
    supported = dict(settings.LANGUAGES)
    for tag, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        try:
            locale = Locale.parse(tag, sep="-")
        except (UnknownLocaleError, ValueError):
            continue
        if not locale.territory:
            continue
        currencies = get_territory_currencies(locale.territory)
        zones = get_global("territory_zones").get(locale.territory, [])
        return {
            "currency": currencies[0] if currencies else _FALLBACK["currency"],
            "country": locale.territory,
            "timezone": zones[0] if len(zones) == 1 else _FALLBACK["timezone"],
            "language": locale.language if locale.language in supported else "en",
        }
    return dict(_FALLBACK)
