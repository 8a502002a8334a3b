"""The home page's "act now" card: what a manager could do this week, each one click from
its segment or report, each shown only when it holds. Every read is a range of an index:

* members who turned at risk in the last 7 days: `analytics_member_recency`;
* points expiring in the next 7 days, and their holders: `programs_lot_expiring`;
* the last campaign's lift, when inconclusive: the latest sent campaign whose attribution
  window has closed, its report (the purchases of its audience in that window) cached an
  hour, since the page is opened often and the report barely moves once the window is shut;
* the birthday automation, when it is off; and which of the win-back and points-expiring
  automations are on, so that their lines lead to the automation while it is off (switch
  it on) and to the segment once it is (a campaign on top).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache

from apps.analytics.selectors import Status, members_turned_count, merchant_today
from apps.campaigns.automations.selectors import automations_enabled
from apps.campaigns.lift import more_members_needed
from apps.campaigns.models import AutomationKind, Campaign, CampaignStatus
from apps.campaigns.ready_made import TURNED_WITHIN_DAYS
from apps.campaigns.report import ATTRIBUTION_DAYS, campaign_report
from apps.campaigns.selectors import campaigns_of
from apps.core.models import Merchant
from apps.programs.points.selectors import points_expiring_totals

EXPIRING_WITHIN_DAYS = 7
LIFT_CACHE_SECONDS = 3600


@dataclass(frozen=True)
class InconclusiveLift:
    campaign: Campaign
    more_members: int  # a next test split the same way needs this many more members


@dataclass(frozen=True)
class ActNow:
    turned_at_risk: int
    expiring_points: int
    expiring_members: int
    lift: InconclusiveLift | None
    automations_on: frozenset[str]

    @property
    def birthday_off(self) -> bool:
        return AutomationKind.BIRTHDAY not in self.automations_on

    @property
    def win_back_on(self) -> bool:
        return AutomationKind.WIN_BACK in self.automations_on

    @property
    def expiring_on(self) -> bool:
        return AutomationKind.POINTS_EXPIRING in self.automations_on

    def __bool__(self) -> bool:
        return bool(self.turned_at_risk or self.expiring_points or self.lift or self.birthday_off)


def _more_members_needed(campaign: Campaign) -> int:
    """0 when the report asks for nothing more: conclusive, no holdout to compare with, or
    rates so alike that no size would tell them apart."""
    key = f"home:lift:{campaign.pk}"
    found = cache.get(key)
    if found is None:
        report = campaign_report(campaign=campaign)
        lift, found = report.lift, 0
        if lift is not None and not lift.conclusive and lift.needed_per_group is not None:
            found = more_members_needed(
                needed_per_group=lift.needed_per_group,
                treatment=report.treatment.members,
                holdout=report.holdout.members,
            )
        cache.set(key, found, LIFT_CACHE_SECONDS)
    return found


def last_campaign_lift(*, merchant: Merchant, now: datetime) -> InconclusiveLift | None:
    """The latest sent campaign whose attribution window has closed, when its lift is
    inconclusive for want of members."""
    campaign = (
        campaigns_of(merchant=merchant)
        .filter(
            status=CampaignStatus.SENT,
            started_at__lt=now - timedelta(days=ATTRIBUTION_DAYS),
        )
        .order_by("-started_at", "-pk")
        .first()
    )
    if campaign is None or not campaign.holdout_percent:  # nothing held out, no lift
        return None
    more = _more_members_needed(campaign)
    return InconclusiveLift(campaign, more) if more else None


def act_now(*, merchant: Merchant, now: datetime) -> ActNow:
    today = merchant_today(merchant=merchant, now=now)
    points, members = points_expiring_totals(
        merchant=merchant, now=now, within_days=EXPIRING_WITHIN_DAYS
    )
    return ActNow(
        turned_at_risk=members_turned_count(
            merchant=merchant, status=Status.AT_RISK, days=TURNED_WITHIN_DAYS, today=today
        ),
        expiring_points=points,
        expiring_members=members,
        lift=last_campaign_lift(merchant=merchant, now=now),
        automations_on=frozenset(
            automations_enabled(merchant=merchant).values_list("kind", flat=True)
        ),
    )
