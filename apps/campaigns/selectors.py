"""Reads of segments: their members, counted and sampled, and the saved segments."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from apps.analytics.periods import merchant_zone
from apps.analytics.selectors import analytics_settings_for, merchant_today
from apps.campaigns.models import Segment
from apps.campaigns.rules import rules_check, rules_compile
from apps.campaigns.segment_fields import Scope
from apps.core.models import Merchant
from apps.members.models import Member

SAMPLE_SIZE = 20


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


def segment_count(*, merchant: Merchant, rules) -> int:
    return segment_members(merchant=merchant, rules=rules).count()


def segment_sample(*, merchant: Merchant, rules, size: int = SAMPLE_SIZE) -> list[Member]:
    """A few of the segment's members, the most recently active first."""
    members = segment_members(merchant=merchant, rules=rules)
    return list(members.order_by("-last_activity_at", "-pk")[:size])


def segments_of(*, merchant: Merchant) -> QuerySet[Segment]:
    return Segment.objects.for_merchant(merchant)


def segment_get(*, merchant: Merchant, segment_id: int) -> Segment | None:
    return segments_of(merchant=merchant).filter(pk=segment_id).first()
