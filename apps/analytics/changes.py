"""What was written since the last refresh: one cursor per source table, read by id.

The purchase path must not do any work for analytics, so nothing marks rows as changed:
the refresh finds them itself. The sources it reads are append-only (purchases, refunds,
ledger and cashback entries, members: rows are inserted, never deleted), so "what
changed" is "the rows with an id above the last one read". Refunds are new rows too; the
only updates that matter (merges and erasures of members) are found another way
(rollups.members_changed_outside_the_feed).

Why a watermark on the id alone is not enough, and what this does instead
------------------------------------------------------------------------
Ids are handed out when a row is inserted, but rows become visible when their
transaction commits, and transactions do not commit in the order they drew their ids.
A purchase that took id 100 in a transaction still running can become visible after id
101 was read and the watermark moved past it: a bare watermark would never see 100.

A fixed overlap window (re-read the last N minutes) would only be right if no
transaction ever ran longer than N, and re-reading rows would count them twice in
rollups that are kept by adding. So the cursor remembers exactly which ids below its
watermark it has not seen (`gaps`): each run re-reads those ids first, adds the rows
that have appeared, and forgets a gap only once it is certain that nothing can fill it.

PostgreSQL says when that is: a gap's id was drawn by a transaction that has already
taken its transaction id (in the same INSERT, in practice within microseconds) when the
gap was seen. So a minute after a gap is first seen (`ARM_SECONDS`), the refresh notes
the current snapshot's `xmax` (every transaction id in use then is below it); once the
oldest transaction still running (`xmin` of a later snapshot) is at or past that number,
every transaction that could have written into the gap has ended, and what is still
missing was rolled back (or never used: ids drawn and thrown away). Long transactions
(a bulk import's batch) only keep their gap open longer; nothing is lost and nothing is
counted twice, whatever their length.

SQLite (`make run`, tests) has one writer at a time, which takes its ids under the
database's write lock and keeps it until it commits: ids become visible in order, so no
gap can ever be filled later and none is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Model, Q

from apps.analytics.models import AnalyticsCursor

# How long after a gap is first seen its writer surely holds a transaction id (module
# docstring). An INSERT takes both within one statement; seed_demo draws a batch's ids
# first and writes them seconds later, in the same transaction.
ARM_SECONDS = 60


@dataclass
class Gap:
    """Ids `low`..`high` missing below the watermark when first seen at `seen` (epoch
    seconds); `xmax` once armed (PostgreSQL)."""

    low: int
    high: int
    seen: float
    xmax: int | None = None

    @classmethod
    def from_json(cls, value: list) -> Gap:
        return cls(*value)

    def as_json(self) -> list:
        return [self.low, self.high, self.seen, self.xmax]

    def without(self, ids: list[int]) -> list[Gap]:
        """What is left of this gap once `ids` (sorted, inside it) have appeared."""
        left, start = [], self.low
        for found in ids:
            if found > start:
                left.append(Gap(start, found - 1, self.seen, self.xmax))
            start = found + 1
        if start <= self.high:
            left.append(Gap(start, self.high, self.seen, self.xmax))
        return left


@dataclass(frozen=True)
class Source:
    """A table the rollups are made from, and the columns the refresh needs of it."""

    name: str
    model: type[Model]
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Changes:
    rows: list[dict[str, Any]]
    more: bool  # the read stopped at its limit: there is more to read now
    open_gaps: int


def gaps_condition(gaps: list[Gap]) -> Q:
    """Rows whose id is in one of the gaps (no row when there is none)."""
    condition = Q(pk__in=[])
    for gap in gaps:
        condition |= Q(pk__range=(gap.low, gap.high))
    return condition


def cursor_gaps(cursor: AnalyticsCursor) -> list[Gap]:
    return [Gap.from_json(value) for value in cursor.gaps]


def _snapshot_bounds() -> tuple[int, int] | None:
    """PostgreSQL: (xmin, xmax) of a snapshot taken now: every transaction id below xmin
    has ended; every one in use is below xmax. None elsewhere."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_snapshot_xmin(s)::text::bigint, pg_snapshot_xmax(s)::text::bigint"
            " FROM pg_current_snapshot() AS s"
        )
        return cursor.fetchone()


def _new_gaps(ids: list[int], after: int, seen: float) -> list[Gap]:
    """The ids missing between `after` and each next id read (sorted)."""
    gaps, previous = [], after
    for current in ids:
        if current > previous + 1:
            gaps.append(Gap(previous + 1, current - 1, seen))
        previous = current
    return gaps


def read_changes(source: Source, *, now: float, limit: int) -> Changes:
    """The rows of `source` not read before: those that appeared in the cursor's gaps,
    then up to `limit` past its watermark. Moves the cursor, in the caller's transaction,
    so the rows are read exactly once if the caller's work on them commits, and read
    again if it rolls back."""
    bounds = _snapshot_bounds()  # before reading the gaps: see `_settled`
    cursor, _created = AnalyticsCursor.objects.get_or_create(source=source.name)
    gaps = cursor_gaps(cursor)
    if bounds is not None:
        for gap in gaps:
            if gap.xmax is None and now - gap.seen >= ARM_SECONDS:
                gap.xmax = bounds[1]
    objects = source.model._base_manager
    found = (
        list(objects.filter(gaps_condition(gaps)).order_by("pk").values(*source.fields))
        if gaps
        else []
    )
    fresh = list(objects.filter(pk__gt=cursor.high).order_by("pk").values(*source.fields)[:limit])
    found_ids = [row["id"] for row in found]
    gaps = [
        rest
        for gap in gaps
        for rest in gap.without([i for i in found_ids if gap.low <= i <= gap.high])
    ]
    if bounds is None:
        gaps = []  # SQLite: nothing below the watermark can still appear
    else:
        gaps = [gap for gap in gaps if not _settled(gap, xmin=bounds[0])]
        gaps += _new_gaps([row["id"] for row in fresh], cursor.high, now)
    if fresh:
        cursor.high = fresh[-1]["id"]
    cursor.gaps = [gap.as_json() for gap in gaps]
    cursor.save()
    return Changes(found + fresh, more=len(fresh) == limit, open_gaps=len(gaps))


def _settled(gap: Gap, *, xmin: int) -> bool:
    """Nothing can fill the gap any more: every transaction that was running when it was
    armed has ended (xmin was read before the gap's rows, so had any of them committed a
    row there, that read saw it)."""
    return gap.xmax is not None and gap.xmax <= xmin
