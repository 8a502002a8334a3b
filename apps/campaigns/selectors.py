"""Reads of segments: their members, counted and sampled, and the saved segments."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Count, F, QuerySet
from django.utils import timezone

from apps.analytics.periods import merchant_zone
from apps.analytics.selectors import analytics_settings_for, merchant_today
from apps.campaigns.models import Campaign, CampaignSettings, Segment
from apps.campaigns.rules import rules_check, rules_compile
from apps.campaigns.segment_terms import Scope
from apps.core.models import Merchant
from apps.members.models import Member
from apps.messaging.models import Delivery, Purpose, State

SAMPLE_SIZE = 20
SAMPLE_FROM_RECENT = 5000  # the members a sample is looked for among first


def segment_scope(*, merchant: Merchant) -> Scope:
    now = timezone.now()
    thresholds = analytics_settings_for(merchant=merchant)
    return Scope(
        merchant=merchant,
        today=merchant_today(merchant=merchant, now=now),
        now=now,
        zone=merchant_zone(merchant.timezone),
        at_risk_days=thresholds.at_risk_days,
        lapsed_days=thresholds.lapsed_days,
    )


def segment_members(*, merchant: Merchant, rules) -> QuerySet[Member]:
    """The merchant's members (still members: not erased, not merged) the rules select,
    today. `RulesInvalid` for rules that cannot be used."""
    tree = rules_check(rules=rules, merchant=merchant)
    compiled = rules_compile(tree, scope=segment_scope(merchant=merchant))
    members = Member.objects.for_merchant(merchant).active()
    return members.alias(**compiled.aliases).filter(compiled.q)


@contextmanager
def _without_jit() -> Iterator[None]:
    """The statements inside planned without PostgreSQL's JIT compilation. A segment's
    query under `any` or `not` is costed as if its subqueries ran once per member (the
    hashed form is chosen later), far above the JIT's thresholds: compiling took 100 to
    270 ms of counts that run in 300 to 600 ms (bench/segments.py). SET LOCAL: it ends
    with the transaction, the caller's if there is one."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        yield


def segment_count(*, merchant: Merchant, rules) -> int:
    members = segment_members(merchant=merchant, rules=rules)
    with _without_jit():
        return members.count()


def segment_sample(*, merchant: Merchant, rules, size: int = SAMPLE_SIZE) -> list[Member]:
    """A few of the segment's members, the most recently active first."""
    members = segment_members(merchant=merchant, rules=rules)
    # Among the merchant's most recently active members first: enough of them for most
    # segments, read from the index on the last activity.
    recent = (
        Member.objects.for_merchant(merchant)
        .active()
        .order_by("-last_activity_at", "-pk")
        .values("pk")[:SAMPLE_FROM_RECENT]
    )
    with _without_jit():
        found = list(members.filter(pk__in=recent).order_by("-last_activity_at", "-pk")[:size])
        if len(found) == size:
            return found
        # A segment of the less active: the segment's members as for a count, then the most
        # recent of them. NULLS LAST (the column has no NULL) does not match the index on the
        # last activity: PostgreSQL would otherwise walk the members by activity, testing
        # each against the rules, through most of a million members (4 s in bench/segments.py).
        latest = F("last_activity_at").desc(nulls_last=True)
        return list(members.order_by(latest, "-pk")[:size])


def segments_of(*, merchant: Merchant) -> QuerySet[Segment]:
    return Segment.objects.for_merchant(merchant)


def segment_get(*, merchant: Merchant, segment_id: int) -> Segment | None:
    return segments_of(merchant=merchant).filter(pk=segment_id).first()


# Campaigns -------------------------------------------------------------------------------


def campaign_settings_for(*, merchant: Merchant) -> CampaignSettings:
    """The merchant's caps and rate, or the defaults (an unsaved row): reading writes
    nothing."""
    found = CampaignSettings.objects.for_merchant(merchant).first()
    return found if found is not None else CampaignSettings(merchant=merchant)


def campaigns_of(*, merchant: Merchant) -> QuerySet[Campaign]:
    return Campaign.objects.for_merchant(merchant).select_related("segment")


def campaign_get(*, merchant: Merchant, campaign_id: int) -> Campaign | None:
    return campaigns_of(merchant=merchant).filter(pk=campaign_id).first()


# A delivery's state, as the campaign's counts tell it.
_COUNTED_AS = {
    State.QUEUED: "queued",
    State.CLAIMED: "queued",
    State.SENDING: "queued",
    State.SENT: "sent",
    State.BOUNCED: "sent",
    State.COMPLAINED: "sent",
    State.UNKNOWN: "sent",  # handed to the provider, no answer: it may well have gone
    State.FAILED: "failed",
    State.SKIPPED: "skipped",
    State.SUPPRESSED: "skipped",
    State.HOLDOUT: "holdout",
}


def campaign_counts(*, campaign: Campaign) -> dict[str, int]:
    """`targeted` (the members it may reach, held out included) = holdout + queued + sent +
    failed + skipped; `suppressed`: segment members left out for a suppressed address."""
    counts = dict.fromkeys(("targeted", "holdout", "queued", "sent", "failed", "skipped"), 0)
    rows = (
        Delivery.objects.filter(source=campaign.source)
        .values("state")
        .annotate(count=Count("pk"))
        .values_list("state", "count")
    )
    for state, count in rows:
        counts[_COUNTED_AS[state]] += count
        counts["targeted"] += count
    counts["suppressed"] = campaign.left_out_suppressed
    counts["skipped_by_cap"] = Delivery.objects.filter(
        source=campaign.source, state=State.SKIPPED, reason="frequency_cap"
    ).count()
    return counts


# Deliveries that left (or may have: `unknown`), as the 20/80 mix counts them.
_WENT = (State.SENT, State.BOUNCED, State.COMPLAINED, State.UNKNOWN)


def campaign_message_mix(
    *, merchant: Merchant, days: int = 90, now: datetime | None = None
) -> dict[str, int]:
    """The merchant's campaign messages sent in the last `days`, by purpose: `marketing`
    (promotional campaigns) and `service` (informational ones)."""
    since = (now or timezone.now()) - timedelta(days=days)
    rows = (
        Delivery.objects.for_merchant(merchant)
        .filter(source__startswith="campaign:", state__in=_WENT, sent_at__gte=since)
        .filter(purpose__in=(Purpose.MARKETING, Purpose.SERVICE))
        .values("purpose")
        .annotate(count=Count("pk"))
        .values_list("purpose", "count")
    )
    mix = {Purpose.MARKETING.value: 0, Purpose.SERVICE.value: 0}
    mix.update(rows)
    return mix
