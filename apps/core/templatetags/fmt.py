"""Dates and numbers in the reader's language, through Babel's CLDR data.

`{% load fmt %}` then `{{ entry.created_at|moment }}`, `{{ lot.expires_at|day }}`,
`{{ count|number }}`: "2 dic 2026, 14:05" for a Spanish reader, "2 dec. 2026, 14:05" for
a Romanian one, "Dec 2, 2026, 2:05 PM" in English. The language is the active one (the
request's, or the member's inside `translation.override`); datetimes are shown in the
active time zone (the merchant's, set by the middleware).
"""

from __future__ import annotations

import datetime

from django import template

from apps.core.formatting import format_day, format_moment, format_number

register = template.Library()


@register.filter
def day(value: datetime.date | datetime.datetime | None) -> str:
    """A date (or the local date of a datetime) in the medium form: '2 dic 2026'."""
    return format_day(value) if value else ""


@register.filter
def moment(value: datetime.datetime | None) -> str:
    """A datetime, in the active time zone, with hours and minutes: '2 dic 2026, 14:05'."""
    return format_moment(value) if value else ""


@register.filter
def number(value: int | float | None) -> str:
    """A count with the language's grouping: '1.234' in Spanish, '1,234' in English."""
    return "" if value is None else format_number(value)
