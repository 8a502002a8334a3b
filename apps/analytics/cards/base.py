"""What every card is made of: the picker's choice, figures, tables, the card itself, the
merchant's number formats, and the helpers the card families share (a KPI run for the
period and the one before, figures with their change, days and months as text, links to
the members behind a number)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from babel import Locale
from babel.dates import format_skeleton
from babel.numbers import format_decimal
from django.urls import reverse
from django.utils.translation import gettext as _

from apps.analytics import kpis
from apps.analytics.periods import Period
from apps.core.formatting import active_locale, format_day, format_percent
from apps.core.models import Location, Merchant
from apps.core.money import format_money, to_major


@dataclass(frozen=True)
class Choice:
    """What the picker chose: the numbers' scope."""

    merchant: Merchant
    period: Period
    location: Location | None
    compare: bool


@dataclass(frozen=True)
class Figure:
    label: str
    definition: str
    value: object  # raw: int (minor units for money), Decimal, or None
    text: str  # formatted
    previous: object = None
    previous_text: str = ""
    change_text: str = ""  # "+12.5 %" or "+3" (points of a percentage)
    direction: str = ""  # up, down or flat
    link: str = ""  # the members behind the number
    exported: object = None  # the value in the CSV (money in major units: 12.50)
    previous_exported: object = None


@dataclass(frozen=True)
class Table:
    caption: str
    headers: list[str]
    rows: list[list[str]]  # formatted, for the page
    values: list[list[object]]  # raw, for the CSV
    cell_classes: list[list[str]] | None = None  # the cohort heatmap's shades

    def cells(self) -> list[list[tuple[str, str]]]:
        """Each row as (text, CSS class) pairs."""
        classes = self.cell_classes or [[""] * len(row) for row in self.rows]
        return [
            list(zip(row, shades, strict=True))
            for row, shades in zip(self.rows, classes, strict=True)
        ]


@dataclass(frozen=True)
class Card:
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    chart: dict | None = None  # Chart.js type and data
    note: str = ""


class Format:
    """Numbers as the merchant's locale writes them."""

    def __init__(self, merchant: Merchant):
        self.currency = merchant.currency
        # The reader's language, written as in the merchant's country.
        self.locale: Locale = active_locale(merchant.country.code)

    def money(self, minor: int | None) -> str:
        return "–" if minor is None else format_money(minor, self.currency, self.locale)

    def number(self, value: int | Decimal | None) -> str:
        return "–" if value is None else format_decimal(value, locale=self.locale)

    def percent(self, value: Decimal | None) -> str:
        return "–" if value is None else format_percent(value, locale=self.locale)

    def major(self, minor: int | None) -> Decimal | None:
        """Money for charts and CSV: 1250 -> 12.50."""
        return None if minor is None else to_major(minor, self.currency)


def change_of(kind: str, now, before, fmt: Format) -> tuple[str, str]:
    """How a figure moved: a percentage of the previous value, or points of a rate."""
    if now is None or before is None:
        return "", ""
    difference = now - before
    direction = "up" if difference > 0 else "down" if difference < 0 else "flat"
    if kind == "percent":
        signed = f"{'+' if difference > 0 else ''}{fmt.number(difference)}"
        # Translators: the change of a rate in percentage points, e.g. "+3 pts".
        return _("%(change)s pts") % {"change": signed}, direction
    if not before:
        return "", direction
    share = (Decimal(difference) * 100 / Decimal(before)).quantize(Decimal("0.1"))
    return f"{'+' if share > 0 else ''}{fmt.number(share)} %", direction


def figure_of(
    label: str,
    definition: str,
    kind: str,
    result,
    attribute: str,
    fmt: Format,
    previous=None,
    link: str = "",
) -> Figure:
    show = {"money": fmt.money, "percent": fmt.percent, "number": fmt.number}[kind]
    value = getattr(result, attribute)
    before = getattr(previous, attribute) if previous is not None else None
    change_text, direction = (
        change_of(kind, value, before, fmt) if previous is not None else ("", "")
    )
    return Figure(
        label=label,
        definition=definition,
        value=value,
        text=show(value),
        previous=before,
        previous_text=show(before) if previous is not None else "",
        change_text=change_text,
        direction=direction,
        link=link,
        exported=fmt.major(value) if kind == "money" else value,
        previous_exported=fmt.major(before) if kind == "money" else before,
    )


def figures_of(fmt: Format, result, previous, *specs: tuple) -> list[Figure]:
    """A card's figures from (label, definition, kind, attribute[, link]) specs."""
    return [
        figure_of(label, definition, kind, result, attribute, fmt, previous, *link)
        for label, definition, kind, attribute, *link in specs
    ]


def run_kpi(kpi, choice: Choice, *, with_location: bool = True):
    """The KPI for the period, and for the period before when comparing."""
    options = {"location": choice.location} if with_location else {}
    if choice.compare:
        compared = kpis.compare(kpi, merchant=choice.merchant, period=choice.period, **options)
        return compared.current, compared.previous
    return kpi(merchant=choice.merchant, period=choice.period, **options), None


def day_iso(day: date) -> str:
    """A day for the CSV and the links: ISO, whatever the language."""
    return day.isoformat()


def month_iso(day: date) -> str:
    return day.strftime("%Y-%m")


def day_text(day: date) -> str:
    """A day for people (the page, the charts), in the reader's language: "2 Dec 2026"."""
    return format_day(day)


def month_text(day: date) -> str:
    """A month for people, in the reader's language: "Dec 2026", "dic 2026"."""
    return format_skeleton("yMMM", day, locale=active_locale())


def members_link(status: str, choice: Choice) -> str:
    url = reverse("analytics:members", args=[status])
    if status == "new":
        url += f"?start={day_iso(choice.period.start)}&end={day_iso(choice.period.end)}"
        if choice.location:
            url += f"&location={choice.location.pk}"
    elif choice.location:
        url += f"?location={choice.location.pk}"
    return url
