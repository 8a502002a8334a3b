"""The dashboard's cards: each KPI of kpis.py laid out as figures, tables and a chart.

A card is what one htmx request fills in: figures (each with its one-line definition, its
value for the previous period and the change), the tables that hold every number (the
accessible form of the chart, and the CSV export), and the data of a Chart.js chart. The
formulas live in kpis.py; here only labels, formatting and layout.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from babel import Locale
from babel.numbers import format_decimal
from django.urls import reverse

from apps.core.models import Location, Merchant
from apps.core.money import format_money, money_locale, to_major

from . import kpis
from .periods import Period
from .selectors import Status


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
        self.locale: Locale = money_locale(merchant.language, merchant.country.code)

    def money(self, minor: int | None) -> str:
        return "–" if minor is None else format_money(minor, self.currency, self.locale)

    def number(self, value: int | Decimal | None) -> str:
        return "–" if value is None else format_decimal(value, locale=self.locale)

    def percent(self, value: Decimal | None) -> str:
        return "–" if value is None else f"{format_decimal(value, locale=self.locale)} %"

    def major(self, minor: int | None) -> Decimal | None:
        """Money for charts and CSV: 1250 -> 12.50."""
        return None if minor is None else to_major(minor, self.currency)


def _change(kind: str, now, before, fmt: Format) -> tuple[str, str]:
    """How a figure moved: a percentage of the previous value, or points of a rate."""
    if now is None or before is None:
        return "", ""
    difference = now - before
    direction = "up" if difference > 0 else "down" if difference < 0 else "flat"
    if kind == "percent":
        return f"{'+' if difference > 0 else ''}{fmt.number(difference)} pts", direction
    if not before:
        return "", direction
    share = (Decimal(difference) * 100 / Decimal(before)).quantize(Decimal("0.1"))
    return f"{'+' if share > 0 else ''}{fmt.number(share)} %", direction


def _figure(
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
    change_text, direction = _change(kind, value, before, fmt) if previous is not None else ("", "")
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


def _figures(fmt: Format, result, previous, *specs: tuple) -> list[Figure]:
    """A card's figures from (label, definition, kind, attribute[, link]) specs."""
    return [
        _figure(label, definition, kind, result, attribute, fmt, previous, *link)
        for label, definition, kind, attribute, *link in specs
    ]


def _run(kpi, choice: Choice, *, with_location: bool = True):
    """The KPI for the period, and for the period before when comparing."""
    options = {"location": choice.location} if with_location else {}
    if choice.compare:
        compared = kpis.compare(kpi, merchant=choice.merchant, period=choice.period, **options)
        return compared.current, compared.previous
    return kpi(merchant=choice.merchant, period=choice.period, **options), None


def _day(day: date) -> str:
    return day.isoformat()


def _month(day: date) -> str:
    return day.strftime("%Y-%m")


def _members_link(status: str, choice: Choice) -> str:
    url = reverse("analytics:members", args=[status])
    if status == "new":
        url += f"?start={_day(choice.period.start)}&end={_day(choice.period.end)}"
        if choice.location:
            url += f"&location={choice.location.pk}"
    elif choice.location:
        url += f"?location={choice.location.pk}"
    return url


# The cards -----------------------------------------------------------------------------------


def retention_card(choice: Choice, fmt: Format) -> Card:
    now, before = _run(kpis.kpi_retention_rate, choice)
    return Card(
        figures=_figures(
            fmt,
            now,
            before,
            (
                "Retention rate",
                "(Active members at the end − new members in the period) ÷ active members at "
                "the start × 100.",
                "percent",
                "rate",
            ),
            (
                "Active at the start",
                "Members who bought (or joined) within the at-risk threshold before the first day.",
                "number",
                "members_at_start",
            ),
            (
                "Active at the end",
                "Members who bought (or joined) within the at-risk threshold before the last day.",
                "number",
                "members_at_end",
            ),
            (
                "New and active",
                "Of those active at the end, the ones who joined during the period.",
                "number",
                "new_members",
            ),
        ),
    )


def repeat_card(choice: Choice, fmt: Format) -> Card:
    now, before = _run(kpis.kpi_repeat_purchase_rate, choice)
    return Card(
        figures=_figures(
            fmt,
            now,
            before,
            (
                "Repeat purchase rate",
                "Members who came back (a second visit: another day or shop) ÷ members who "
                "bought × 100.",
                "percent",
                "rate",
            ),
            (
                "Came back",
                "Members with two visits or more in the period.",
                "number",
                "repeat_buyers",
            ),
            ("Bought", "Members with at least one purchase in the period.", "number", "buyers"),
        ),
    )


def frequency_card(choice: Choice, fmt: Format) -> Card:
    now, before = _run(kpis.kpi_purchase_frequency, choice)
    return Card(
        figures=_figures(
            fmt,
            now,
            before,
            (
                "Purchases per buyer",
                "Purchases in the period ÷ members who bought in it.",
                "number",
                "per_buyer",
            ),
            ("Purchases", "Members' purchases in the period.", "number", "purchases"),
        ),
    )


def aov_card(choice: Choice, fmt: Format) -> Card:
    now, before = _run(kpis.kpi_average_order_value, choice)
    return Card(
        figures=_figures(
            fmt,
            now,
            before,
            (
                "Average order (members)",
                "Members' revenue in the period ÷ their purchases.",
                "money",
                "members",
            ),
        ),
        note="Sales to customers who are not members are not recorded, so there is no "
        "figure for all sales.",
    )


def revenue_card(choice: Choice, fmt: Format) -> Card:
    now, before = _run(kpis.kpi_revenue_from_members, choice)
    series = now.series
    return Card(
        figures=_figures(
            fmt,
            now,
            before,
            ("Revenue", "The amounts of members' purchases in the period.", "money", "revenue"),
            ("Refunded", "Refunds made in the period, of any purchase.", "money", "refunded"),
            ("Net revenue", "Revenue − refunded.", "money", "net_revenue"),
        ),
        tables=[
            Table(
                "Revenue by day",
                ["Day", "Revenue", "Refunded"],
                [
                    [_day(r["day"]), fmt.money(r["revenue"]), fmt.money(r["refunded"])]
                    for r in series
                ],
                [
                    [_day(r["day"]), fmt.major(r["revenue"]), fmt.major(r["refunded"])]
                    for r in series
                ],
            )
        ],
        chart={
            "type": "bar",
            "data": {
                "labels": [_day(r["day"]) for r in series],
                "datasets": [
                    {"label": "Revenue", "data": [float(fmt.major(r["revenue"])) for r in series]},
                    {
                        "label": "Refunded",
                        "data": [float(fmt.major(r["refunded"])) for r in series],
                    },
                ],
            },
        },
    )


def clv_card(choice: Choice, fmt: Format) -> Card:
    now, before = _run(kpis.kpi_customer_lifetime_value, choice)
    return Card(
        figures=_figures(
            fmt,
            now,
            before,
            (
                "Lifetime value",
                "Average purchase value × purchases per year × average lifetime in years.",
                "money",
                "value",
            ),
            (
                "Average purchase value",
                "Net revenue of the period ÷ its purchases.",
                "money",
                "average_purchase_value",
            ),
            (
                "Purchases per year",
                "Purchases per buyer in the period, at a year's pace.",
                "number",
                "purchases_per_year",
            ),
            (
                "Average lifetime (days)",
                "Days from a member's first purchase to their last, averaged over members who "
                "bought.",
                "number",
                "average_lifetime_days",
            ),
        ),
    )


def statuses_card(choice: Choice, fmt: Format) -> Card:
    now, before = _run(kpis.kpi_member_statuses, choice)
    risk, lapsed = now.at_risk_days, now.lapsed_days
    return Card(
        figures=_figures(
            fmt,
            now,
            before,
            (
                "Active",
                f"Bought (or joined) in the last {risk} days.",
                "number",
                "active",
                _members_link(Status.ACTIVE, choice),
            ),
            ("New", "Joined in the period.", "number", "new", _members_link("new", choice)),
            (
                "At risk",
                f"No purchase for more than {risk} days, up to {lapsed}.",
                "number",
                "at_risk",
                _members_link(Status.AT_RISK, choice),
            ),
            (
                "Lapsed",
                f"No purchase for more than {lapsed} days.",
                "number",
                "lapsed",
                _members_link(Status.LAPSED, choice),
            ),
        ),
        chart={
            "type": "doughnut",
            "data": {
                "labels": ["Active", "At risk", "Lapsed"],
                "datasets": [{"label": "Members", "data": [now.active, now.at_risk, now.lapsed]}],
            },
        },
        tables=[
            Table(
                f"Members on {_day(now.as_of)}",
                ["Status", "Members"],
                [
                    ["Active", fmt.number(now.active)],
                    ["At risk", fmt.number(now.at_risk)],
                    ["Lapsed", fmt.number(now.lapsed)],
                ],
                [["Active", now.active], ["At risk", now.at_risk], ["Lapsed", now.lapsed]],
            )
        ],
        note=f"Counted at the end of the period ({_day(now.as_of)}); the lists are of today.",
    )


def _heat(share: Decimal | None) -> str:
    """One of eleven shades, as classes: the style policy allows no inline colours."""
    return "heat-none" if share is None else f"heat-{int(share // 10)}"


def cohorts_card(choice: Choice, fmt: Format) -> Card:
    result = kpis.kpi_cohort_retention(
        merchant=choice.merchant, period=choice.period, location=choice.location
    )
    width = max((len(row.active) for row in result.rows), default=0)
    headers = ["Joined", "Members"] + [f"Month {k}" for k in range(width)]
    rows, values, classes = [], [], []
    for row in result.rows:
        padding = width - len(row.active)
        rows.append(
            [_month(row.cohort), fmt.number(row.members)]
            + [fmt.percent(share) for share in row.shares]
            + [""] * padding
        )
        values.append([_month(row.cohort), row.members] + list(row.shares) + [None] * padding)
        classes.append(["", ""] + [_heat(share) for share in row.shares] + [""] * padding)
    return Card(
        tables=[
            Table(
                "Share of each month's new members who bought in each month after joining",
                headers,
                rows,
                values,
                classes,
            )
        ],
        note="Month 0 is the month they joined. One row per month of the period.",
    )


def points_card(choice: Choice, fmt: Format) -> Card:
    now, before = _run(kpis.kpi_points, choice)
    return Card(
        figures=_figures(
            fmt,
            now,
            before,
            ("Issued", "Earned by purchases + bonuses + added by hand.", "number", "issued"),
            (
                "Redeemed",
                "Spent on rewards, less what voided redemptions gave back.",
                "number",
                "redeemed",
            ),
            ("Expired", "Points that reached their expiry unused.", "number", "expired"),
            (
                "Outstanding",
                "Held by members at the end of the period (all locations).",
                "number",
                "outstanding",
            ),
            (
                "Liability",
                "Outstanding points × the value of a point (set in the analytics settings).",
                "money",
                "liability",
            ),
            ("Redemption rate", "Redeemed ÷ issued × 100.", "percent", "redemption_rate"),
            (
                "Breakage",
                "Expired ÷ (expired + redeemed) × 100: the share of used-up points that expired.",
                "percent",
                "breakage",
            ),
        ),
        chart={
            "type": "bar",
            "data": {
                "labels": ["Issued", "Redeemed", "Expired", "Taken back"],
                "datasets": [
                    {
                        "label": "Points",
                        "data": [now.issued, now.redeemed, now.expired, now.taken_back],
                    }
                ],
            },
        },
        tables=[
            Table(
                "Points in the period",
                ["Movement", "Points"],
                [
                    ["Issued", fmt.number(now.issued)],
                    ["Redeemed", fmt.number(now.redeemed)],
                    ["Expired", fmt.number(now.expired)],
                    ["Taken back", fmt.number(now.taken_back)],
                ],
                [
                    ["Issued", now.issued],
                    ["Redeemed", now.redeemed],
                    ["Expired", now.expired],
                    ["Taken back", now.taken_back],
                ],
            )
        ],
        note=f"1,000 points are valued at {fmt.money(now.thousand_points_value)}.",
    )


def tiers_card(choice: Choice, fmt: Format) -> Card:
    result = kpis.kpi_members_per_tier(
        merchant=choice.merchant, period=choice.period, location=choice.location
    )
    tiers = result.tiers
    headers = ["Month end"] + [tier["name"] for tier in tiers]
    history = [
        [row["day"]] + [row["members"].get(tier["id"], 0) for tier in tiers]
        for row in result.history
    ]
    return Card(
        figures=[
            Figure(
                tier["name"],
                f"Members in {tier['name']} now.",
                tier["members"],
                fmt.number(tier["members"]),
                exported=tier["members"],
            )
            for tier in tiers
        ],
        tables=[
            Table(
                "Members per tier at each month's end",
                headers,
                [[_day(row[0])] + [fmt.number(n) for n in row[1:]] for row in history],
                [[_day(row[0])] + row[1:] for row in history],
            )
        ]
        if tiers
        else [],
        chart={
            "type": "bar",
            "stacked": True,
            "data": {
                "labels": [_day(row[0]) for row in history],
                "datasets": [
                    {"label": tier["name"], "data": [row[1 + i] for row in history]}
                    for i, tier in enumerate(tiers)
                ],
            },
        }
        if tiers
        else None,
        note="" if tiers else "No tiers are set up.",
    )


def cashback_card(choice: Choice, fmt: Format) -> Card:
    now, before = _run(kpis.kpi_cashback_and_coupons, choice, with_location=False)
    return Card(
        figures=_figures(
            fmt,
            now,
            before,
            ("Cashback earned", "Accrued in wallets in the period.", "money", "cashback_earned"),
            ("Cashback taken back", "By refunds in the period.", "money", "cashback_reversed"),
            ("In wallets", "Not yet a coupon, at the end.", "money", "cashback_outstanding"),
            (
                "Coupons issued",
                "From cashback, rewards, referrals, by hand.",
                "number",
                "coupons_issued",
            ),
            ("Value issued", "What the coupons issued are worth.", "money", "coupons_issued_value"),
            ("Coupons redeemed", "Used on a purchase in the period.", "number", "coupons_redeemed"),
            ("Value redeemed", "What they took off baskets.", "money", "coupons_redeemed_value"),
            (
                "Live coupons' value",
                "Issued, not used, not expired, not void: now.",
                "money",
                "coupons_outstanding_value",
            ),
        ),
        note="For the whole business (coupons have no location).",
    )


def referrals_card(choice: Choice, fmt: Format) -> Card:
    now, before = _run(kpis.kpi_referral_funnel, choice, with_location=False)
    steps = [
        ("Codes used", now.codes_used),
        ("Converted", now.converted),
        ("Rewarded", now.rewarded),
    ]
    return Card(
        figures=_figures(
            fmt,
            now,
            before,
            (
                "Codes used",
                "New members who joined with a friend's code in the period.",
                "number",
                "codes_used",
            ),
            ("Converted", "Of those, made a first qualifying purchase.", "number", "converted"),
            ("Conversion rate", "Converted ÷ codes used × 100.", "percent", "conversion_rate"),
        ),
        chart={
            "type": "bar",
            "horizontal": True,
            "data": {
                "labels": [label for label, _n in steps],
                "datasets": [{"label": "Referrals", "data": [n for _label, n in steps]}],
            },
        },
        tables=[
            Table(
                "Referral funnel",
                ["Step", "Members"],
                [[label, fmt.number(n)] for label, n in steps]
                + [
                    ["Reversed since", fmt.number(now.reversed)],
                    ["Still pending", fmt.number(now.pending)],
                    ["Expired", fmt.number(now.expired)],
                    ["Rejected", fmt.number(now.rejected)],
                ],
                [[label, n] for label, n in steps]
                + [
                    ["Reversed since", now.reversed],
                    ["Still pending", now.pending],
                    ["Expired", now.expired],
                    ["Rejected", now.rejected],
                ],
            )
        ],
    )


def acquisition_card(choice: Choice, fmt: Format) -> Card:
    now, before = _run(kpis.kpi_acquisition_cost, choice, with_location=False)
    return Card(
        figures=_figures(
            fmt,
            now,
            before,
            (
                "Cost per new member",
                "Marketing spend ÷ new members, over the whole months the period touches.",
                "money",
                "cost_per_member",
            ),
            ("Marketing spend", "Entered per month in the analytics settings.", "money", "spend"),
            ("New members", "Joined in those months.", "number", "new_members"),
        ),
        note=f"Months {_month(now.first_month)} to {_month(now.last_month)}."
        + ("" if now.spend is not None else " No spend entered for them yet."),
    )


def enrollments_card(choice: Choice, fmt: Format) -> Card:
    result = kpis.kpi_enrollments(
        merchant=choice.merchant, period=choice.period, location=choice.location
    )

    def table(caption, header, rows, name):
        named = [(row[name] or "None", row["members"]) for row in rows]
        return Table(
            caption,
            [header, "Members"],
            [[label, fmt.number(n)] for label, n in named],
            [[label, n] for label, n in named],
        )

    staff = [
        row | {"name": row["name"] or "Nobody (online, API, import)"} for row in result.by_staff
    ]
    return Card(
        figures=[
            Figure(
                "New members",
                "Joined in the period.",
                result.total,
                fmt.number(result.total),
                exported=result.total,
            )
        ],
        chart={
            "type": "bar",
            "data": {
                "labels": [row["label"] for row in result.by_channel],
                "datasets": [
                    {"label": "New members", "data": [row["members"] for row in result.by_channel]}
                ],
            },
        },
        tables=[
            table("By channel", "Channel", result.by_channel, "label"),
            table("By location", "Location", result.by_location, "name"),
            table("By staff member", "Enrolled by", staff, "name"),
        ],
    )


# name -> (title, builder), in the dashboard's order
CARDS: dict[str, tuple[str, Callable[[Choice, Format], Card]]] = {
    "retention": ("Retention", retention_card),
    "repeat": ("Repeat purchases", repeat_card),
    "frequency": ("Purchase frequency", frequency_card),
    "aov": ("Average order value", aov_card),
    "revenue": ("Revenue from members", revenue_card),
    "clv": ("Customer lifetime value", clv_card),
    "statuses": ("Members", statuses_card),
    "cohorts": ("Cohort retention", cohorts_card),
    "points": ("Points", points_card),
    "tiers": ("Tiers", tiers_card),
    "cashback": ("Cashback and coupons", cashback_card),
    "referrals": ("Referrals", referrals_card),
    "acquisition": ("Acquisition cost", acquisition_card),
    "enrollments": ("Enrollments", enrollments_card),
}


def card_build(name: str, choice: Choice) -> Card:
    _title, build = CARDS[name]
    return build(choice, Format(choice.merchant))


def card_csv_rows(card: Card) -> list[list[object]]:
    """Every number of the card: its figures (with the previous period's), then each table."""
    rows: list[list[object]] = []
    if card.figures:
        rows.append(["Figure", "Value", "Previous period"])
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
