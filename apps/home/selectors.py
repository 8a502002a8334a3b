"""The home page's figures: this week (the last 7 of the merchant's days, today included)
against the 7 before. Each is read from a rollup or an index, never from the purchases,
so the card costs the same for a café and for a chain with a million members:

* members enrolled: `EnrollmentDay` rows of the 14 days (`analytics_enroll_by_day`);
* revenue and points: `DailyRollup` rows of the 14 days (`analytics_daily_by_day`);
* returning members: the `MemberStats` rows of members who bought in those 14 days, a
  range of `analytics_member_last_buy`, read for the bits of their days;
* campaigns: the merchant's campaigns started this week, and their deliveries by the
  `(source, state, id)` index;
* automations: each one that is on, with its messages sent in the fortnight (its delivery
  rows, one aggregate).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q

from apps.analytics.periods import Period, merchant_zone
from apps.analytics.program_kpis import points_issued_and_redeemed
from apps.analytics.selectors import daily_totals, new_members_count, returning_buyers_count
from apps.campaigns.automations.selectors import automations_enabled
from apps.campaigns.campaign_selectors import SENT_STATES, campaigns_sent_counts
from apps.campaigns.models import Automation, Campaign
from apps.campaigns.selectors import campaigns_of
from apps.core.models import Merchant
from apps.messaging.models import Delivery

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
class AutomationWeek:
    automation: Automation
    sent: Pair  # its messages that went, this week and the week before


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
    automations: list[AutomationWeek]  # those on, in the order of their kinds


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
        automations=_automations_week(merchant, week, previous),
    )


def _automations_week(merchant: Merchant, week: Period, previous: Period) -> list[AutomationWeek]:
    """The messages each automation that is on sent in the two weeks: one aggregate over
    their delivery rows of the fortnight."""
    automations = sorted(automations_enabled(merchant=merchant), key=lambda a: a.kind)
    if not automations:
        return []
    zone = merchant_zone(merchant.timezone)
    (week_start, week_end), (previous_start, _end) = week.bounds(zone), previous.bounds(zone)
    rows = (
        Delivery.objects.for_merchant(merchant)
        .filter(source__in=[automation.source for automation in automations])
        .filter(state__in=SENT_STATES, created_at__gte=previous_start, created_at__lt=week_end)
        .values("source")
        .annotate(
            current=Count("pk", filter=Q(created_at__gte=week_start)),
            before=Count("pk", filter=Q(created_at__lt=week_start)),
        )
    )
    sent = {row["source"]: Pair(row["current"], row["before"]) for row in rows}
    return [
        AutomationWeek(automation, sent.get(automation.source, Pair(0, 0)))
        for automation in automations
    ]
