"""The cards about sales: average order value, revenue from members and customer lifetime
value."""

from __future__ import annotations

from django.utils.translation import gettext as _

from apps.analytics import kpis
from apps.analytics.cards.base import (
    Card,
    Choice,
    Format,
    Table,
    day_iso,
    day_text,
    figures_of,
    run_kpi,
)


def aov_card(choice: Choice, fmt: Format) -> Card:
    now, before = run_kpi(kpis.kpi_average_order_value, choice)
    return Card(
        figures=figures_of(
            fmt,
            now,
            before,
            (
                _("Average order (members)"),
                _("Members' revenue in the period ÷ their purchases."),
                "money",
                "members",
            ),
        ),
        note=_(
            "Sales to customers who are not members are not recorded, so there is no "
            "figure for all sales."
        ),
    )


def revenue_card(choice: Choice, fmt: Format) -> Card:
    now, before = run_kpi(kpis.kpi_revenue_from_members, choice)
    series = now.series
    revenue, refunded = _("Revenue"), _("Refunded")
    return Card(
        figures=figures_of(
            fmt,
            now,
            before,
            (
                revenue,
                _("The amounts of members' purchases in the period."),
                "money",
                "revenue",
            ),
            (refunded, _("Refunds made in the period, of any purchase."), "money", "refunded"),
            (_("Net revenue"), _("Revenue − refunded."), "money", "net_revenue"),
        ),
        tables=[
            Table(
                _("Revenue by day"),
                [_("Day"), revenue, refunded],
                [
                    [day_text(r["day"]), fmt.money(r["revenue"]), fmt.money(r["refunded"])]
                    for r in series
                ],
                [
                    [day_iso(r["day"]), fmt.major(r["revenue"]), fmt.major(r["refunded"])]
                    for r in series
                ],
            )
        ],
        chart={
            "type": "bar",
            "data": {
                "labels": [day_text(r["day"]) for r in series],
                "datasets": [
                    {"label": revenue, "data": [float(fmt.major(r["revenue"])) for r in series]},
                    {
                        "label": refunded,
                        "data": [float(fmt.major(r["refunded"])) for r in series],
                    },
                ],
            },
        },
    )


def clv_card(choice: Choice, fmt: Format) -> Card:
    now, before = run_kpi(kpis.kpi_customer_lifetime_value, choice)
    return Card(
        figures=figures_of(
            fmt,
            now,
            before,
            (
                _("Lifetime value"),
                _("Average purchase value × purchases per year × average lifetime in years."),
                "money",
                "value",
            ),
            (
                _("Average purchase value"),
                _("Net revenue of the period ÷ its purchases."),
                "money",
                "average_purchase_value",
            ),
            (
                _("Purchases per year"),
                _("Purchases per buyer in the period, at a year's pace."),
                "number",
                "purchases_per_year",
            ),
            (
                _("Average lifetime (days)"),
                _(
                    "Days from a member's first purchase to their last, averaged over members "
                    "who bought."
                ),
                "number",
                "average_lifetime_days",
            ),
        ),
    )
