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
from babel.dates import format_skeleton
from babel.numbers import format_decimal
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext, pgettext_lazy

from apps.core.formatting import active_locale, format_day
from apps.core.models import Location, Merchant
from apps.core.money import format_money, to_major

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
        # The reader's language, written as in the merchant's country.
        self.locale: Locale = active_locale(merchant.country.code)

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
        signed = f"{'+' if difference > 0 else ''}{fmt.number(difference)}"
        # Translators: the change of a rate in percentage points, e.g. "+3 pts".
        return _("%(change)s pts") % {"change": signed}, direction
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
    """A day for the CSV and the links: ISO, whatever the language."""
    return day.isoformat()


def _month(day: date) -> str:
    return day.strftime("%Y-%m")


def _day_text(day: date) -> str:
    """A day for people (the page, the charts), in the reader's language: "2 Dec 2026"."""
    return format_day(day)


def _month_text(day: date) -> str:
    """A month for people, in the reader's language: "Dec 2026", "dic 2026"."""
    return format_skeleton("yMMM", day, locale=active_locale())


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
                _("Retention rate"),
                _(
                    "(Active members at the end − new members in the period) ÷ active members "
                    "at the start × 100."
                ),
                "percent",
                "rate",
            ),
            (
                _("Active at the start"),
                _(
                    "Members who bought (or joined) within the at-risk threshold before the "
                    "first day."
                ),
                "number",
                "members_at_start",
            ),
            (
                _("Active at the end"),
                _(
                    "Members who bought (or joined) within the at-risk threshold before the "
                    "last day."
                ),
                "number",
                "members_at_end",
            ),
            (
                _("New and active"),
                _("Of those active at the end, the ones who joined during the period."),
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
                _("Repeat purchase rate"),
                _(
                    "Members who came back (a second visit: another day or shop) ÷ members "
                    "who bought × 100."
                ),
                "percent",
                "rate",
            ),
            (
                # Translators: members who came back to buy again.
                _("Came back"),
                _("Members with two visits or more in the period."),
                "number",
                "repeat_buyers",
            ),
            (
                # Translators: members who bought in the period.
                _("Bought"),
                _("Members with at least one purchase in the period."),
                "number",
                "buyers",
            ),
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
                _("Purchases per buyer"),
                _("Purchases in the period ÷ members who bought in it."),
                "number",
                "per_buyer",
            ),
            (_("Purchases"), _("Members' purchases in the period."), "number", "purchases"),
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
    now, before = _run(kpis.kpi_revenue_from_members, choice)
    series = now.series
    revenue, refunded = _("Revenue"), _("Refunded")
    return Card(
        figures=_figures(
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
                    [_day_text(r["day"]), fmt.money(r["revenue"]), fmt.money(r["refunded"])]
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
                "labels": [_day_text(r["day"]) for r in series],
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
    now, before = _run(kpis.kpi_customer_lifetime_value, choice)
    return Card(
        figures=_figures(
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


def statuses_card(choice: Choice, fmt: Format) -> Card:
    now, before = _run(kpis.kpi_member_statuses, choice)
    risk, lapsed = now.at_risk_days, now.lapsed_days
    active = pgettext("member status", "Active")
    at_risk = pgettext("member status", "At risk")
    lapsed_label = pgettext("member status", "Lapsed")
    members = _("Members")
    as_of = _day_text(now.as_of)
    return Card(
        figures=_figures(
            fmt,
            now,
            before,
            (
                active,
                ngettext(
                    "Bought (or joined) in the last %(days)d day.",
                    "Bought (or joined) in the last %(days)d days.",
                    risk,
                )
                % {"days": risk},
                "number",
                "active",
                _members_link(Status.ACTIVE, choice),
            ),
            (
                pgettext("member status", "New"),
                _("Joined in the period."),
                "number",
                "new",
                _members_link("new", choice),
            ),
            (
                at_risk,
                # Translators: "at_risk" and "lapsed" are the two thresholds, in days.
                ngettext(
                    "No purchase for more than %(at_risk)d day, up to %(lapsed)d.",
                    "No purchase for more than %(at_risk)d days, up to %(lapsed)d.",
                    risk,
                )
                % {"at_risk": risk, "lapsed": lapsed},
                "number",
                "at_risk",
                _members_link(Status.AT_RISK, choice),
            ),
            (
                lapsed_label,
                ngettext(
                    "No purchase for more than %(days)d day.",
                    "No purchase for more than %(days)d days.",
                    lapsed,
                )
                % {"days": lapsed},
                "number",
                "lapsed",
                _members_link(Status.LAPSED, choice),
            ),
        ),
        chart={
            "type": "doughnut",
            "data": {
                "labels": [active, at_risk, lapsed_label],
                "datasets": [{"label": members, "data": [now.active, now.at_risk, now.lapsed]}],
            },
        },
        tables=[
            Table(
                # Translators: the caption of a table of members by status; "day" is a date.
                _("Members on %(day)s") % {"day": as_of},
                [_("Status"), members],
                [
                    [active, fmt.number(now.active)],
                    [at_risk, fmt.number(now.at_risk)],
                    [lapsed_label, fmt.number(now.lapsed)],
                ],
                [[active, now.active], [at_risk, now.at_risk], [lapsed_label, now.lapsed]],
            )
        ],
        note=_("Counted at the end of the period (%(day)s); the lists are of today.")
        % {"day": as_of},
    )


def _heat(share: Decimal | None) -> str:
    """One of eleven shades, as classes: the style policy allows no inline colours."""
    return "heat-none" if share is None else f"heat-{int(share // 10)}"


def cohorts_card(choice: Choice, fmt: Format) -> Card:
    result = kpis.kpi_cohort_retention(
        merchant=choice.merchant, period=choice.period, location=choice.location
    )
    width = max((len(row.active) for row in result.rows), default=0)
    # Translators: a column of the cohort table: months since the members joined (0, 1, 2…).
    headers = [_("Joined"), _("Members")] + [
        _("Month %(number)d") % {"number": k} for k in range(width)
    ]
    rows, values, classes = [], [], []
    for row in result.rows:
        padding = width - len(row.active)
        rows.append(
            [_month_text(row.cohort), fmt.number(row.members)]
            + [fmt.percent(share) for share in row.shares]
            + [""] * padding
        )
        values.append([_month(row.cohort), row.members] + list(row.shares) + [None] * padding)
        classes.append(["", ""] + [_heat(share) for share in row.shares] + [""] * padding)
    return Card(
        tables=[
            Table(
                _("Share of each month's new members who bought in each month after joining"),
                headers,
                rows,
                values,
                classes,
            )
        ],
        note=_("Month 0 is the month they joined. One row per month of the period."),
    )


def points_card(choice: Choice, fmt: Format) -> Card:
    now, before = _run(kpis.kpi_points, choice)
    issued = pgettext("points", "Issued")
    redeemed = pgettext("points", "Redeemed")
    expired = pgettext("points", "Expired")
    taken_back = pgettext("points", "Taken back")
    points = _("Points")
    return Card(
        figures=_figures(
            fmt,
            now,
            before,
            (issued, _("Earned by purchases + bonuses + added by hand."), "number", "issued"),
            (
                redeemed,
                _("Spent on rewards, less what voided redemptions gave back."),
                "number",
                "redeemed",
            ),
            (expired, _("Points that reached their expiry unused."), "number", "expired"),
            (
                pgettext("points", "Outstanding"),
                _("Held by members at the end of the period (all locations)."),
                "number",
                "outstanding",
            ),
            (
                _("Liability"),
                _("Outstanding points × the value of a point (set in the analytics settings)."),
                "money",
                "liability",
            ),
            (_("Redemption rate"), _("Redeemed ÷ issued × 100."), "percent", "redemption_rate"),
            (
                _("Breakage"),
                _(
                    "Expired ÷ (expired + redeemed) × 100: the share of used-up points that "
                    "expired."
                ),
                "percent",
                "breakage",
            ),
        ),
        chart={
            "type": "bar",
            "data": {
                "labels": [issued, redeemed, expired, taken_back],
                "datasets": [
                    {
                        "label": points,
                        "data": [now.issued, now.redeemed, now.expired, now.taken_back],
                    }
                ],
            },
        },
        tables=[
            Table(
                _("Points in the period"),
                [_("Movement"), points],
                [
                    [issued, fmt.number(now.issued)],
                    [redeemed, fmt.number(now.redeemed)],
                    [expired, fmt.number(now.expired)],
                    [taken_back, fmt.number(now.taken_back)],
                ],
                [
                    [issued, now.issued],
                    [redeemed, now.redeemed],
                    [expired, now.expired],
                    [taken_back, now.taken_back],
                ],
            )
        ],
        # Translators: "value" is an amount of money, e.g. "7,50 €".
        note=_("1,000 points are valued at %(value)s.")
        % {"value": fmt.money(now.thousand_points_value)},
    )


def tiers_card(choice: Choice, fmt: Format) -> Card:
    result = kpis.kpi_members_per_tier(
        merchant=choice.merchant, period=choice.period, location=choice.location
    )
    tiers = result.tiers
    headers = [_("Month end")] + [tier["name"] for tier in tiers]
    history = [
        [row["day"]] + [row["members"].get(tier["id"], 0) for tier in tiers]
        for row in result.history
    ]
    return Card(
        figures=[
            Figure(
                tier["name"],
                # Translators: "tier" is the name of a loyalty tier, e.g. "Gold".
                _("Members in %(tier)s now.") % {"tier": tier["name"]},
                tier["members"],
                fmt.number(tier["members"]),
                exported=tier["members"],
            )
            for tier in tiers
        ],
        tables=[
            Table(
                _("Members per tier at each month's end"),
                headers,
                [[_day_text(row[0])] + [fmt.number(n) for n in row[1:]] for row in history],
                [[_day(row[0])] + row[1:] for row in history],
            )
        ]
        if tiers
        else [],
        chart={
            "type": "bar",
            "stacked": True,
            "data": {
                "labels": [_day_text(row[0]) for row in history],
                "datasets": [
                    {"label": tier["name"], "data": [row[1 + i] for row in history]}
                    for i, tier in enumerate(tiers)
                ],
            },
        }
        if tiers
        else None,
        note="" if tiers else _("No tiers are set up."),
    )


def cashback_card(choice: Choice, fmt: Format) -> Card:
    now, before = _run(kpis.kpi_cashback_and_coupons, choice, with_location=False)
    return Card(
        figures=_figures(
            fmt,
            now,
            before,
            (
                _("Cashback earned"),
                _("Accrued in wallets in the period."),
                "money",
                "cashback_earned",
            ),
            (
                _("Cashback taken back"),
                _("By refunds in the period."),
                "money",
                "cashback_reversed",
            ),
            (
                _("In wallets"),
                _("Not yet a coupon, at the end."),
                "money",
                "cashback_outstanding",
            ),
            (
                _("Coupons issued"),
                _("From cashback, rewards, referrals, by hand."),
                "number",
                "coupons_issued",
            ),
            (
                _("Value issued"),
                _("What the coupons issued are worth."),
                "money",
                "coupons_issued_value",
            ),
            (
                _("Coupons redeemed"),
                _("Used on a purchase in the period."),
                "number",
                "coupons_redeemed",
            ),
            (
                _("Value redeemed"),
                _("What they took off baskets."),
                "money",
                "coupons_redeemed_value",
            ),
            (
                _("Live coupons' value"),
                _("Issued, not used, not expired, not void: now."),
                "money",
                "coupons_outstanding_value",
            ),
        ),
        note=_("For the whole business (coupons have no location)."),
    )


def referrals_card(choice: Choice, fmt: Format) -> Card:
    now, before = _run(kpis.kpi_referral_funnel, choice, with_location=False)
    codes_used = _("Codes used")
    converted = pgettext("referrals", "Converted")
    steps = [
        (codes_used, now.codes_used),
        (converted, now.converted),
        (pgettext("referrals", "Rewarded"), now.rewarded),
    ]
    others = [
        (_("Reversed since"), now.reversed),
        (_("Still pending"), now.pending),
        (pgettext("referrals", "Expired"), now.expired),
        (pgettext("referrals", "Rejected"), now.rejected),
    ]
    return Card(
        figures=_figures(
            fmt,
            now,
            before,
            (
                codes_used,
                _("New members who joined with a friend's code in the period."),
                "number",
                "codes_used",
            ),
            (converted, _("Of those, made a first qualifying purchase."), "number", "converted"),
            (
                _("Conversion rate"),
                _("Converted ÷ codes used × 100."),
                "percent",
                "conversion_rate",
            ),
        ),
        chart={
            "type": "bar",
            "horizontal": True,
            "data": {
                "labels": [label for label, _n in steps],
                "datasets": [{"label": _("Referrals"), "data": [n for _label, n in steps]}],
            },
        },
        tables=[
            Table(
                _("Referral funnel"),
                [_("Step"), _("Members")],
                [[label, fmt.number(n)] for label, n in steps + others],
                [[label, n] for label, n in steps + others],
            )
        ],
    )


def acquisition_card(choice: Choice, fmt: Format) -> Card:
    now, before = _run(kpis.kpi_acquisition_cost, choice, with_location=False)
    months = {"first": _month_text(now.first_month), "last": _month_text(now.last_month)}
    return Card(
        figures=_figures(
            fmt,
            now,
            before,
            (
                _("Cost per new member"),
                _("Marketing spend ÷ new members, over the whole months the period touches."),
                "money",
                "cost_per_member",
            ),
            (
                _("Marketing spend"),
                _("Entered per month in the analytics settings."),
                "money",
                "spend",
            ),
            (_("New members"), _("Joined in those months."), "number", "new_members"),
        ),
        # Translators: "first" and "last" are months, e.g. "Jan 2026".
        note=_("Months %(first)s to %(last)s.") % months
        if now.spend is not None
        else _("Months %(first)s to %(last)s. No spend entered for them yet.") % months,
    )


def enrollments_card(choice: Choice, fmt: Format) -> Card:
    result = kpis.kpi_enrollments(
        merchant=choice.merchant, period=choice.period, location=choice.location
    )
    members = _("Members")
    # Translators: in the enrollments' tables, a row with no channel or no location.
    nothing = pgettext("no channel or location", "None")

    def table(caption, header, rows, name):
        named = [(str(row[name] or nothing), row["members"]) for row in rows]
        return Table(
            caption,
            [header, members],
            [[label, fmt.number(n)] for label, n in named],
            [[label, n] for label, n in named],
        )

    staff = [
        row | {"name": row["name"] or _("Nobody (online, API, import)")} for row in result.by_staff
    ]
    new_members = _("New members")
    return Card(
        figures=[
            Figure(
                new_members,
                _("Joined in the period."),
                result.total,
                fmt.number(result.total),
                exported=result.total,
            )
        ],
        chart={
            "type": "bar",
            "data": {
                "labels": [str(row["label"] or nothing) for row in result.by_channel],
                "datasets": [
                    {"label": new_members, "data": [row["members"] for row in result.by_channel]}
                ],
            },
        },
        tables=[
            table(_("By channel"), _("Channel"), result.by_channel, "label"),
            table(_("By location"), _("Location"), result.by_location, "name"),
            table(_("By staff member"), _("Enrolled by"), staff, "name"),
        ],
    )


# name -> (title, builder), in the dashboard's order
CARDS: dict[str, tuple[str, Callable[[Choice, Format], Card]]] = {
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
    _title, build = CARDS[name]
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
