"""Reads for referrals: a member's panel and the manager's results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from apps.core.models import Merchant
from apps.members.models import Member
from apps.programs.referrals.models import (
    Referral,
    ReferralCode,
    ReferralSettings,
    ReferralStatus,
    ReferrerState,
    RewardKind,
)


def referral_of(*, member: Member) -> Referral | None:
    """Who brought this member, if anyone (with the referrer)."""
    return Referral.objects.filter(referred=member).select_related("referrer").first()


def referrals_made(*, member: Member) -> QuerySet[Referral]:
    return Referral.objects.filter(referrer=member).select_related("referred")


@dataclass(frozen=True)
class ReferralResults:
    created: int  # codes used: referrals created in the range
    conversions: int  # first qualifying purchases in the range (reversed ones included)
    reversed: int  # of those conversions, undone since by a refund or a merge
    points_paid: int
    coupon_value_paid: int
    capped: int
    top_referrers: list[dict]


def referral_results(*, merchant: Merchant, start: datetime, end: datetime) -> ReferralResults:
    """What referrals brought between `start` (included) and `end` (excluded). Rewards
    count both sides of the conversions in the range that still stand."""
    referrals = Referral.objects.for_merchant(merchant)
    created = referrals.filter(created_at__gte=start, created_at__lt=end).count()
    converted = referrals.filter(converted_at__gte=start, converted_at__lt=end)
    standing = Q(status=ReferralStatus.REWARDED)
    referrer_paid = standing & Q(referrer_state=ReferrerState.PAID)
    totals = converted.aggregate(
        conversions=Count("pk"),
        reversed=Count("pk", filter=Q(status=ReferralStatus.REVERSED)),
        capped=Count("pk", filter=Q(referrer_state=ReferrerState.CAPPED)),
        referred_points=Coalesce(
            Sum("referred_points", filter=standing & Q(referred_reward=RewardKind.POINTS)), 0
        ),
        referrer_points=Coalesce(
            Sum("referrer_points", filter=referrer_paid & Q(referrer_reward=RewardKind.POINTS)),
            0,
        ),
        referred_coupons=Coalesce(
            Sum("referred_coupon_value", filter=standing & Q(referred_reward=RewardKind.COUPON)),
            0,
        ),
        referrer_coupons=Coalesce(
            Sum(
                "referrer_coupon_value",
                filter=referrer_paid & Q(referrer_reward=RewardKind.COUPON),
            ),
            0,
        ),
    )
    top = list(
        converted.filter(standing)
        .values("referrer__public_id", "referrer__first_name", "referrer__last_name")
        .annotate(conversions=Count("pk"))
        .order_by("-conversions", "referrer__first_name")[:10]
    )
    return ReferralResults(
        created=created,
        conversions=totals["conversions"],
        reversed=totals["reversed"],
        points_paid=totals["referred_points"] + totals["referrer_points"],
        coupon_value_paid=totals["referred_coupons"] + totals["referrer_coupons"],
        capped=totals["capped"],
        top_referrers=[
            {
                "public_id": row["referrer__public_id"],
                "name": f"{row['referrer__first_name']} {row['referrer__last_name']}".strip()
                or "—",
                "conversions": row["conversions"],
            }
            for row in top
        ],
    )


def referral_code_of(*, member: Member) -> ReferralCode | None:
    """The member's code if they have one (`services.referral_code_for` makes one)."""
    return ReferralCode.objects.filter(member=member).one_or_none()


def referral_settings_get(*, merchant: Merchant) -> ReferralSettings | None:
    return ReferralSettings.objects.for_merchant(merchant).one_or_none()
