"""Where a buyer stands among the merchant's buyers: the cut points of the RFM scores.

A score is 1 + the number of cut points a member's figure is above: with the buyers'
figures sorted, the k-th of K-1 cut points is the figure at position ceil(k × n / K), so
that each score holds a K-th of the buyers (ties keep equal figures together). Recency
reads the day of the last purchase, frequency the number of purchases, monetary the
amount spent, all from the analytics rollups (`MemberStats`); the top percent by spend
uses 99 cut points of the amount spent.

One sorted pass per figure over the buyers: at a million members that costs a few hundred
milliseconds, so the cut points are cached for an hour per merchant and day (a segment's
count runs on every change in the builder).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.cache import cache
from django.db.models import F, Window
from django.db.models.functions import RowNumber

from apps.analytics.models import MemberStats
from apps.core.models import Merchant

CACHE_SECONDS = 3600


@dataclass(frozen=True)
class RankCuts:
    recency: tuple[date, ...]  # 4 cut points: days of the last purchase
    frequency: tuple[int, ...]  # 4: numbers of purchases
    monetary: tuple[int, ...]  # 4: amounts spent
    spend_percentiles: tuple[int, ...]  # 99: amounts spent


def cut_positions(buyers: int, parts: int) -> list[int]:
    """The 1-based positions, among `buyers` sorted figures, of the cut points that split
    them into `parts`."""
    if buyers == 0:
        return []
    return [-(-k * buyers // parts) for k in range(1, parts)]


def _cuts(buyers, column: str, count: int, parts: int) -> tuple:
    positions = cut_positions(count, parts)
    if not positions:
        return ()
    ranked = buyers.annotate(rank_position=Window(RowNumber(), order_by=[F(column).asc()]))
    found = dict(
        ranked.filter(rank_position__in=set(positions)).values_list("rank_position", column)
    )
    return tuple(found[position] for position in positions)


def buyers_of(*, merchant: Merchant):
    """The merchant's members who bought at least once and are still members."""
    return MemberStats.objects.for_merchant(merchant).filter(
        merged=False, erased_on__isnull=True, purchases__gt=0
    )


def rank_cuts(*, merchant: Merchant, today: date) -> RankCuts:
    key = f"campaigns:rank-cuts:{merchant.pk}:{today.isoformat()}"
    found = cache.get(key)
    if found is None:
        found = compute_rank_cuts(merchant=merchant)
        cache.set(key, found, CACHE_SECONDS)
    return found


def compute_rank_cuts(*, merchant: Merchant) -> RankCuts:
    buyers = buyers_of(merchant=merchant)
    count = buyers.count()
    percentiles = _cuts(buyers, "spent", count, 100)
    return RankCuts(
        recency=_cuts(buyers, "last_purchase_on", count, 5),
        frequency=_cuts(buyers, "purchases", count, 5),
        # ceil(k × n / 5) is ceil(20k × n / 100): the fifths are among the percentiles.
        monetary=tuple(percentiles[19::20]),
        spend_percentiles=percentiles,
    )
