"""Reads for analytics: the rollups summed over a period, the members behind a number,
and names. kpis.py turns these into the KPIs (the program's small tables, coupons, tiers
and referrals, are read in program_selectors.py).

Location filters mean two things, by what is counted:
* sales, buyers, points and cashback: where the sale happened (the purchase's location);
* members (statuses, new, cohorts, lifetime, enrollments, tiers): the member's home
  location, where they enrolled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import (
    Count,
    F,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from apps.analytics.daybits import DayCount, DaysBetween, FirstDay
from apps.analytics.models import (
    AnalyticsSettings,
    CohortActivity,
    DailyRollup,
    EnrollmentDay,
    MarketingSpend,
    MemberLocationDays,
    MemberStats,
)
from apps.analytics.periods import Period, local_day, merchant_zone
from apps.analytics.rollups import DAILY_COLUMNS, POINTS_IN, POINTS_OUT
from apps.core.models import Location, Merchant
from apps.core.money import Rounding, divide, minor_digits
from apps.members.models import Member
from apps.programs.points.models import ProgramSettings
from apps.programs.rewards.models import Reward, RewardKind


def analytics_settings_for(*, merchant: Merchant) -> AnalyticsSettings:
    """The merchant's settings, or the defaults (an unsaved row) when it has none yet:
    reading writes nothing. `services.analytics_settings_ensure` makes the row."""
    found = AnalyticsSettings.objects.for_merchant(merchant).first()
    return found if found is not None else AnalyticsSettings(merchant=merchant)


def merchant_today(*, merchant: Merchant, now: datetime | None = None) -> date:
    return local_day(now or timezone.now(), merchant_zone(merchant.timezone))


# Daily rollups ------------------------------------------------------------------------


def daily_rows(
    *, merchant: Merchant, period: Period, location: Location | None = None
) -> QuerySet[DailyRollup]:
    rows = DailyRollup.objects.for_merchant(merchant).filter(
        day__gte=period.start, day__lte=period.end
    )
    return rows.filter(location=location) if location is not None else rows


def daily_totals(
    *, merchant: Merchant, period: Period, location: Location | None = None
) -> dict[str, int]:
    """Every column of the daily rollups summed over the period (zeros when empty)."""
    totals = daily_rows(merchant=merchant, period=period, location=location).aggregate(
        **{column: Coalesce(Sum(column), 0) for column in DAILY_COLUMNS}
    )
    return totals


def daily_series(
    *,
    merchant: Merchant,
    period: Period,
    columns: tuple[str, ...],
    location: Location | None = None,
) -> list[dict]:
    """Day by day, the columns summed over locations, for the days where one of them is
    not zero: a chart's numbers."""
    any_figure = Q()
    for column in columns:
        any_figure |= ~Q(**{column: 0})
    return list(
        daily_rows(merchant=merchant, period=period, location=location)
        .filter(any_figure)
        .order_by()
        .values("day")
        .annotate(**{column: Sum(column) for column in columns})
        .order_by("day")
    )


def _balance_expression(plus: tuple[str, ...], minus: tuple[str, ...]):
    expression = Value(0)
    for column in plus:
        expression = expression + F(column)
    for column in minus:
        expression = expression - F(column)
    return expression


def points_outstanding(*, merchant: Merchant, day: date) -> int:
    """Points members held at the end of `day`: everything in minus everything out, up to
    that day (every location). Today, it equals the sum of the points accounts."""
    rows = DailyRollup.objects.for_merchant(merchant).filter(day__lte=day)
    total = rows.aggregate(held=Sum(_balance_expression(POINTS_IN, POINTS_OUT)))["held"]
    return total or 0


def cashback_outstanding(*, merchant: Merchant, day: date) -> int:
    """Cashback in members' wallets at the end of `day`, not yet turned into coupons."""
    rows = DailyRollup.objects.for_merchant(merchant).filter(day__lte=day)
    expression = _balance_expression(
        ("cashback_earned",), ("cashback_reversed", "cashback_converted")
    )
    return rows.aggregate(held=Sum(expression))["held"] or 0


def point_value_per_thousand(*, merchant: Merchant) -> int:
    """What 1,000 points are worth in minor units: the merchant's setting, else derived
    from the program (`derived_point_value_per_thousand`)."""
    configured = analytics_settings_for(merchant=merchant).thousand_points_value
    if configured is not None:
        return configured
    return derived_point_value_per_thousand(merchant=merchant)


def derived_point_value_per_thousand(*, merchant: Merchant) -> int:
    """The median value per point of the active rewards worth money (fixed discounts and
    coupons: amount ÷ point cost), the value members actually get; with none, 1 % back on
    spend at the program's earn rate (a common program's return)."""
    values = sorted(
        divide(amount * 1000, cost, rounding=Rounding.HALF_UP)
        for amount, cost in Reward.objects.for_merchant(merchant)
        .filter(
            is_active=True,
            kind__in=[RewardKind.FIXED_DISCOUNT, RewardKind.COUPON],
            discount_amount__gt=0,
        )
        .values_list("discount_amount", "points_cost")
    )
    if values:
        return values[(len(values) - 1) // 2]
    settings = ProgramSettings.objects.for_merchant(merchant).first()
    points_per_unit = settings.points_per_unit if settings else 10
    if not points_per_unit:
        return 0
    unit = 10 ** minor_digits(merchant.currency)
    # One point is 1 % of the spend that earned it: unit / points_per_unit / 100.
    return divide(unit * 1000, points_per_unit * 100, rounding=Rounding.HALF_UP)


# Buyers: the days members bought on ---------------------------------------------------


def _buyer_rows(
    merchant: Merchant, period: Period, location: Location | None
) -> tuple[QuerySet, Q, Q]:
    """One row per member who ever bought (at the location), and the conditions "bought
    in the period" and "came back in it", read from the row's bits (daybits.py)."""
    days = DaysBetween("days", period.start, period.end)
    if location is not None:
        rows = MemberLocationDays.objects.for_merchant(merchant).filter(location=location)
        # At one location, a visit is a day.
        rows = rows.alias(first=FirstDay(days), days_bought=DayCount(days))
        return rows, Q(first__gt=0), Q(days_bought__gte=2)
    rows = MemberStats.objects.for_merchant(merchant).filter(days_from__gt=0)
    rows = rows.alias(
        first=FirstDay(days),
        days_bought=DayCount(days),
        twice=FirstDay(DaysBetween("days_twice", period.start, period.end)),
    )
    # Two days, or one day at two locations.
    return rows, Q(first__gt=0), Q(days_bought__gte=2) | Q(twice__gt=0)


def buyers_count(*, merchant: Merchant, period: Period, location: Location | None = None) -> int:
    """Members who bought at least once in the period (at the location): a row per
    member (the days bought on, as bits: in their stats, or their days there)."""
    rows, bought, _came_back = _buyer_rows(merchant, period, location)
    return rows.filter(bought).count()


def repeat_buyers_count(
    *, merchant: Merchant, period: Period, location: Location | None = None
) -> int:
    """Buyers of the period who came back: two visits or more in it, a visit being a day
    at a location (two purchases at one till on one day are one visit)."""
    rows, _bought, came_back = _buyer_rows(merchant, period, location)
    return rows.filter(came_back).count()


def buyers_and_repeat_buyers(
    *, merchant: Merchant, period: Period, location: Location | None = None
) -> tuple[int, int]:
    """`buyers_count` and `repeat_buyers_count` in one pass over the members."""
    rows, bought, came_back = _buyer_rows(merchant, period, location)
    counts = rows.aggregate(buyers=Count("pk", filter=bought), repeat=Count("pk", filter=came_back))
    return counts["buyers"], counts["repeat"]


def returning_buyers_count(*, merchant: Merchant, periods: list[Period]) -> list[int]:
    """For each period, the members who bought in it and had bought before it (their
    first purchase is earlier): returning buyers, not new ones. One aggregate over the
    members who bought since the earliest period began, a range of the last-purchase
    index (`analytics_member_last_buy`), whatever the merchant's size."""
    since = min(period.start for period in periods)
    rows = MemberStats.objects.for_merchant(merchant).filter(
        days_from__gt=0, last_purchase_on__gte=since
    )
    aliases, aggregates = {}, {}
    for index, period in enumerate(periods):
        aliases[f"bought_{index}"] = FirstDay(DaysBetween("days", period.start, period.end))
        returning = Q(**{f"bought_{index}__gt": 0}, days_from__lt=period.start.toordinal())
        aggregates[f"returning_{index}"] = Count("pk", filter=returning)
    counts = rows.alias(**aliases).aggregate(**aggregates)
    return [counts[f"returning_{index}"] for index in range(len(periods))]


# Members: statuses and the lists behind them -------------------------------------------------


class Status:
    ACTIVE = "active"
    AT_RISK = "at_risk"
    LAPSED = "lapsed"


@dataclass(frozen=True)
class StatusCounts:
    members: int  # members at the end of `day` (enrolled, not erased)
    active: int
    at_risk: int
    lapsed: int
    new_active: int  # active members who enrolled on or after `enrolled_since`


def current_member_stats(
    *, merchant: Merchant, day: date, location: Location | None = None
) -> QuerySet[MemberStats]:
    """Members at the end of `day`: enrolled by then, not erased by then, not a record
    merged into another."""
    stats = MemberStats.objects.for_merchant(merchant).filter(merged=False, enrolled_on__lte=day)
    stats = stats.filter(Q(erased_on__isnull=True) | Q(erased_on__gt=day))
    return stats.filter(location=location) if location is not None else stats


def _seen_since(first: date, day: date, *, today: date) -> tuple[Q, dict]:
    """Members (stats) who bought or enrolled between `first` and `day`, and the aliases
    the condition needs. As of today, the stats' last day seen says it. For a day in the
    past it says it too for members not seen since that day; the others (they bought
    after it) are read from the days they bought on, as bits: the conditions are
    evaluated in order, so only their bits are read."""
    if day >= today:
        return Q(last_seen_on__gte=first), {}
    name = f"bought_{first:%Y%m%d}_{day:%Y%m%d}"
    return (
        Q(last_seen_on__gte=first, last_seen_on__lte=day)
        | (Q(last_seen_on__gt=day) & (Q(enrolled_on__gte=first) | Q(**{f"{name}__gt": 0}))),
        {name: FirstDay(DaysBetween("days", first, day))},
    )


def member_status_counts(
    *,
    merchant: Merchant,
    day: date,
    at_risk_days: int,
    lapsed_days: int,
    location: Location | None = None,
    enrolled_since: date | None = None,
    today: date | None = None,
) -> StatusCounts:
    """Members at the end of `day` by the days since they last bought (or enrolled, if
    they have not bought since): active up to `at_risk_days`, at risk beyond, lapsed
    beyond `lapsed_days`."""
    return member_status_counts_on(
        merchant=merchant,
        days=[(day, enrolled_since)],
        at_risk_days=at_risk_days,
        lapsed_days=lapsed_days,
        location=location,
        today=today,
    )[0]


def member_status_counts_on(
    *,
    merchant: Merchant,
    days: list[tuple[date, date | None]],
    at_risk_days: int,
    lapsed_days: int,
    location: Location | None = None,
    today: date | None = None,
) -> list[StatusCounts]:
    """`member_status_counts` at the end of several days, each with its `enrolled_since`
    (or None), in one pass over the members."""
    today = today or merchant_today(merchant=merchant)
    asked = [(min(day, today), since) for day, since in days]
    stats = MemberStats.objects.for_merchant(merchant).filter(
        merged=False, enrolled_on__lte=max(day for day, _since in asked)
    )
    if location is not None:
        stats = stats.filter(location=location)
    aliases, aggregates = {}, {}
    for index, (day, since) in enumerate(asked):
        # Members at the end of `day`: enrolled by then, not erased by then.
        counted = Q(enrolled_on__lte=day) & (Q(erased_on__isnull=True) | Q(erased_on__gt=day))
        if len(asked) == 1:  # one day: a filter of the scan, not of each count
            stats, counted = stats.filter(counted), Q()
        active, needs = _seen_since(day - timedelta(days=at_risk_days), day, today=today)
        not_lapsed, more = _seen_since(day - timedelta(days=lapsed_days), day, today=today)
        aliases |= needs | more
        new = Q(enrolled_on__gte=since) if since else Q(pk__in=[])
        aggregates |= {
            f"members_{index}": Count("pk", filter=counted),
            f"active_{index}": Count("pk", filter=counted & active),
            f"not_lapsed_{index}": Count("pk", filter=counted & not_lapsed),
            f"new_active_{index}": Count("pk", filter=counted & active & new),
        }
    counts = stats.alias(**aliases).aggregate(**aggregates)
    return [
        StatusCounts(
            members=counts[f"members_{index}"],
            active=counts[f"active_{index}"],
            at_risk=counts[f"not_lapsed_{index}"] - counts[f"active_{index}"],
            lapsed=counts[f"members_{index}"] - counts[f"not_lapsed_{index}"],
            new_active=counts[f"new_active_{index}"],
        )
        for index in range(len(asked))
    ]


def members_with_status(
    *,
    merchant: Merchant,
    status: str,
    at_risk_days: int,
    lapsed_days: int,
    location: Location | None = None,
    today: date | None = None,
) -> QuerySet[Member]:
    """The members counted in `status` today: the list one click away from the number,
    and a segment a campaign can use."""
    today = today or merchant_today(merchant=merchant)
    active_since = today - timedelta(days=at_risk_days)
    lapsed_before = today - timedelta(days=lapsed_days)
    condition = {
        Status.ACTIVE: Q(last_seen_on__gte=active_since),
        Status.AT_RISK: Q(last_seen_on__lt=active_since, last_seen_on__gte=lapsed_before),
        Status.LAPSED: Q(last_seen_on__lt=lapsed_before),
    }[status]
    stats = current_member_stats(merchant=merchant, day=today, location=location).filter(condition)
    return Member.objects.for_merchant(merchant).filter(pk__in=Subquery(stats.values("member_id")))


def members_turned_count(*, merchant: Merchant, status: str, days: int, today: date) -> int:
    """Members who turned `status` (at risk, or lapsed) in the last `days` days, today
    included, and are in it still. A member turns at risk on the day after `at_risk_days`
    full days without being seen (`last_seen_on + at_risk_days + 1`), so these were last
    seen in a range of `days` days: a range of the recency index
    (`analytics_member_recency`)."""
    settings = analytics_settings_for(merchant=merchant)
    threshold = {Status.AT_RISK: settings.at_risk_days, Status.LAPSED: settings.lapsed_days}[status]
    first = today - timedelta(days=threshold + days)
    last = today - timedelta(days=threshold + 1)
    if status == Status.AT_RISK:  # not lapsed since (thresholds less than `days` apart)
        first = max(first, today - timedelta(days=settings.lapsed_days))
    stats = current_member_stats(merchant=merchant, day=today)
    return stats.filter(last_seen_on__gte=first, last_seen_on__lte=last).count()


def members_behind(
    *, merchant: Merchant, status: str, period: Period, location: Location | None = None
) -> QuerySet[Member]:
    """The list one click away from a number: today's active, at-risk or lapsed members
    (at the merchant's thresholds), or "new": those who joined in the period."""
    if status == "new":
        return members_enrolled(merchant=merchant, period=period, location=location)
    settings = analytics_settings_for(merchant=merchant)
    return members_with_status(
        merchant=merchant,
        status=status,
        at_risk_days=settings.at_risk_days,
        lapsed_days=settings.lapsed_days,
        location=location,
    )


def members_enrolled(
    *, merchant: Merchant, period: Period, location: Location | None = None
) -> QuerySet[Member]:
    """The members who enrolled in the period (the "new" number's list)."""
    stats = MemberStats.objects.for_merchant(merchant).filter(
        merged=False, enrolled_on__gte=period.start, enrolled_on__lte=period.end
    )
    if location is not None:
        stats = stats.filter(location=location)
    return Member.objects.for_merchant(merchant).filter(pk__in=Subquery(stats.values("member_id")))


@dataclass(frozen=True)
class LifetimeTotals:
    members: int  # members who bought at least once
    days: int  # their days from first to last purchase, added up


def lifetime_totals(*, merchant: Merchant, location: Location | None = None) -> LifetimeTotals:
    stats = MemberStats.objects.for_merchant(merchant).filter(merged=False, purchases__gt=0)
    if location is not None:
        stats = stats.filter(location=location)
    totals = stats.aggregate(members=Count("pk"), days=Coalesce(Sum("lifetime_days"), 0))
    return LifetimeTotals(totals["members"], totals["days"])


# Enrollments and cohorts ---------------------------------------------------------------


def enrollment_rows(
    *, merchant: Merchant, period: Period, location: Location | None = None
) -> QuerySet[EnrollmentDay]:
    rows = EnrollmentDay.objects.for_merchant(merchant).filter(
        day__gte=period.start, day__lte=period.end
    )
    return rows.filter(location=location) if location is not None else rows


def new_members_count(
    *, merchant: Merchant, period: Period, location: Location | None = None
) -> int:
    total = enrollment_rows(merchant=merchant, period=period, location=location).aggregate(
        n=Sum("members")
    )["n"]
    return total or 0


def enrollments_by(
    *, merchant: Merchant, period: Period, field: str, location: Location | None = None
) -> dict:
    """New members of the period grouped by `field` (channel, location_id, enrolled_by_id)."""
    rows = (
        enrollment_rows(merchant=merchant, period=period, location=location)
        .order_by()
        .values(field)
        .annotate(members=Sum("members"))
    )
    return {row[field]: row["members"] for row in rows}


def cohort_sizes(
    *, merchant: Merchant, first: date, last: date, location: Location | None = None
) -> dict[date, int]:
    """Members enrolled in each month from `first`'s to `last`'s (first days)."""
    rows = (
        enrollment_rows(merchant=merchant, period=Period(first, last), location=location)
        .order_by()
        .annotate(cohort=TruncMonth("day"))
        .values("cohort")
        .annotate(members=Sum("members"))
    )
    return {row["cohort"]: row["members"] for row in rows}


def cohort_activity(
    *, merchant: Merchant, cohorts: list[date], location: Location | None = None
) -> dict[tuple[date, date], int]:
    """(cohort, month) → members of the cohort who bought in the month."""
    rows = CohortActivity.objects.for_merchant(merchant).filter(cohort__in=cohorts)
    if location is not None:
        rows = rows.filter(location=location)
    return {
        (row["cohort"], row["month"]): row["members"]
        for row in rows.order_by().values("cohort", "month").annotate(members=Sum("members"))
    }


def marketing_spend_by_month(*, merchant: Merchant, months: list[date]) -> list[MarketingSpend]:
    """The amounts entered for these months, latest first (the settings page's list)."""
    return list(
        MarketingSpend.objects.for_merchant(merchant).filter(month__in=months).order_by("-month")
    )


def marketing_spend_total(*, merchant: Merchant, months: list[date]) -> int | None:
    """What was spent in these months; None when none of them has an amount entered
    (unknown, which is not the same as nothing)."""
    spend = MarketingSpend.objects.for_merchant(merchant).filter(month__in=months)
    return spend.aggregate(amount=Sum("amount"))["amount"]


# Names ---------------------------------------------------------------------------------


def location_names(*, merchant: Merchant, ids: list[int]) -> dict[int, str]:
    return dict(
        Location.objects.for_merchant(merchant).filter(pk__in=ids).values_list("pk", "name")
    )


def staff_names(*, ids: list[int]) -> dict[int, str]:
    """The people who enrolled members, by user id: full name, else email."""
    return {
        user.pk: user.get_full_name() or user.email
        for user in get_user_model().objects.filter(pk__in=ids)
    }
