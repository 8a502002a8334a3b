"""Rebuilding the rollups from scratch (`manage.py rebuild_analytics [merchant]`).

For a new installation with history, after a merchant changes its time zone, or to
repair anything. It computes every table again with grouped queries over the sources,
independently of the refresh's additions (the tests check that both agree).

The daily rollups must agree with the change feed's cursors: the refresh will still add
every row it has not read yet. So, holding the analytics lock (the refresh waits): first
the cursors are brought up to now, adding nothing for the merchants rebuilt; then their
days are computed from exactly the rows below the cursors that are not in a gap, the
rows the refresh counts as added. Member tables are recomputed from all rows (reading a
member twice is harmless), in batches; then the cohort and enrollment tables that follow
from them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncDate

from apps.analytics import rollups
from apps.analytics.changes import cursor_gaps, gaps_condition
from apps.analytics.lock_objects import analytics_lock, analytics_transaction
from apps.analytics.models import (
    AnalyticsCursor,
    CohortActivity,
    DailyRollup,
    EnrollmentDay,
    MemberMonth,
    MemberStats,
)
from apps.analytics.periods import merchant_zone
from apps.analytics.refresh import EVERYONE, catch_up
from apps.core.models import Merchant
from apps.members.models import Member
from apps.programs.coupons.models import CashbackEntry
from apps.programs.models import Purchase, Refund
from apps.programs.points.models import LedgerEntry

MEMBER_BATCH = 2000
CATCH_UP_BATCH = 20_000


@dataclass(frozen=True)
class RebuildResult:
    merchants: int
    days: int  # daily rollup rows written
    members: int
    seconds: float


def analytics_rebuild(
    *,
    merchants: list[Merchant] | None = None,
    progress: Callable[[str], None] = lambda line: None,
    batch: int = MEMBER_BATCH,
) -> RebuildResult:
    """Rebuild the rollups of `merchants` (all when None) exactly from their sources."""
    started = time.monotonic()
    with analytics_lock(wait=True):
        targets = merchants if merchants is not None else list(Merchant.objects.order_by("pk"))
        skip = EVERYONE if merchants is None else {merchant.pk for merchant in targets}
        progress("Reading what was written since the last refresh…")
        catch_up(skip=skip, batch=CATCH_UP_BATCH, progress=progress)
        cursors = {cursor.source: cursor for cursor in AnalyticsCursor.objects.all()}
        days = members = 0
        for merchant in targets:
            progress(f"{merchant.slug}: daily rollups…")
            with analytics_transaction():
                days += _daily_rollups_rebuild(merchant, cursors)
            members += _member_rollups_rebuild(merchant, batch=batch, progress=progress)
            with analytics_transaction():
                _enrollment_days_rebuild(merchant)
                _cohort_activity_rebuild(merchant)
            progress(f"{merchant.slug}: done.")
    return RebuildResult(len(targets), days, members, time.monotonic() - started)


def _counted(model, cursors: dict[str, AnalyticsCursor], source: str, merchant) -> QuerySet:
    """The merchant's rows the refresh has added (or will never add, as a rebuild
    would not either): up to the cursor, outside its gaps."""
    cursor = cursors.get(source) or AnalyticsCursor(source=source)
    rows = model._base_manager.filter(merchant=merchant, pk__lte=cursor.high)
    gaps = cursor_gaps(cursor)
    return rows.exclude(gaps_condition(gaps)).order_by() if gaps else rows.order_by()


def _daily_rollups_rebuild(merchant: Merchant, cursors) -> int:
    zone = merchant_zone(merchant.timezone)
    rows: dict[tuple, DailyRollup] = {}

    def row(location_id, day) -> DailyRollup:
        key = (location_id, day)
        if key not in rows:
            rows[key] = DailyRollup(merchant=merchant, location_id=location_id, day=day)
        return rows[key]

    purchases = (
        _counted(Purchase, cursors, "purchases", merchant)
        .annotate(day=TruncDate("occurred_at", tzinfo=zone))
        .values("location_id", "day")
        .annotate(purchases=Count("pk"), revenue=Sum("amount"))
    )
    for group in purchases:
        target = row(group["location_id"], group["day"])
        target.purchases, target.revenue = group["purchases"], group["revenue"]

    refunds = (
        _counted(Refund, cursors, "refunds", merchant)
        .annotate(day=TruncDate("created_at", tzinfo=zone), at=F("purchase__location_id"))
        .values("at", "day")
        .annotate(refunds=Count("pk"), refunded=Sum("amount"))
    )
    for group in refunds:
        target = row(group["at"], group["day"])
        target.refunds, target.refunded = group["refunds"], group["refunded"]

    for model, source, amount, column_for in (
        (LedgerEntry, "ledger", "points", rollups.points_column),
        (CashbackEntry, "cashback", "amount", lambda kind, _sign: rollups.cashback_column(kind)),
    ):
        entries = (
            _counted(model, cursors, source, merchant)
            .annotate(day=TruncDate("created_at", tzinfo=zone), at=F("purchase__location_id"))
            .values("at", "day", "kind")
            .annotate(
                gained=Sum(amount, filter=Q(**{f"{amount}__gt": 0})),
                lost=Sum(amount, filter=Q(**{f"{amount}__lt": 0})),
            )
        )
        for group in entries:
            for total, sign in ((group["gained"], 1), (group["lost"], -1)):
                column = column_for(group["kind"], sign)
                if total and column:
                    target = row(group["at"], group["day"])
                    setattr(target, column, getattr(target, column) + abs(total))

    DailyRollup.objects.filter(merchant=merchant).delete()
    DailyRollup.objects.bulk_create(rows.values(), batch_size=1000)
    return len(rows)


def _member_rollups_rebuild(merchant: Merchant, *, batch: int, progress) -> int:
    members = Member.objects.for_merchant(merchant).order_by("pk")
    total, done, last = members.count(), 0, 0
    while ids := list(members.filter(pk__gt=last).values_list("pk", flat=True)[:batch]):
        with analytics_transaction():
            rollups.member_rollups_refresh(ids, derived=False)
        done, last = done + len(ids), ids[-1]
        progress(f"{merchant.slug}: members {done:,} / {total:,}")
    return done


def _enrollment_days_rebuild(merchant: Merchant) -> None:
    EnrollmentDay.objects.filter(merchant=merchant).delete()
    counted = MemberStats.objects.filter(merchant=merchant, merged=False)
    EnrollmentDay.objects.bulk_create(
        rollups.enrollment_day_rows(merchant.pk, counted), batch_size=1000
    )


def _cohort_activity_rebuild(merchant: Merchant) -> None:
    CohortActivity.objects.filter(merchant=merchant).delete()
    cells = (
        MemberMonth.objects.filter(merchant=merchant, member__analytics__merged=False)
        .order_by()
        .values(
            "month",
            home=F("member__analytics__location_id"),
            cohort=F("member__analytics__cohort_month"),
        )
        .annotate(members=Count("member", distinct=True))
    )
    CohortActivity.objects.bulk_create(
        [
            CohortActivity(
                merchant=merchant,
                location_id=cell["home"],
                cohort=cell["cohort"],
                month=cell["month"],
                members=cell["members"],
            )
            for cell in cells
        ],
        batch_size=1000,
    )
