"""The program KPIs of the analytics dashboard: points, cashback and coupons, tiers and
referrals. Same rules as kpis.py (a function of a merchant and a `Period`, a frozen
dataclass of plain values)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from apps.analytics import program_selectors, selectors
from apps.analytics.kpis import percent, period_end_day
from apps.analytics.periods import (
    Period,
    add_months,
    day_start,
    merchant_zone,
)
from apps.core.models import Location, Merchant
from apps.core.money import Rounding, divide

# Points, cashback, coupons, tiers, referrals ----------------------------------------------


@dataclass(frozen=True)
class PointsFigures:
    issued: int  # earned + bonuses + positive adjustments
    earned: int
    bonus: int
    redeemed: int  # spent on rewards, less the points voided redemptions gave back
    expired: int
    taken_back: int  # by refunds and negative adjustments
    outstanding: int  # held by members at the end of the period (every location)
    liability: int  # outstanding × the value of a point, minor units
    thousand_points_value: int  # minor units, the value used for the liability
    redemption_rate: Decimal | None
    breakage: Decimal | None


def points_issued_and_redeemed(totals: dict[str, int]) -> tuple[int, int]:
    """Points issued and redeemed by a period's `selectors.daily_totals`, as `kpi_points`
    defines them (for a figure that needs only these, without the balances)."""
    issued = totals["points_earned"] + totals["points_bonus"] + totals["points_adjusted_in"]
    return issued, totals["points_redeemed"] - totals["points_returned"]


def kpi_points(
    *, merchant: Merchant, period: Period, location: Location | None = None
) -> PointsFigures:
    """Points in the period, and what members hold at its end.

    * issued = earned by purchases + bonuses + positive adjustments;
    * redeemed = spent on rewards − returned by voided redemptions;
    * redemption rate = redeemed ÷ issued × 100;
    * breakage = expired ÷ (expired + redeemed) × 100: of the points that left members'
      balances by use or expiry, the share that expired unused;
    * outstanding = all points ever issued − redeemed − expired − taken back, at the end of
      the period; liability = outstanding × the value of 1,000 points ÷ 1,000 (the
      merchant's setting, else derived from its rewards), rounded half up.

    With a location, the period's flows are those of purchases at it (earned, taken back
    by refunds); bonuses, redemptions and expiry have no location. Outstanding points and
    the liability are always the whole business's: balances have no location.
    """
    totals = selectors.daily_totals(merchant=merchant, period=period, location=location)
    issued, redeemed = points_issued_and_redeemed(totals)
    expired = totals["points_expired"]
    outstanding = selectors.points_outstanding(
        merchant=merchant, day=period_end_day(merchant=merchant, period=period)
    )
    value = selectors.point_value_per_thousand(merchant=merchant)
    return PointsFigures(
        issued=issued,
        earned=totals["points_earned"],
        bonus=totals["points_bonus"],
        redeemed=redeemed,
        expired=expired,
        taken_back=totals["points_reversed"] + totals["points_adjusted_out"],
        outstanding=outstanding,
        liability=divide(outstanding * value, 1000, rounding=Rounding.HALF_UP),
        thousand_points_value=value,
        redemption_rate=percent(redeemed, issued),
        breakage=percent(expired, expired + redeemed),
    )


@dataclass(frozen=True)
class CashbackAndCoupons:
    cashback_earned: int  # accrued in wallets in the period (minor units)
    cashback_reversed: int  # taken back by refunds
    cashback_converted: int  # turned into coupons
    cashback_outstanding: int  # in wallets at the end of the period
    coupons_issued: int  # every source: cashback, rewards, referrals, by hand
    coupons_issued_value: int  # fixed-value coupons only: a percent coupon has no value yet
    coupons_redeemed: int
    coupons_redeemed_value: int  # what they took off baskets (percent coupons included)
    coupons_outstanding: int  # live now: issued, not used, not expired, not void
    coupons_outstanding_value: int  # the liability: fixed-value coupons only
    coupons_outstanding_percent: int  # live percent coupons, counted apart: no fixed value


def kpi_cashback_and_coupons(*, merchant: Merchant, period: Period) -> CashbackAndCoupons:
    """Cashback accrued, taken back and turned into coupons in the period and left in
    wallets at its end; coupons issued and redeemed in the period (a redemption is worth
    what it took off the basket: its value or its percent of the basket, at most the
    basket) and live now. A percent coupon's worth depends on the basket it will be used
    on: it is counted, never added to the value issued or outstanding."""
    totals = selectors.daily_totals(merchant=merchant, period=period)
    coupons = program_selectors.coupon_totals(merchant=merchant, period=period, now=timezone.now())
    return CashbackAndCoupons(
        cashback_earned=totals["cashback_earned"],
        cashback_reversed=totals["cashback_reversed"],
        cashback_converted=totals["cashback_converted"],
        cashback_outstanding=selectors.cashback_outstanding(
            merchant=merchant, day=period_end_day(merchant=merchant, period=period)
        ),
        coupons_issued=coupons["issued"],
        coupons_issued_value=coupons["issued_value"],
        coupons_redeemed=coupons["redeemed"],
        coupons_redeemed_value=coupons["redeemed_value"],
        coupons_outstanding=coupons["outstanding"],
        coupons_outstanding_value=coupons["outstanding_value"],
        coupons_outstanding_percent=coupons["outstanding_percent"],
    )


@dataclass(frozen=True)
class TierMembers:
    tiers: list[dict]  # {"id", "name", "members"} now, in threshold order
    history: list[dict]  # {"day", "members": {tier id: count}} at each month end


def kpi_members_per_tier(
    *, merchant: Merchant, period: Period, location: Location | None = None
) -> TierMembers:
    """Members in each tier now, and at the end of each month of the period.

    The past is today's counts with the tier moves made since taken back one by one
    (TierChange). Merging two records moves the duplicate's history to the survivor and
    empties the duplicate's tier without a move, so months before a merge may count one
    member too few in the duplicate's tier.
    """
    now = program_selectors.tier_counts_now(merchant=merchant, location=location)
    zone = merchant_zone(merchant.timezone)
    today = selectors.merchant_today(merchant=merchant)
    ends = sorted(
        {min(add_months(month, 1) - timedelta(days=1), today) for month in period.months()}
    )
    history, counts = [], dict(now)
    boundaries = [day_start(end + timedelta(days=1), zone) for end in ends]
    moves = program_selectors.tier_moves_since(
        merchant=merchant, boundaries=boundaries, location=location
    )
    for index in reversed(range(len(ends))):
        # Undo the moves made after each month's end, newest first.
        for from_tier, to_tier, count in moves.get(index, ()):
            if to_tier is not None:
                counts[to_tier] = counts.get(to_tier, 0) - count
            if from_tier is not None:
                counts[from_tier] = counts.get(from_tier, 0) + count
        history.append({"day": ends[index], "members": {k: v for k, v in counts.items() if v}})
    tiers = program_selectors.tiers_by_threshold(merchant=merchant)
    return TierMembers(
        tiers=[
            {"id": tier.pk, "name": tier.name, "members": now.get(tier.pk, 0)}
            for tier in tiers
            if tier.is_active or now.get(tier.pk)
        ],
        history=list(reversed(history)),
    )


@dataclass(frozen=True)
class ReferralFunnel:
    codes_used: int  # members who enrolled with a referral code in the period
    converted: int  # of those, reached a qualifying first purchase (even if undone since)
    rewarded: int  # of those, still rewarded now
    reversed: int  # undone since by a refund or a merge
    pending: int  # still within their window
    expired: int  # window passed without a qualifying purchase
    rejected: int
    conversion_rate: Decimal | None  # converted ÷ codes used × 100


def kpi_referral_funnel(*, merchant: Merchant, period: Period) -> ReferralFunnel:
    """Referral funnel for the codes used in the period: codes used → converted (first
    qualifying purchase) → still rewarded; with those reversed, pending, expired and
    rejected. Conversion rate = converted ÷ codes used × 100."""
    totals = program_selectors.referral_totals(merchant=merchant, period=period)
    return ReferralFunnel(
        codes_used=totals["codes_used"],
        converted=totals["converted"],
        rewarded=totals["rewarded"],
        reversed=totals["reversed"],
        pending=totals["pending"],
        expired=totals["expired"],
        rejected=totals["rejected"],
        conversion_rate=percent(totals["converted"], totals["codes_used"]),
    )
