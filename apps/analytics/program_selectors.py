"""Reads for the program KPIs (program_kpis.py): coupons, referrals and tiers, read from
their own tables."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Case, Count, IntegerField, Q, Sum, Value, When
from django.db.models.functions import Coalesce, Least

from apps.analytics.periods import Period, merchant_zone
from apps.core.models import Location, Merchant
from apps.programs.coupons.models import Coupon, CouponStatus
from apps.programs.referrals.models import Referral, ReferralStatus
from apps.programs.tiers.models import MemberTier, Tier, TierChange

# Small tables read as they are ----------------------------------------------------------
# Coupons change by UPDATE (redeemed, voided, restored) with no feed to follow; tier moves
# and referrals are few. A grouped query over them costs less than keeping them in step.


def coupon_totals(*, merchant: Merchant, period: Period, now: datetime) -> dict[str, int]:
    """Coupons issued and redeemed in the period (count, value; a redemption is worth
    what it took off the basket) and live at `now` (count, value). A percent coupon has no
    value until it is used on a basket: it counts among the coupons issued and live, adds
    nothing to their value, and live ones are also counted apart (`outstanding_percent`)."""
    start, end = period.bounds(merchant_zone(merchant.timezone))
    coupons = Coupon.objects.for_merchant(merchant).order_by()
    issued = coupons.filter(issued_at__gte=start, issued_at__lt=end).aggregate(
        count=Count("pk"), value=Coalesce(Sum("value"), 0)
    )
    redeemed = coupons.filter(
        status=CouponStatus.REDEEMED, redeemed_at__gte=start, redeemed_at__lt=end
    ).aggregate(
        count=Count("pk"),
        # What each took off, kept by `coupon_redeem`; a row marked used by other means
        # has none, and counts as a coupon of a fixed value did: its value, at most the basket.
        value=Coalesce(Sum(Coalesce("redeemed_discount", Least("value", "redeemed_amount"))), 0),
    )
    live = coupons.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now), status=CouponStatus.ISSUED
    ).aggregate(
        count=Count("pk"),
        value=Coalesce(Sum("value"), 0),
        percent=Count("pk", filter=Q(percent__gt=0)),
    )
    return {
        "issued": issued["count"],
        "issued_value": issued["value"],
        "redeemed": redeemed["count"],
        "redeemed_value": redeemed["value"],
        "outstanding": live["count"],
        "outstanding_value": live["value"],
        "outstanding_percent": live["percent"],
    }


def referral_totals(*, merchant: Merchant, period: Period) -> dict[str, int]:
    """Referrals whose code was used in the period, and where each stands now."""
    start, end = period.bounds(merchant_zone(merchant.timezone))
    referrals = Referral.objects.for_merchant(merchant).filter(
        created_at__gte=start, created_at__lt=end
    )
    return referrals.aggregate(
        codes_used=Count("pk"),
        converted=Count("pk", filter=Q(converted_at__isnull=False)),
        **{
            status: Count("pk", filter=Q(status=status))
            for status in (
                ReferralStatus.PENDING,
                ReferralStatus.REWARDED,
                ReferralStatus.REVERSED,
                ReferralStatus.EXPIRED,
                ReferralStatus.REJECTED,
            )
        },
    )


def tiers_by_threshold(*, merchant: Merchant) -> list[Tier]:
    """Every tier, active or not, lowest threshold first."""
    return list(Tier.objects.for_merchant(merchant).order_by("threshold", "pk"))


def tier_counts_now(*, merchant: Merchant, location: Location | None = None) -> dict[int, int]:
    """Members per tier id now (records merged into another have none)."""
    rows = MemberTier.objects.for_merchant(merchant).filter(tier__isnull=False)
    if location is not None:
        rows = rows.filter(member__location=location)
    return dict(rows.order_by().values_list("tier_id").annotate(members=Count("pk")))


def tier_moves_since(
    *, merchant: Merchant, boundaries: list[datetime], location: Location | None = None
) -> dict[int, list[tuple[int | None, int | None, int]]]:
    """The tier moves made after `boundaries[0]` (instants, oldest first), counted by the
    last boundary each was made at or after: {index: [(from tier id, to tier id, moves)]}.
    Grouped in the database: a re-evaluation moves many members at once."""
    changes = TierChange.objects.for_merchant(merchant).filter(occurred_at__gt=boundaries[0])
    if location is not None:
        changes = changes.filter(member__location=location)
    bucket = Case(
        *[
            When(occurred_at__gte=moment, then=Value(index))
            for index, moment in reversed(list(enumerate(boundaries)))
        ],
        default=Value(0),
        output_field=IntegerField(),
    )
    moves: dict[int, list[tuple[int | None, int | None, int]]] = {}
    rows = (
        changes.order_by()
        .annotate(bucket=bucket)
        .values_list("bucket", "from_tier", "to_tier")
        .annotate(moves=Count("pk"))
    )
    for index, from_tier, to_tier, count in rows:
        moves.setdefault(index, []).append((from_tier, to_tier, count))
    return moves
