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

from django.utils import timezone

from apps.analytics import selectors
from apps.analytics.periods import (
    Period,
    add_months,
    day_start,
    merchant_zone,
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


def _end_day(merchant: Merchant, period: Period) -> date:
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
        days=[(period.start - timedelta(days=1), None), (_end_day(merchant, period), period.start)],
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
    day = _end_day(merchant, period)
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
    last_month = month_start(_end_day(merchant, period))
    cohorts = [month for month in period.months() if month <= last_month]
    if not cohorts:
        return CohortRetention(rows=[])
    sizes = selectors.cohort_sizes(
        merchant=merchant, first=cohorts[0], last=_end_day(merchant, period), location=location
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


# Points, cashback, coupons, tiers, referrals ----------------------------------------------


@dataclass(frozen=True)
class PointsFigures:
    issued: int  # earned + bonuses + positive adjustments
    earned: int
    bonus: int
    redeemed: int  # spent on rewards, less the points voided redemptions gave back
    expired: int
    taken_back: int  # by refunds and negative adjustments
    outstanding: int  # held by members at the end of the period (every location)
    liability: int  # outstanding × the value of a point, minor units
    thousand_points_value: int  # minor units, the value used for the liability
    redemption_rate: Decimal | None
    breakage: Decimal | None


def kpi_points(
    *, merchant: Merchant, period: Period, location: Location | None = None
) -> PointsFigures:
    """Points in the period, and what members hold at its end.

    * issued = earned by purchases + bonuses + positive adjustments;
    * redeemed = spent on rewards − returned by voided redemptions;
    * redemption rate = redeemed ÷ issued × 100;
    * breakage = expired ÷ (expired + redeemed) × 100: of the points that left members'
      balances by use or expiry, the share that expired unused;
    * outstanding = all points ever issued − redeemed − expired − taken back, at the end of
      the period; liability = outstanding × the value of 1,000 points ÷ 1,000 (the
      merchant's setting, else derived from its rewards), rounded half up.

    With a location, the period's flows are those of purchases at it (earned, taken back
    by refunds); bonuses, redemptions and expiry have no location. Outstanding points and
    the liability are always the whole business's: balances have no location.
    """
    totals = selectors.daily_totals(merchant=merchant, period=period, location=location)
    issued = totals["points_earned"] + totals["points_bonus"] + totals["points_adjusted_in"]
    redeemed = totals["points_redeemed"] - totals["points_returned"]
    expired = totals["points_expired"]
    outstanding = selectors.points_outstanding(merchant=merchant, day=_end_day(merchant, period))
    value = selectors.point_value_per_thousand(merchant=merchant)
    return PointsFigures(
        issued=issued,
        earned=totals["points_earned"],
        bonus=totals["points_bonus"],
        redeemed=redeemed,
        expired=expired,
        taken_back=totals["points_reversed"] + totals["points_adjusted_out"],
        outstanding=outstanding,
        liability=divide(outstanding * value, 1000, rounding=Rounding.HALF_UP),
        thousand_points_value=value,
        redemption_rate=percent(redeemed, issued),
        breakage=percent(expired, expired + redeemed),
    )


@dataclass(frozen=True)
class CashbackAndCoupons:
    cashback_earned: int  # accrued in wallets in the period (minor units)
    cashback_reversed: int  # taken back by refunds
    cashback_converted: int  # turned into coupons
    cashback_outstanding: int  # in wallets at the end of the period
    coupons_issued: int  # every source: cashback, rewards, referrals, by hand
    coupons_issued_value: int
    coupons_redeemed: int
    coupons_redeemed_value: int  # what they took off baskets
    coupons_outstanding: int  # live now: issued, not used, not expired, not void
    coupons_outstanding_value: int


def kpi_cashback_and_coupons(*, merchant: Merchant, period: Period) -> CashbackAndCoupons:
    """Cashback accrued, taken back and turned into coupons in the period and left in
    wallets at its end; coupons issued and redeemed in the period (a redemption is worth
    what it took off the basket: its value, at most the basket) and live now."""
    totals = selectors.daily_totals(merchant=merchant, period=period)
    coupons = selectors.coupon_totals(merchant=merchant, period=period, now=timezone.now())
    return CashbackAndCoupons(
        cashback_earned=totals["cashback_earned"],
        cashback_reversed=totals["cashback_reversed"],
        cashback_converted=totals["cashback_converted"],
        cashback_outstanding=selectors.cashback_outstanding(
            merchant=merchant, day=_end_day(merchant, period)
        ),
        coupons_issued=coupons["issued"],
        coupons_issued_value=coupons["issued_value"],
        coupons_redeemed=coupons["redeemed"],
        coupons_redeemed_value=coupons["redeemed_value"],
        coupons_outstanding=coupons["outstanding"],
        coupons_outstanding_value=coupons["outstanding_value"],
    )


@dataclass(frozen=True)
class TierMembers:
    tiers: list[dict]  # {"id", "name", "members"} now, in threshold order
    history: list[dict]  # {"day", "members": {tier id: count}} at each month end


def kpi_members_per_tier(
    *, merchant: Merchant, period: Period, location: Location | None = None
) -> TierMembers:
    """Members in each tier now, and at the end of each month of the period.

    The past is today's counts with the tier moves made since taken back one by one
    (TierChange). Merging two records moves the duplicate's history to the survivor and
    empties the duplicate's tier without a move, so months before a merge may count one
    member too few in the duplicate's tier.
    """
    now = selectors.tier_counts_now(merchant=merchant, location=location)
    zone = merchant_zone(merchant.timezone)
    today = selectors.merchant_today(merchant=merchant)
    ends = sorted(
        {min(add_months(month, 1) - timedelta(days=1), today) for month in period.months()}
    )
    history, counts = [], dict(now)
    boundaries = [day_start(end + timedelta(days=1), zone) for end in ends]
    moves = selectors.tier_moves_since(merchant=merchant, boundaries=boundaries, location=location)
    for index in reversed(range(len(ends))):
        # Undo the moves made after each month's end, newest first.
        for from_tier, to_tier, count in moves.get(index, ()):
            if to_tier is not None:
                counts[to_tier] = counts.get(to_tier, 0) - count
            if from_tier is not None:
                counts[from_tier] = counts.get(from_tier, 0) + count
        history.append({"day": ends[index], "members": {k: v for k, v in counts.items() if v}})
    tiers = selectors.tiers_by_threshold(merchant=merchant)
    return TierMembers(
        tiers=[
            {"id": tier.pk, "name": tier.name, "members": now.get(tier.pk, 0)}
            for tier in tiers
            if tier.is_active or now.get(tier.pk)
        ],
        history=list(reversed(history)),
    )


@dataclass(frozen=True)
class ReferralFunnel:
    codes_used: int  # members who enrolled with a referral code in the period
    converted: int  # of those, reached a qualifying first purchase (even if undone since)
    rewarded: int  # of those, still rewarded now
    reversed: int  # undone since by a refund or a merge
    pending: int  # still within their window
    expired: int  # window passed without a qualifying purchase
    rejected: int
    conversion_rate: Decimal | None  # converted ÷ codes used × 100


def kpi_referral_funnel(*, merchant: Merchant, period: Period) -> ReferralFunnel:
    """Referral funnel for the codes used in the period: codes used → converted (first
    qualifying purchase) → still rewarded; with those reversed, pending, expired and
    rejected. Conversion rate = converted ÷ codes used × 100."""
    totals = selectors.referral_totals(merchant=merchant, period=period)
    return ReferralFunnel(
        codes_used=totals["codes_used"],
        converted=totals["converted"],
        rewarded=totals["rewarded"],
        reversed=totals["reversed"],
        pending=totals["pending"],
        expired=totals["expired"],
        rejected=totals["rejected"],
        conversion_rate=percent(totals["converted"], totals["codes_used"]),
    )


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
