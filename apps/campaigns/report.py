"""What a campaign did: its treatment and holdout groups' purchases over the attribution
window, and the lift between them (lift.py holds the statistics).

Both groups are measured from the moment the campaign started sending, for
`ATTRIBUTION_DAYS`: the treatment group is every member the campaign meant to reach and
did not hold out, whether or not their message went (intention to treat: a member the
frequency cap skipped stays in it), so the comparison is between two random halves of
the same audience. Revenue is the purchases' amounts less what was refunded of them.
Opens are not counted: privacy proxies fetch images for the reader.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import F, Sum
from django.db.models.functions import Coalesce, Least

from apps.analytics.selectors import point_value_per_thousand
from apps.campaigns.lift import Group, LiftReport, lift_report
from apps.campaigns.models import Campaign, OfferGrant, OfferKind
from apps.core.money import Rounding, divide
from apps.messaging.models import Delivery, State
from apps.programs.coupons.models import CouponStatus
from apps.programs.models import Purchase

ATTRIBUTION_DAYS = 7


def _group(campaign: Campaign, deliveries) -> Group:
    members = deliveries.count()
    if not campaign.started_at or not members:
        return Group(members=members, buyers=0, revenue=0, revenue_squares=0)
    start = campaign.started_at
    per_member = (
        Purchase.objects.for_merchant(campaign.merchant)
        .filter(
            member_id__in=deliveries.values("member_id"),
            occurred_at__gte=start,
            occurred_at__lt=start + timedelta(days=ATTRIBUTION_DAYS),
        )
        .values("member_id")
        .annotate(total=Sum(F("amount") - F("refunded_amount")))
        .values_list("total", flat=True)
    )
    buyers = revenue = squares = 0
    for total in per_member.iterator(chunk_size=5000):
        buyers += 1
        revenue += total
        squares += total * total
    return Group(members=members, buyers=buyers, revenue=revenue, revenue_squares=squares)


def offer_cost(*, campaign: Campaign) -> int:
    return grants_cost(
        merchant=campaign.merchant, grants=OfferGrant.objects.filter(campaign=campaign)
    )


def grants_cost(*, merchant, grants) -> int:
    """What the offers of `grants` (a campaign's, an automation's) that were redeemed
    cost, in minor units: the coupons' discounts, and the bonus points at the merchant's
    value of a point. (A multiplier's extra points are in the points liability, not
    counted here.)"""
    coupons = grants.filter(kind=OfferKind.COUPON, coupon__status=CouponStatus.REDEEMED)
    discounts = coupons.aggregate(
        total=Coalesce(
            Sum(
                Coalesce(
                    F("coupon__redeemed_discount"),
                    F("coupon__redeemed_purchase__discount"),
                    Least(F("coupon__value"), F("coupon__redeemed_amount")),
                )
            ),
            0,
        )
    )["total"]
    points = grants.filter(kind=OfferKind.BONUS_POINTS).aggregate(total=Coalesce(Sum("points"), 0))[
        "total"
    ]
    per_thousand = point_value_per_thousand(merchant=merchant)
    return discounts + divide(points * per_thousand, 1000, rounding=Rounding.HALF_UP)


def campaign_report(*, campaign: Campaign) -> LiftReport:
    rows = Delivery.objects.filter(source=campaign.source)
    return lift_report(
        treatment=_group(campaign, rows.exclude(state=State.HOLDOUT)),
        holdout=_group(campaign, rows.filter(state=State.HOLDOUT)),
        offer_cost=offer_cost(campaign=campaign),
    )
