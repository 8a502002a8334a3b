"""The dashboard's cards: each KPI of kpis.py laid out as figures, tables and a chart.

A card is what one htmx request fills in: figures (each with its one-line definition, its
value for the previous period and the change), the tables that hold every number (the
accessible form of the chart, and the CSV export), and the data of a Chart.js chart. The
formulas live in kpis.py; here only labels, formatting and layout.

`KPI_CARDS` are this app's own cards; the dashboard shows every card of
`extensions.ANALYTICS_CARDS`, where these are registered (apps.py) and other apps (the
campaigns) add theirs, each served by its own view.
"""

from collections.abc import Callable

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from apps.analytics.cards.base import Card, Choice, Figure, Format, Table
from apps.analytics.cards.customers import (
    acquisition_card,
    cohorts_card,
    enrollments_card,
    frequency_card,
    repeat_card,
    retention_card,
    statuses_card,
)
from apps.analytics.cards.programs import cashback_card, points_card, referrals_card, tiers_card
from apps.analytics.cards.sales import aov_card, clv_card, revenue_card
from apps.core.replica import reads_may_lag

__all__ = [
    "KPI_CARDS",
    "Card",
    "Choice",
    "Figure",
    "Format",
    "Table",
    "card_build",
    "card_csv_rows",
]


# name -> (title, builder), in the dashboard's order
KPI_CARDS: dict[str, tuple[str, Callable[[Choice, Format], Card]]] = {
    "retention": (gettext_lazy("Retention"), retention_card),
    "repeat": (gettext_lazy("Repeat purchases"), repeat_card),
    "frequency": (gettext_lazy("Purchase frequency"), frequency_card),
    "aov": (gettext_lazy("Average order value"), aov_card),
    "revenue": (gettext_lazy("Revenue from members"), revenue_card),
    "clv": (gettext_lazy("Customer lifetime value"), clv_card),
    "statuses": (gettext_lazy("Members"), statuses_card),
    "cohorts": (gettext_lazy("Cohort retention"), cohorts_card),
    "points": (gettext_lazy("Points"), points_card),
    "tiers": (pgettext_lazy("loyalty tiers", "Tiers"), tiers_card),
    "cashback": (gettext_lazy("Cashback and coupons"), cashback_card),
    "referrals": (gettext_lazy("Referrals"), referrals_card),
    "acquisition": (gettext_lazy("Acquisition cost"), acquisition_card),
    "enrollments": (gettext_lazy("Enrollments"), enrollments_card),
}


def card_build(name: str, choice: Choice) -> Card:
    _title, build = KPI_CARDS[name]
    # The cards read rollups that a task refreshes each minute: a replica's lag is unseen.
    with reads_may_lag():
        return build(choice, Format(choice.merchant))


def card_csv_rows(card: Card) -> list[list[object]]:
    """Every number of the card: its figures (with the previous period's), then each table.
    The headers and labels are in the reader's language (a spreadsheet for people, never
    imported again); the values are raw: ISO days, money in major units."""
    rows: list[list[object]] = []
    if card.figures:
        rows.append([_("Figure"), _("Value"), _("Previous period")])
        rows += [
            [figure.label, figure.exported, figure.previous_exported] for figure in card.figures
        ]
    for table in card.tables:
        if rows:
            rows.append([])
        rows.append([table.caption])
        rows.append(table.headers)
        rows += table.values
    return rows
