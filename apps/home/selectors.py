"""The home page's figures: this week (the last 7 of the merchant's days, today included)
against the 7 before. Each is read from a rollup or an index, never from the purchases,
so the card costs the same for a café and for a chain with a million members:

* members enrolled: `EnrollmentDay` rows of the 14 days (`analytics_enroll_by_day`);
* revenue and points: `DailyRollup` rows of the 14 days (`analytics_daily_by_day`);
* returning members: the `MemberStats` rows of members who bought in those 14 days, a
  range of `analytics_member_last_buy`, read for the bits of their days;
* campaigns: the merchant's campaigns started this week, and their deliveries by the
  `(source, state, id)` index.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from apps.analytics.periods import Period, merchant_zone
from apps.analytics.program_kpis import points_issued_and_redeemed
from apps.analytics.selectors import daily_totals, new_members_count, returning_buyers_count
from apps.campaigns.campaign_selectors import campaigns_sent_counts
from apps.campaigns.models import Campaign
from apps.campaigns.selectors import campaigns_of
from apps.core.models import Merchant

WEEK_DAYS = 7
CAMPAIGNS_SHOWN = 10


@dataclass(frozen=True)
class Pair:
    """A figure this week and the week before."""

    current: int
    previous: int

    @property
    def difference(self) -> int:
        return self.current - self.previous


@dataclass(frozen=True)
class CampaignStarted:
    campaign: Campaign
    sent: int
    targeted: int


@dataclass(frozen=True)
class WeekFigures:
    week: Period
    previous: Period
    enrolled: Pair
    returning: Pair  # bought in the week, and had bought before it
    revenue: Pair  # minor units: the purchases' amounts, as the analytics revenue card
    points_issued: Pair
    points_redeemed: Pair
    campaigns: list[CampaignStarted]  # started this week, latest first


def week_figures(*, merchant: Merchant, today: date) -> WeekFigures:
    week = Period.last_days(WEEK_DAYS, today=today)
    previous = week.previous()
    totals = [daily_totals(merchant=merchant, period=period) for period in (week, previous)]
    points = [points_issued_and_redeemed(each) for each in totals]
    returning = returning_buyers_count(merchant=merchant, periods=[week, previous])
    start, _end = week.bounds(merchant_zone(merchant.timezone))
    started = list(
        campaigns_of(merchant=merchant)
        .filter(started_at__gte=start)
        .order_by("-started_at", "-pk")[:CAMPAIGNS_SHOWN]
    )
    counts = campaigns_sent_counts(campaigns=started)
    return WeekFigures(
        week=week,
        previous=previous,
        enrolled=Pair(
            new_members_count(merchant=merchant, period=week),
            new_members_count(merchant=merchant, period=previous),
        ),
        returning=Pair(*returning),
        revenue=Pair(totals[0]["revenue"], totals[1]["revenue"]),
        points_issued=Pair(points[0][0], points[1][0]),
        points_redeemed=Pair(points[0][1], points[1][1]),
        campaigns=[CampaignStarted(campaign, *counts[campaign.pk]) for campaign in started],
    )
