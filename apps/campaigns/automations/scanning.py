"""The date kinds' daily look at the members: for each day after the last one looked at
(`scanned_through`) whose moment has come (the start of the merchant's day, or its send
hour), one `AutomationOccurrence` per member whose moment it is. A day is looked at once;
a missed day is caught up by the next run; running twice the same day looks at nothing."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta

from apps.analytics.models import MemberStats
from apps.analytics.periods import day_start, local_day, merchant_zone
from apps.analytics.selectors import analytics_settings_for
from apps.campaigns.automations.kinds import moment_number
from apps.campaigns.models import Automation, AutomationKind, AutomationOccurrence
from apps.members.selectors import members_with_birthday_on
from apps.programs.tiers.models import MemberTier
from apps.programs.tiers.selectors import qualifying_totals, tier_settings

INSERT_BATCH = 2000


def days_to_scan(automation: Automation, *, now: datetime) -> list[date]:
    """The days after `scanned_through` whose moment has come, oldest first."""
    zone = merchant_zone(automation.merchant.timezone)
    today = local_day(now, zone)
    day = automation.scanned_through + timedelta(days=1)
    days = []
    while day <= today and moment_of(automation, day) <= now:
        days.append(day)
        day += timedelta(days=1)
    return days


def moment_of(automation: Automation, day: date) -> datetime:
    """When `day`'s occurrences are due: the start of the merchant's day, or its send hour."""
    start = day_start(day, merchant_zone(automation.merchant.timezone))
    return start + timedelta(hours=automation.send_hour or 0)


def scan_day(automation: Automation, day: date, *, now: datetime) -> None:
    """Write the occurrences of `day` (once: the occurrence is unique per member), noticed
    `now`."""
    due_at = moment_of(automation, day)
    rows = []
    for member_id, occurrence in _moments(automation, day):
        rows.append(
            AutomationOccurrence(
                merchant_id=automation.merchant_id,
                automation=automation,
                member_id=member_id,
                occurrence=occurrence,
                due_at=due_at,
                created_at=now,
            )
        )
        if len(rows) >= INSERT_BATCH:
            AutomationOccurrence.objects.bulk_create(rows, ignore_conflicts=True)
            rows = []
    AutomationOccurrence.objects.bulk_create(rows, ignore_conflicts=True)


def _moments(automation: Automation, day: date) -> Iterable[tuple[int, str]]:
    if automation.kind == AutomationKind.BIRTHDAY:
        return _birthdays(automation, day)
    if automation.kind == AutomationKind.WIN_BACK:
        return _turned(automation, day)
    if automation.kind == AutomationKind.TIER_AT_RISK:
        return _tiers_at_risk(automation, day)
    raise ValueError(automation.kind)


def _tiers_at_risk(automation: Automation, day: date) -> Iterator[tuple[int, str]]:
    """Members whose tier is reviewed the automation's number of days after `day`, and
    whose qualifying total so far is short of their tier's threshold: they would drop."""
    merchant = automation.merchant
    zone = merchant_zone(merchant.timezone)
    days_before = moment_number(kind=automation.kind, number=automation.moment_number)
    review_day = day + timedelta(days=days_before)
    start, end = day_start(review_day, zone), day_start(review_day + timedelta(days=1), zone)
    held = (
        MemberTier.objects.for_merchant(merchant)
        .filter(tier__isnull=False, review_at__gte=start, review_at__lt=end)
        .filter(member__erased_at__isnull=True, member__merged_into__isnull=True)
        .values_list("member_id", "tier__threshold")
    )
    thresholds = dict(held)
    totals = qualifying_totals(
        merchant=merchant,
        member_ids=thresholds,
        end=end,
        settings=tier_settings(merchant=merchant),
    )
    for member_id, threshold in thresholds.items():
        if totals.get(member_id, 0) < threshold:
            yield member_id, f"risk:{review_day.isoformat()}"


def _birthdays(automation: Automation, day: date) -> Iterator[tuple[int, str]]:
    """Once a year: the occurrence is the year (a 29 February birthday on 28 February of
    the other years)."""
    members = members_with_birthday_on(merchant=automation.merchant, day=day)
    for member_id in members.values_list("pk", flat=True).iterator(chunk_size=INSERT_BATCH):
        yield member_id, str(day.year)


def win_back_stages(automation: Automation) -> dict[str, int]:
    """Each stage and the days without a visit after which a member enters it on a day:
    analytics' definitions (at risk after `at_risk_days`, lapsed after `lapsed_days`)."""
    terms = analytics_settings_for(merchant=automation.merchant)
    return {"at_risk": terms.at_risk_days, "lapsed": terms.lapsed_days}


def _turned(automation: Automation, day: date) -> Iterator[tuple[int, str]]:
    """Members who turn at risk (or lapsed) on `day`: their last visit was that many days
    and one before. The occurrence names the stage and the last visit, so a member who
    comes back and drifts away again is a new occurrence."""
    stats = MemberStats.objects.for_merchant(automation.merchant).filter(
        merged=False, erased_on__isnull=True
    )
    for stage, days in win_back_stages(automation).items():
        last_seen = day - timedelta(days=days + 1)
        members = stats.filter(last_seen_on=last_seen).values_list("member_id", flat=True)
        for member_id in members.iterator(chunk_size=INSERT_BATCH):
            yield member_id, f"{stage}:{last_seen.isoformat()}"
