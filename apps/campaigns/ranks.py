"""Where a buyer stands among the merchant's buyers: the cut points of the RFM scores.

A score is 1 + the number of cut points a member's figure is above: with the buyers'
figures sorted, the k-th of K-1 cut points is the figure at position ceil(k × n / K), so
that each score holds a K-th of the buyers (ties keep equal figures together). Recency
reads the day of the last purchase, frequency the number of purchases, monetary the
amount spent, all from the analytics rollups (`MemberStats`); the top percent by spend
uses 99 cut points of the amount spent.

On PostgreSQL one pass over the buyers' rollups reads every cut point (`percentile_disc`
with the fractions that land on the wanted positions: one sort of each figure, not of the
rows); elsewhere (SQLite) one window query per figure. At a million members that still
costs about a second, so the cut points are cached for an hour per merchant and day (a
segment's count runs on every change in the builder). bench/segments.py times it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.cache import cache
from django.db import connection
from django.db.models import Aggregate, F, Field, Window
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


class _AtPositions(Aggregate):
    """PostgreSQL's `percentile_disc(fractions) WITHIN GROUP (ORDER BY column)`: the
    column's values at the 1-based positions ceil(fraction × n) of its sorted values.
    The fraction (position - ½) / n lands on the position whatever the float's rounding.
    The fractions are floats made here, written into the SQL."""

    function = "percentile_disc"
    template = (
        "%(function)s(ARRAY[%(fractions)s]::float8[]) WITHIN GROUP (ORDER BY %(expressions)s)"
    )

    def __init__(self, column: str, *, positions: list[int], count: int):
        fractions = ", ".join(repr((position - 0.5) / count) for position in positions)
        super().__init__(F(column), fractions=fractions, output_field=Field())


def _cuts_in_one_pass(buyers, count: int) -> tuple[tuple, tuple, tuple]:
    """The cut points of recency, frequency and spend (percentiles), from one query."""
    fifths, hundredths = cut_positions(count, 5), cut_positions(count, 100)
    if not fifths:
        return (), (), ()
    found = buyers.aggregate(
        recency=_AtPositions("last_purchase_on", positions=fifths, count=count),
        frequency=_AtPositions("purchases", positions=fifths, count=count),
        spend=_AtPositions("spent", positions=hundredths, count=count),
    )
    return tuple(found["recency"]), tuple(found["frequency"]), tuple(found["spend"])


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
    if connection.vendor == "postgresql":
        recency, frequency, percentiles = _cuts_in_one_pass(buyers, count)
    else:
        recency = _cuts(buyers, "last_purchase_on", count, 5)
        frequency = _cuts(buyers, "purchases", count, 5)
        percentiles = _cuts(buyers, "spent", count, 100)
    return RankCuts(
        recency=recency,
        frequency=frequency,
        # ceil(k × n / 5) is ceil(20k × n / 100): the fifths are among the percentiles.
        monetary=tuple(percentiles[19::20]),
        spend_percentiles=percentiles,
    )
