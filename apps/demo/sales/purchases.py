"""Demo purchases: years of realistic till history for the demo members, fast enough for
ten million.

`seed_purchases(merchant=..., total=N)` tops the merchant up to N purchases (running it
again adds only what is missing). Each member gets a habit drawn once from a seeded
random stream keyed by its id (a few regulars who come several times a week for a coffee,
more who come a few times a month, most a few times a year for a bigger basket), so the
same member keeps its habit across top-ups. Purchases fall between the member's
enrollment (or, on a top-up, its last points movement) and now, more on weekends and in
December, in shop hours of the merchant's time zone, mostly at the member's own shop.
About 3 % are refunded a little later, fully or in part.

The points rows are written as the services would leave them, computed in Python:
`points_earned` as `services.points_for_amount`, one lot per purchase (with the expiry of
ProgramSettings), one "earn" ledger entry per purchase and one "refund" entry per refund,
with each member's running `balance_after` in chronological order, the refund's points
in proportion as `services.refund_record` takes them (half up on the running total), and
the member's points account equal to both sums. Differences from the services, on
purpose: a refund takes its points back from its own purchase's lot (the service takes
the oldest lots first; the sums are the same), no timeline event is written per purchase
or refund, and members with a shortfall, erased or merged get no purchases.

Rows are written in batches of members, one transaction per batch: on PostgreSQL through
COPY (the ledger's trigger forbids only UPDATE and DELETE), elsewhere (SQLite for
`make run`) through `bulk_create`. Ids are reserved first, so every row can point at the
others before any is written.
"""

from __future__ import annotations

import random
import time
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import accumulate

from django.db import connection
from django.db.models import Max

from apps.core.models import Merchant
from apps.demo.bulk import bulk_transaction, statistics_refresh
from apps.demo.sales.histories import REFUND_SHARE, Batch, Drawer, Eligible
from apps.demo.sales.writing import copy_matches_schema, reserve_ids, write_bulk, write_copy
from apps.members.models import Member
from apps.programs.models import Purchase, Refund
from apps.programs.points.day_totals import day_totals_rebuild
from apps.programs.points.models import LedgerEntry, Lot, MemberDayTotal, PointsAccount

DEFAULT_SEED = 2026
BATCH_SIZE = 20_000  # purchases per transaction (whole members, so a little more)
PROGRESS_EVERY = 200_000


@dataclass(frozen=True)
class SeedResult:
    created: int
    refunds: int
    total: int
    members: int  # members who got purchases
    seconds: float
    method: str  # "copy", "bulk_create" or "none"


def _eligible_members(merchant: Merchant) -> list[Eligible]:
    """Active members with no shortfall, with where their new history may start."""
    last_ledger = dict(
        LedgerEntry.objects.for_merchant(merchant)
        .values_list("member")
        .annotate(last=Max("created_at"))
        .order_by()
    )
    last_purchase = dict(
        Purchase.objects.for_merchant(merchant)
        .values_list("member")
        .annotate(last=Max("occurred_at"))
        .order_by()
    )
    accounts = {
        member_id: (balance, shortfall)
        for member_id, balance, shortfall in PointsAccount.objects.for_merchant(
            merchant
        ).values_list("member_id", "balance", "shortfall")
    }
    members = []
    rows = (
        Member.objects.for_merchant(merchant)
        .active()
        .order_by("pk")
        .values_list("pk", "location_id", "enrolled_at", "last_activity_at")
    )
    for member_id, location_id, enrolled_at, last_activity_at in rows.iterator(chunk_size=20_000):
        balance, shortfall = accounts.get(member_id, (0, 0))
        if shortfall:
            continue
        since = max(
            at
            for at in (enrolled_at, last_ledger.get(member_id), last_purchase.get(member_id))
            if at
        )
        members.append(
            Eligible(
                member_id, location_id, since, last_activity_at, balance, member_id in accounts
            )
        )
    return members


def _allocate(drawer: Drawer, members: list[Eligible], missing: int) -> list[int]:
    """How many new purchases each member gets: in proportion to its visits per year times
    the time it has had to make them, adding up to exactly `missing`."""
    now = drawer.now
    weights = []
    for member in members:
        window = max((now - member.since).total_seconds(), 0) / (365 * 86400)
        weights.append(drawer.habit(member.member_id)[0] * window if window > 1e-6 else 0.0)
    total = sum(weights)
    if total <= 0:
        return [0] * len(members)
    rng = random.Random(f"{drawer.seed}:allocate:{len(members)}:{missing}")
    counts = [int(missing * weight / total) for weight in weights]
    cumulative = list(accumulate(weights))
    for _ in range(missing - sum(counts)):
        counts[bisect_right(cumulative, rng.random() * total)] += 1
    return counts


def seed_purchases(
    *,
    merchant: Merchant,
    total: int,
    seed: int = DEFAULT_SEED,
    batch_size: int = BATCH_SIZE,
    use_copy: bool | None = None,
    progress: Callable[[str], None] | None = None,
) -> SeedResult:
    """Top `merchant` up to `total` purchases (existing ones count); returns what was done.

    `use_copy` defaults to COPY on PostgreSQL and `bulk_create` elsewhere.
    """
    started = time.perf_counter()
    existing = Purchase.objects.for_merchant(merchant).count()
    missing = total - existing
    if missing <= 0:
        return SeedResult(0, 0, existing, 0, time.perf_counter() - started, "none")
    if use_copy is None:
        use_copy = connection.vendor == "postgresql" and copy_matches_schema()
    drawer = Drawer(merchant=merchant, seed=seed)
    members = _eligible_members(merchant)
    counts = _allocate(drawer, members, missing)
    if progress:
        progress(
            f"  {missing:,} purchases over {sum(1 for c in counts if c):,} members "
            f"(planned in {time.perf_counter() - started:.1f} s)"
        )
    write = write_copy if use_copy else write_bulk
    created = refunds = seeded_members = 0
    for chunk in _chunks(members, counts, batch_size):
        planned = sum(count for _member, count in chunk)
        with bulk_transaction():
            ids = {
                "purchase": reserve_ids(Purchase, planned),
                "lot": reserve_ids(Lot, planned),
                # Two at most per refunded purchase: enough with a wide margin (a gap in
                # a sequence is harmless; running out would stop the batch).
                "refund": reserve_ids(Refund, int(planned * REFUND_SHARE * 2) + 50),
            }
            batch = Batch()
            for member, count in chunk:
                drawer.member_history(member, count, batch, ids)
            write(batch)
            # Written around the purchase service: the tier windows' day totals too.
            day_totals_rebuild(member_ids=[member.member_id for member, _count in chunk])
        before = created
        created += len(batch.purchases)
        refunds += len(batch.refunds)
        seeded_members += len(chunk)
        if progress and created // PROGRESS_EVERY > before // PROGRESS_EVERY:
            elapsed = time.perf_counter() - started
            progress(f"  {created:,} / {missing:,} purchases ({elapsed:.1f} s)")
    statistics_refresh(Purchase, Refund, Lot, LedgerEntry, PointsAccount, MemberDayTotal)
    method = "copy" if use_copy else "bulk_create"
    return SeedResult(
        created,
        refunds,
        existing + created,
        seeded_members,
        time.perf_counter() - started,
        method,
    )


def _chunks(members, counts, batch_size) -> Iterator[list[tuple[Eligible, int]]]:
    chunk, size = [], 0
    for member, count in zip(members, counts, strict=True):
        if not count:
            continue
        chunk.append((member, count))
        size += count
        if size >= batch_size:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk
