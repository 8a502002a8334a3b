"""The periodic upkeep: read what changed since the last run, add it to the rollups.

Runs every minute in Celery beat (`tasks.refresh_analytics`), never on the purchase
path. Each batch is one transaction that reads a source's new rows and moves its cursor
(changes.py), adds them to the daily rollups and recomputes the members they touch
(rollups.py): a batch that fails leaves its rows to be read again. The analytics lock
lets one run at a time write; a run that finds it taken does nothing (the next one
catches up), so two runs at once, or a run repeated, count nothing twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Container
from dataclasses import dataclass, field

from apps.analytics import rollups
from apps.analytics.changes import Source, read_changes
from apps.analytics.lock_objects import analytics_lock, analytics_transaction
from apps.members.models import Member
from apps.programs.coupons.models import CashbackEntry
from apps.programs.models import Purchase, Refund
from apps.programs.points.models import LedgerEntry

BATCH = 2000  # rows of one source per transaction
BUDGET_SECONDS = 45  # a run stops starting batches after this; the next run goes on
PROGRESS_EVERY = 10  # rounds of batches between progress lines (the rebuild's catching up)

SOURCES: tuple[tuple[Source, Callable[[list[dict], Container[int]], set[int]]], ...] = (
    (Source("members", Member, ("id", "merchant_id", "merged_into_id")), rollups.members_add),
    (
        Source(
            "purchases",
            Purchase,
            ("id", "merchant_id", "location_id", "member_id", "occurred_at", "amount"),
        ),
        rollups.purchases_add,
    ),
    (
        Source(
            "refunds",
            Refund,
            (
                "id",
                "merchant_id",
                "created_at",
                "amount",
                "purchase__location_id",
                "purchase__member_id",
            ),
        ),
        rollups.refunds_add,
    ),
    (
        Source(
            "ledger",
            LedgerEntry,
            ("id", "merchant_id", "created_at", "kind", "points", "purchase__location_id"),
        ),
        rollups.ledger_add,
    ),
    (
        Source(
            "cashback",
            CashbackEntry,
            ("id", "merchant_id", "created_at", "kind", "amount", "purchase__location_id"),
        ),
        rollups.cashback_add,
    ),
)


class _Everyone:
    """A `skip` that skips every merchant (the rebuild of all of them)."""

    def __contains__(self, merchant_id: object) -> bool:
        return True


EVERYONE = _Everyone()


@dataclass
class RefreshResult:
    rows: dict[str, int] = field(default_factory=dict)  # rows read per source
    members: int = 0  # members recomputed
    open_gaps: int = 0  # ids below a watermark still waiting to be seen or ruled out
    complete: bool = True  # False: stopped by the time budget with more to read


def analytics_refresh(
    *, now: float | None = None, budget: float | None = BUDGET_SECONDS, batch: int = BATCH
) -> RefreshResult | None:
    """Bring the rollups up to date with what was written since the last run. None when
    another run (or a rebuild) holds the lock."""
    with analytics_lock(wait=False) as obtained:
        if not obtained:
            return None
        return catch_up(now=now, budget=budget, batch=batch)


def catch_up(
    *,
    skip: Container[int] = frozenset(),
    now: float | None = None,
    budget: float | None = None,
    batch: int = BATCH,
    progress: Callable[[str], None] | None = None,
) -> RefreshResult:
    """Read every source up to now, a batch of each in turn, adding what the rows of
    merchants not in `skip` bring (the rebuild recomputes those itself). The caller holds
    the analytics lock."""
    started = time.monotonic()
    result = RefreshResult(rows={source.name: 0 for source, _add in SOURCES})
    pending, rounds = list(SOURCES), 0
    while pending:
        rounds += 1
        for source, add in list(pending):
            with analytics_transaction():
                changes = read_changes(source, now=now or time.time(), limit=batch)
                touched = add(changes.rows, skip)
                result.members += rollups.member_rollups_refresh(touched)
            result.rows[source.name] += len(changes.rows)
            result.open_gaps += changes.open_gaps if not changes.more else 0
            if not changes.more:
                pending.remove((source, add))
        if progress and (rounds % PROGRESS_EVERY == 0 or not pending):
            progress("  read " + ", ".join(f"{n:,} {name}" for name, n in result.rows.items()))
        if pending and budget is not None and time.monotonic() - started > budget:
            result.complete = False
            return result
    with analytics_transaction():
        result.members += rollups.member_rollups_refresh(
            rollups.members_changed_outside_the_feed(skip)
        )
    return result
