"""The KPIs of the analytics dashboard, each defined once, here.

Every KPI is a function of a merchant, a `Period` (the merchant's days, both ends
included) and, where it makes sense, a location; it reads the rollups through
selectors.py and returns a frozen dataclass of plain values (ints, Decimals, dates, lists
and dicts): what a dashboard card, a CSV export and the API all render. Money is integer
minor units of the merchant's currency, rates are percentages as Decimals with two
places, None when their denominator is zero. `compare()` runs a KPI on the period and on
the one just before it.

"Members" everywhere are the program's members: records merged into another are not
counted (the member they were merged into is), erased members count until their erasure.
Fideliza records sales to members only, so figures "for all sales" are not available.
What a location filter means for each figure: see selectors.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from apps.analytics import selectors
from apps.analytics.periods import (
    Period,
    add_months,
    month_start,
    months_apart,
)
from apps.core.models import Location, Merchant
from apps.core.money import Rounding, divide
from apps.members.models import Channel

TWO_PLACES = Decimal("0.01")


def percent(numerator: int, denominator: int) -> Decimal | None:
    """numerator / denominator × 100, two places, half up; None for a zero denominator."""
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(
        TWO_PLACES, rounding=ROUND_HALF_UP
    )


def quotient(numerator: int, denominator: int, places: str = "0.01") -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(
        Decimal(places), rounding=ROUND_HALF_UP
    )


def _thresholds(merchant: Merchant) -> tuple[int, int]:
    settings = selectors.analytics_settings_for(merchant=merchant)
    return settings.at_risk_days, settings.lapsed_days


def period_end_day(*, merchant: Merchant, period: Period) -> date:
    """The last day of the period that has happened: figures "at the end" of a period
    still running are today's."""
    return min(period.end, selectors.merchant_today(merchant=merchant))


# Customers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetentionRate:
    rate: Decimal | None  # percent
    members_at_start: int  # active at the end of the day before the period
    members_at_end: int  # active at the end of the period
    new_members: int  # of those at the end, the ones who enrolled in the period


def kpi_retention_rate(
    *, merchant: Merchant, period: Period, location: Location | None = None
) -> RetentionRate:
    """Customer retention rate: (members at the end − new members in the period) ÷
    members at the start × 100.

    A member counts at an instant when they are an active customer then: they bought (or
    enrolled) within the at-risk threshold before it (90 days by default). Members who no
    longer buy are not retained, whatever their enrollment says. New members are those
    who enrolled in the period and are active at its end, so that the numerator is the
    members from before the period who are still active at its end.
    """
    at_risk_days, lapsed_days = _thresholds(merchant)
    before, after = selectors.member_status_counts_on(
        merchant=merchant,
        days=[
            (period.start - timedelta(days=1), None),
            (period_end_day(merchant=merchant, period=period), period.start),
        ],
        at_risk_days=at_risk_days,
        lapsed_days=lapsed_days,
        location=location,
    )
    return RetentionRate(
        rate=percent(after.active - after.new_active, before.active),
        members_at_start=before.active,
        members_at_end=after.active,
        new_members=after.new_active,
    )


@dataclass(frozen=True)
class RepeatPurchaseRate:
    rate: Decimal | None  # percent
    repeat_buyers: int
    buyers: int


def kpi_repeat_purchase_rate(
    *, merchant: Merchant, period: Period, location: Location | None = None
) -> RepeatPurchaseRate:
    """Repeat purchase rate: members who came back in the period ÷ members who bought in
    it × 100.

    Coming back is a second visit, a visit being a day at a location: two purchases at the
    till on one day (a coffee, then a cake) are one visit. With a location, visits there.
    """
    buyers, repeat = selectors.buyers_and_repeat_buyers(
        merchant=merchant, period=period, location=location
    )
    return RepeatPurchaseRate(rate=percent(repeat, buyers), repeat_buyers=repeat, buyers=buyers)


@dataclass(frozen=True)
class PurchaseFrequency:
    per_buyer: Decimal | None  # purchases per buyer in the period
    purchases: int
    buyers: int


def kpi_purchase_frequency(
    *, merchant: Merchant, period: Period, location: Location | None = None
) -> PurchaseFrequency:
    """Purchase frequency: purchases in the period ÷ members who bought in it."""
    purchases = selectors.daily_totals(merchant=merchant, period=period, location=location)[
        "purchases"
    ]
    buyers = selectors.buyers_count(merchant=merchant, period=period, location=location)
    return PurchaseFrequency(quotient(purchases, buyers), purchases, buyers)


@dataclass(frozen=True)
class AverageOrderValue:
    members: int | None  # minor units; None without purchases
    purchases: int
    revenue: int
    all_sales: int | None = None  # sales to non-members are not recorded: always None


def kpi_average_order_value(
    *, merchant: Merchant, period: Period, location: Location | None = None
) -> AverageOrderValue:
    """Average order value: members' revenue in the period ÷ their purchases, rounded
    half up to the minor unit. Gross: refunds are a figure of their own (revenue)."""
    totals = selectors.daily_totals(merchant=merchant, period=period, location=location)
    purchases, revenue = totals["purchases"], totals["revenue"]
    average = divide(revenue, purchases, rounding=Rounding.HALF_UP) if purchases else None
    return AverageOrderValue(members=average, purchases=purchases, revenue=revenue)


@dataclass(frozen=True)
class RevenueFromMembers:
    revenue: int  # the purchases' amounts
    refunded: int  # refunds made in the period (of any purchase)
    net_revenue: int  # revenue − refunded
    purchases: int
    refunds: int
    series: list[dict]  # per day: day, revenue, refunded (days with sales or refunds)


def kpi_revenue_from_members(
    *, merchant: Merchant, period: Period, location: Location | None = None
) -> RevenueFromMembers:
    """Revenue from members: the amounts of the purchases members made in the period;
    net revenue takes away the refunds made in the period."""
    totals = selectors.daily_totals(merchant=merchant, period=period, location=location)
    return RevenueFromMembers(
        revenue=totals["revenue"],
        refunded=totals["refunded"],
        net_revenue=totals["revenue"] - totals["refunded"],
        purchases=totals["purchases"],
        refunds=totals["refunds"],
        series=selectors.daily_series(
            merchant=merchant, period=period, columns=("revenue", "refunded"), location=location
        ),
    )


@dataclass(frozen=True)
class CustomerLifetimeValue:
    value: int | None  # minor units
    average_purchase_value: int | None  # net revenue ÷ purchases, minor units
    purchases_per_year: Decimal | None  # per buyer, at the period's pace
    average_lifetime_days: Decimal | None
    net_revenue: int
    purchases: int
    buyers: int
    period_days: int
    lifetime_members: int  # members whose lifetime is averaged (bought at least once)


def kpi_customer_lifetime_value(
    *, merchant: Merchant, period: Period, location: Location | None = None
) -> CustomerLifetimeValue:
    """Customer lifetime value: average purchase value × average purchase frequency ×
    average customer lifetime.

    * average purchase value: net revenue of the period (purchases − refunds) ÷ purchases;
    * average purchase frequency: purchases per buyer in the period, per year
      (× 365 ÷ the period's days); a year-long period gives the steadiest figure;
    * average customer lifetime: the days from a member's first purchase to their last,
      averaged over the members who bought (today's figure, whatever the period).

    The product simplifies to net revenue × lifetime days ÷ (buyers × period days ×
    members averaged): one division, rounded half up.
    """
    totals = selectors.daily_totals(merchant=merchant, period=period, location=location)
    net = totals["revenue"] - totals["refunded"]
    purchases = totals["purchases"]
    buyers = selectors.buyers_count(merchant=merchant, period=period, location=location)
    lifetime = selectors.lifetime_totals(merchant=merchant, location=location)
    denominator = buyers * period.days * lifetime.members
    return CustomerLifetimeValue(
        value=divide(net * lifetime.days, denominator, rounding=Rounding.HALF_UP)
        if denominator
        else None,
        average_purchase_value=divide(net, purchases, rounding=Rounding.HALF_UP)
        if purchases
        else None,
        purchases_per_year=quotient(purchases * 365, buyers * period.days),
        average_lifetime_days=quotient(lifetime.days, lifetime.members, "0.1"),
        net_revenue=net,
        purchases=purchases,
        buyers=buyers,
        period_days=period.days,
        lifetime_members=lifetime.members,
    )


@dataclass(frozen=True)
class MemberStatuses:
    as_of: date  # the day the statuses are counted at: the period's end (or today)
    members: int
    active: int
    at_risk: int
    lapsed: int
    new: int  # enrolled in the period
    at_risk_days: int
    lapsed_days: int


def kpi_member_statuses(
    *, merchant: Merchant, period: Period, location: Location | None = None
) -> MemberStatuses:
    """Active, at-risk and lapsed members at the end of the period, and new members in it.

    Days since a member's last purchase (or enrollment, if they have not bought since):
    active up to the at-risk threshold (90 by default), at risk past it, lapsed past the
    lapsed threshold (180 by default). New: enrolled in the period. The members behind
    each number today: `selectors.members_with_status` and `selectors.members_enrolled`.
    """
    at_risk_days, lapsed_days = _thresholds(merchant)
    day = period_end_day(merchant=merchant, period=period)
    counts = selectors.member_status_counts(
        merchant=merchant,
        day=day,
        at_risk_days=at_risk_days,
        lapsed_days=lapsed_days,
        location=location,
    )
    return MemberStatuses(
        as_of=day,
        members=counts.members,
        active=counts.active,
        at_risk=counts.at_risk,
        lapsed=counts.lapsed,
        new=selectors.new_members_count(merchant=merchant, period=period, location=location),
        at_risk_days=at_risk_days,
        lapsed_days=lapsed_days,
    )


@dataclass(frozen=True)
class CohortRow:
    cohort: date  # the first day of the month of enrollment
    members: int  # enrolled that month
    active: list[int]  # members who bought in the month k after enrolling, k = 0, 1, …
    shares: list[Decimal | None]  # the same as a percentage of `members`


@dataclass(frozen=True)
class CohortRetention:
    rows: list[CohortRow]  # one per enrollment month of the period, oldest first


def kpi_cohort_retention(
    *, merchant: Merchant, period: Period, location: Location | None = None
) -> CohortRetention:
    """Cohort retention: for each month members enrolled in during the period, the share
    of them who bought anything in that month and in each month after, up to the current
    one: members of the cohort with a purchase in month k ÷ members of the cohort × 100."""
    last_month = month_start(period_end_day(merchant=merchant, period=period))
    cohorts = [month for month in period.months() if month <= last_month]
    if not cohorts:
        return CohortRetention(rows=[])
    sizes = selectors.cohort_sizes(
        merchant=merchant,
        first=cohorts[0],
        last=period_end_day(merchant=merchant, period=period),
        location=location,
    )
    cells = selectors.cohort_activity(merchant=merchant, cohorts=cohorts, location=location)
    rows = []
    for cohort in cohorts:
        size = sizes.get(cohort, 0)
        active = [
            cells.get((cohort, add_months(cohort, k)), 0)
            for k in range(months_apart(cohort, last_month) + 1)
        ]
        rows.append(CohortRow(cohort, size, active, [percent(n, size) for n in active]))
    return CohortRetention(rows=rows)


# Acquisition and enrollment -----------------------------------------------------------------


@dataclass(frozen=True)
class AcquisitionCost:
    cost_per_member: int | None  # minor units; None without new members or spend entered
    spend: int | None  # None: no spend entered for these months
    new_members: int
    first_month: date
    last_month: date


def kpi_acquisition_cost(*, merchant: Merchant, period: Period) -> AcquisitionCost:
    """Acquisition cost: marketing spend ÷ new members, over the calendar months the
    period touches (spend is entered per month, so both sides count whole months),
    rounded half up to the minor unit. Unknown (None) until spend is entered for one of
    those months."""
    months = period.months()
    whole_months = Period(months[0], add_months(months[-1], 1) - timedelta(days=1))
    spend = selectors.marketing_spend_total(merchant=merchant, months=months)
    new = selectors.new_members_count(merchant=merchant, period=whole_months)
    return AcquisitionCost(
        cost_per_member=divide(spend, new, rounding=Rounding.HALF_UP)
        if new and spend is not None
        else None,
        spend=spend,
        new_members=new,
        first_month=months[0],
        last_month=months[-1],
    )


@dataclass(frozen=True)
class Enrollments:
    total: int
    by_channel: list[dict]  # {"channel", "label", "members"}, most first
    by_location: list[dict]  # {"location_id", "name", "members"}; None: no location
    by_staff: list[dict]  # {"user_id", "name", "members"}; None: nobody (online, API…)


def kpi_enrollments(
    *, merchant: Merchant, period: Period, location: Location | None = None
) -> Enrollments:
    """New members in the period by enrollment channel, by location and by the staff
    member who enrolled them (who enrolls best at the counter)."""
    by_channel = selectors.enrollments_by(
        merchant=merchant, period=period, field="channel", location=location
    )
    by_location = selectors.enrollments_by(
        merchant=merchant, period=period, field="location_id", location=location
    )
    by_staff = selectors.enrollments_by(
        merchant=merchant, period=period, field="enrolled_by_id", location=location
    )
    locations = selectors.location_names(merchant=merchant, ids=[pk for pk in by_location if pk])
    users = selectors.staff_names(ids=[pk for pk in by_staff if pk])
    # The channels' names in the reader's language, as plain strings (sorted, sent as JSON).
    channels = {value: str(label) for value, label in Channel.choices}

    def ranked(counts: dict, describe: Callable[[Any], dict], name: str) -> list[dict]:
        """Most members first; ties by name, the unnamed (nobody, no location) last."""
        rows = [describe(key) | {"members": members} for key, members in counts.items()]
        return sorted(rows, key=lambda row: (-row["members"], row[name] is None, row[name] or ""))

    return Enrollments(
        total=sum(by_channel.values()),
        by_channel=ranked(
            by_channel,
            lambda channel: {"channel": channel, "label": channels.get(channel)},
            "label",
        ),
        by_location=ranked(
            by_location, lambda pk: {"location_id": pk, "name": locations.get(pk)}, "name"
        ),
        by_staff=ranked(by_staff, lambda pk: {"user_id": pk, "name": users.get(pk)}, "name"),
    )


# Comparison with the previous period ---------------------------------------------------------


@dataclass(frozen=True)
class Change:
    current: int | Decimal | None
    previous: int | Decimal | None
    difference: int | Decimal | None
    percent: Decimal | None  # the difference as a share of the previous value


@dataclass(frozen=True)
class Comparison:
    current: Any
    previous: Any
    changes: dict[str, Change]  # every number the KPI returns, by field name


def compare(
    kpi: Callable[..., Any], *, merchant: Merchant, period: Period, **options
) -> Comparison:
    """Run `kpi` on the period and on the one of as many days just before it, and say how
    each of its numbers moved."""
    current = kpi(merchant=merchant, period=period, **options)
    previous = kpi(merchant=merchant, period=period.previous(), **options)
    changes = {}
    for field in fields(current):
        now, before = getattr(current, field.name), getattr(previous, field.name)
        if not all(_is_number(value) or value is None for value in (now, before)):
            continue
        if now is None and before is None:
            continue
        difference = now - before if now is not None and before is not None else None
        changes[field.name] = Change(
            now,
            before,
            difference,
            percent(difference, before) if difference is not None and before else None,
        )
    return Comparison(current, previous, changes)


def _is_number(value: object) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)
