"""Writing the rollups: adding new rows' figures to the daily rollups, and recomputing
the members they touch.

Two ways of keeping a table, chosen by what reading its source costs:

* `DailyRollup` is kept by addition. Recomputing a merchant's day from the purchases
  would need an index on (merchant, occurred_at) on the busiest tables, a cost on every
  purchase; adding what each new row brings needs nothing but the rows themselves. It is
  exact because the change feed (changes.py) hands each row over exactly once, in the
  transaction that adds it, and the analytics lock lets one writer add at a time.
* Member tables (`MemberStats`, `MemberMonth`, `MemberLocationDays`) are recomputed for
  each member touched, from that member's purchases (an index scan per member):
  idempotent, so reading a member twice is harmless. `CohortActivity` and
  `EnrollmentDay` follow from the difference between a member's rows before and after.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Container, Iterable, Iterator
from datetime import date, datetime

from django.db.models import BigIntegerField, Count, DateField, Max, Min, Sum
from django.db.models.functions import Cast, ExtractDay, Power, TruncMonth
from django.utils import timezone

from apps.analytics.daybits import day_bits, mask_days
from apps.analytics.models import (
    CohortActivity,
    DailyRollup,
    EnrollmentDay,
    MemberLocationDays,
    MemberMonth,
    MemberStats,
)
from apps.analytics.periods import local_day, merchant_zone, month_start
from apps.core.models import Merchant
from apps.members.models import Member
from apps.programs.coupons.models import CashbackKind
from apps.programs.models import Purchase
from apps.programs.points.models import EntryKind

DAILY_COLUMNS = tuple(
    field.name
    for field in DailyRollup._meta.concrete_fields
    if field.name not in {"id", "merchant", "location", "day"}
)
# Where each kind of points entry goes: (column when positive, column when negative).
# Merges move points between two records of one person and cancel out: left out.
POINTS_COLUMNS = {
    EntryKind.EARN: ("points_earned", "points_earned"),
    EntryKind.BONUS: ("points_bonus", "points_bonus"),
    EntryKind.ADJUST: ("points_adjusted_in", "points_adjusted_out"),
    EntryKind.SHORTFALL: ("points_adjusted_in", "points_adjusted_out"),
    EntryKind.VOID: ("points_returned", "points_returned"),
    EntryKind.REFUND: ("points_reversed", "points_reversed"),
    EntryKind.REDEEM: ("points_redeemed", "points_redeemed"),
    EntryKind.EXPIRE: ("points_expired", "points_expired"),
}
CASHBACK_COLUMNS = {
    CashbackKind.ACCRUE: "cashback_earned",
    CashbackKind.REFUND: "cashback_reversed",
    CashbackKind.CONVERT: "cashback_converted",
}
POINTS_IN = ("points_earned", "points_bonus", "points_adjusted_in", "points_returned")
POINTS_OUT = ("points_adjusted_out", "points_reversed", "points_redeemed", "points_expired")
logger = logging.getLogger(__name__)
MEMBER_CHUNK = 1000  # members recomputed per set of queries (SQLite binds ≤ 32,766 values)


def points_column(kind: str, points: int) -> str | None:
    columns = POINTS_COLUMNS.get(kind)
    if columns is None or not points:
        return None
    return columns[0] if points > 0 else columns[1]


def cashback_column(kind: str) -> str | None:
    return CASHBACK_COLUMNS.get(kind)


def _chunks(values: list, size: int) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


# Daily rollups: kept by addition ---------------------------------------------------------


class DailyDeltas:
    """What a batch of new rows adds to each (merchant, location, day)."""

    def __init__(self):
        self.rows: dict[tuple[int, int | None, date], Counter] = defaultdict(Counter)

    def add(self, merchant_id: int, location_id: int | None, day: date, **amounts: int):
        self.rows[(merchant_id, location_id, day)].update(amounts)

    def __bool__(self) -> bool:
        return bool(self.rows)


def daily_rollups_add(deltas: DailyDeltas) -> None:
    """Add `deltas` to the daily rollups: one read of the rows concerned, one update of
    those that exist and one insert of the others. Only the refresh and the rebuild,
    under the analytics lock, write here, so reading then writing is safe."""
    if not deltas:
        return
    days_by_merchant: dict[int, set[date]] = defaultdict(set)
    for merchant_id, _location_id, day in deltas.rows:
        days_by_merchant[merchant_id].add(day)
    existing = {}
    for merchant_id, days in days_by_merchant.items():
        for row in DailyRollup.objects.filter(merchant_id=merchant_id, day__in=days):
            existing[(row.merchant_id, row.location_id, row.day)] = row
    changed, created = [], []
    for key, amounts in deltas.rows.items():
        row = existing.get(key)
        if row is None:
            merchant_id, location_id, day = key
            row = DailyRollup(merchant_id=merchant_id, location_id=location_id, day=day)
            created.append(row)
        else:
            changed.append(row)
        for column, amount in amounts.items():
            setattr(row, column, getattr(row, column) + amount)
    DailyRollup.objects.bulk_update(changed, DAILY_COLUMNS, batch_size=500)
    DailyRollup.objects.bulk_create(created, batch_size=500)


class _Zones(dict):
    """Merchants' zones by id, fetched once per batch."""

    def __missing__(self, merchant_id: int):
        name = Merchant.objects.values_list("timezone", flat=True).get(pk=merchant_id)
        self[merchant_id] = zone = merchant_zone(name)
        return zone


def purchases_add(rows: list[dict], skip: Container[int]) -> set[int]:
    """New purchases: count and amount on their day at their location. Returns their
    members, whose stats change."""
    deltas, zones, members = DailyDeltas(), _Zones(), set()
    for row in rows:
        merchant_id = row["merchant_id"]
        if merchant_id in skip:
            continue
        day = local_day(row["occurred_at"], zones[merchant_id])
        deltas.add(merchant_id, row["location_id"], day, purchases=1, revenue=row["amount"])
        members.add(row["member_id"])
    daily_rollups_add(deltas)
    return members


def refunds_add(rows: list[dict], skip: Container[int]) -> set[int]:
    """New refunds: on the day they were made, at their purchase's location (the day of
    the sale keeps its revenue: a period's refunds are those made in it)."""
    deltas, zones, members = DailyDeltas(), _Zones(), set()
    for row in rows:
        merchant_id = row["merchant_id"]
        if merchant_id in skip:
            continue
        day = local_day(row["created_at"], zones[merchant_id])
        location_id = row["purchase__location_id"]
        deltas.add(merchant_id, location_id, day, refunds=1, refunded=row["amount"])
        members.add(row["purchase__member_id"])
    daily_rollups_add(deltas)
    return members


def ledger_add(rows: list[dict], skip: Container[int]) -> set[int]:
    """New points entries, on their day, at their purchase's location if they have one."""
    deltas, zones = DailyDeltas(), _Zones()
    for row in rows:
        merchant_id = row["merchant_id"]
        column = points_column(row["kind"], row["points"])
        if merchant_id in skip or column is None:
            continue
        day = local_day(row["created_at"], zones[merchant_id])
        deltas.add(merchant_id, row["purchase__location_id"], day, **{column: abs(row["points"])})
    daily_rollups_add(deltas)
    return set()


def cashback_add(rows: list[dict], skip: Container[int]) -> set[int]:
    """New cashback wallet entries, like points entries."""
    deltas, zones = DailyDeltas(), _Zones()
    for row in rows:
        merchant_id = row["merchant_id"]
        column = cashback_column(row["kind"])
        if merchant_id in skip or column is None:
            continue
        day = local_day(row["created_at"], zones[merchant_id])
        deltas.add(merchant_id, row["purchase__location_id"], day, **{column: abs(row["amount"])})
    daily_rollups_add(deltas)
    return set()


def members_add(rows: list[dict], skip: Container[int]) -> set[int]:
    """New members: their stats and enrollment day follow from recomputing them. A new
    record merged already (before any run saw it) may have moved its survivor's
    enrollment earlier: the survivor is recomputed too."""
    members = set()
    for row in rows:
        if row["merchant_id"] not in skip:
            members.add(row["id"])
            if row["merged_into_id"]:
                members.add(row["merged_into_id"])
    return members


# Members: recomputed ----------------------------------------------------------------------

STATS_FIELDS = tuple(
    field.name for field in MemberStats._meta.concrete_fields if field.name != "member"
)
MEMBER_VALUES = (
    "pk",
    "merchant_id",
    "merchant__timezone",
    "enrolled_at",
    "location_id",
    "channel",
    "enrolled_by_id",
    "erased_at",
    "merged_into_id",
)


def member_rollups_refresh(member_ids: Iterable[int], *, derived: bool = True) -> int:
    """Recompute the stats and months of these members from their purchases, and (with
    `derived`) the cohort cells and enrollment days their change moves. In the caller's
    transaction. Returns how many members were recomputed."""
    ids = sorted(set(member_ids))
    for chunk in _chunks(ids, MEMBER_CHUNK):
        _refresh_members(chunk, derived=derived)
    return len(ids)


def _refresh_members(ids: list[int], *, derived: bool) -> None:
    members = list(Member.objects.filter(pk__in=ids).values(*MEMBER_VALUES))
    now = timezone.now()
    zones = {member["pk"]: merchant_zone(member["merchant__timezone"]) for member in members}
    totals = {
        row["member_id"]: row
        for row in Purchase.objects.filter(member_id__in=ids)
        .order_by()
        .values("member_id")
        .annotate(
            count=Count("pk"),
            spent=Sum("amount"),
            refunded=Sum("refunded_amount"),
            first=Min("occurred_at"),
            last=Max("occurred_at"),
        )
    }
    stats = [
        _stats_row(member, totals.get(member["pk"]), zones[member["pk"]], now) for member in members
    ]
    months = _member_months(members, zones)
    _days_of(stats, months)
    if derived:
        before = _MemberState.read(ids)
    MemberStats.objects.bulk_create(
        stats, update_conflicts=True, unique_fields=["member"], update_fields=STATS_FIELDS
    )
    MemberMonth.objects.filter(member_id__in=ids).delete()
    MemberMonth.objects.bulk_create(months, batch_size=1000)
    MemberLocationDays.objects.filter(member_id__in=ids).delete()
    MemberLocationDays.objects.bulk_create(_location_days(months), batch_size=1000)
    if derived:
        after = _MemberState.of(stats, months)
        change = after.cohort_cells()
        change.subtract(before.cohort_cells())  # keeps the negatives, unlike `-`
        cohort_activity_add(change)
        enrollment_days_recompute(before.enrollment_days_changed(after))


def _stats_row(member: dict, total: dict | None, zone, now: datetime) -> MemberStats:
    enrolled_on = local_day(member["enrolled_at"], zone)
    stats = MemberStats(
        member_id=member["pk"],
        merchant_id=member["merchant_id"],
        enrolled_at=member["enrolled_at"],
        enrolled_on=enrolled_on,
        cohort_month=month_start(enrolled_on),
        location_id=member["location_id"],
        channel=member["channel"],
        enrolled_by_id=member["enrolled_by_id"],
        merged=member["merged_into_id"] is not None,
        erased_on=local_day(member["erased_at"], zone) if member["erased_at"] else None,
        last_seen_on=enrolled_on,
        updated_at=now,
    )
    if total:
        first_on, last_on = local_day(total["first"], zone), local_day(total["last"], zone)
        stats.purchases = total["count"]
        stats.spent, stats.refunded = total["spent"], total["refunded"]
        stats.net_spent = total["spent"] - total["refunded"]
        stats.first_purchase_at, stats.last_purchase_at = total["first"], total["last"]
        stats.last_purchase_on = last_on
        stats.last_seen_on = max(enrolled_on, last_on)
        stats.lifetime_days = (last_on - first_on).days
    return stats


def _member_months(members: list[dict], zones: dict) -> list[MemberMonth]:
    """The members' months, one query per time zone among them: the month and the day
    of each purchase are the merchant's."""
    by_zone: dict[str, list[int]] = defaultdict(list)
    merchant_of = {}
    for member in members:
        by_zone[zones[member["pk"]].key].append(member["pk"])
        merchant_of[member["pk"]] = member["merchant_id"]
    months = []
    for zone_name, ids in by_zone.items():
        zone = merchant_zone(zone_name)
        # The day mask is the sum of the distinct powers of two of the days bought on:
        # a bitwise OR that both PostgreSQL and SQLite can aggregate.
        day_bit = Cast(Power(2, ExtractDay("occurred_at", tzinfo=zone) - 1), BigIntegerField())
        rows = (
            Purchase.objects.filter(member_id__in=ids)
            .order_by()
            .annotate(month=TruncMonth("occurred_at", tzinfo=zone, output_field=DateField()))
            .values("member_id", "month", "location_id")
            .annotate(count=Count("pk"), amount=Sum("amount"), mask=Sum(day_bit, distinct=True))
        )
        months += [
            MemberMonth(
                merchant_id=merchant_of[row["member_id"]],
                member_id=row["member_id"],
                month=row["month"],
                location_id=row["location_id"],
                purchases=row["count"],
                amount=row["amount"],
                day_mask=row["mask"],
            )
            for row in rows
        ]
    return months


def _days_of(stats: list[MemberStats], months: list[MemberMonth]) -> None:
    """Set the stats' day bits from their months: the days bought on, and the days with
    purchases at two locations or more (a month has a row per location)."""
    visits: dict[int, Counter] = defaultdict(Counter)
    for row in months:
        visits[row.member_id].update(mask_days(row.month, row.day_mask))
    for row in stats:
        days = visits.get(row.member_id)
        row.days_from = min(days) if days else 0
        row.days = day_bits(days, row.days_from) if days else ""
        row.days_twice = (
            day_bits([day for day, count in days.items() if count > 1], row.days_from)
            if days
            else ""
        )


def _location_days(months: list[MemberMonth]) -> list[MemberLocationDays]:
    """The members' days at each location, as bits, from their months there."""
    days: dict[tuple[int, int, int | None], list[int]] = defaultdict(list)
    for row in months:
        days[(row.merchant_id, row.member_id, row.location_id)].extend(
            mask_days(row.month, row.day_mask)
        )
    return [
        MemberLocationDays(
            merchant_id=merchant_id,
            member_id=member_id,
            location_id=location_id,
            days_from=min(bought),
            days=day_bits(bought, min(bought)),
        )
        for (merchant_id, member_id, location_id), bought in days.items()
    ]


class _MemberState:
    """What of a set of members' rows the derived tables depend on."""

    def __init__(self, stats: dict[int, dict], months: dict[int, set[date]]):
        self.stats = stats
        self.months = months

    @classmethod
    def read(cls, ids: list[int]) -> _MemberState:
        stats = {
            row["member_id"]: row
            for row in MemberStats.objects.filter(member_id__in=ids).values(
                "member_id",
                "merchant_id",
                "enrolled_on",
                "cohort_month",
                "location_id",
                "channel",
                "enrolled_by_id",
                "merged",
            )
        }
        months = defaultdict(set)
        for member_id, month in (
            MemberMonth.objects.filter(member_id__in=ids)
            .values_list("member_id", "month")
            .distinct()
        ):
            months[member_id].add(month)
        return cls(stats, months)

    @classmethod
    def of(cls, stats: list[MemberStats], months: list[MemberMonth]) -> _MemberState:
        active = defaultdict(set)
        for row in months:
            active[row.member_id].add(row.month)
        return cls(
            {
                row.member_id: {
                    "member_id": row.member_id,
                    "merchant_id": row.merchant_id,
                    "enrolled_on": row.enrolled_on,
                    "cohort_month": row.cohort_month,
                    "location_id": row.location_id,
                    "channel": row.channel,
                    "enrolled_by_id": row.enrolled_by_id,
                    "merged": row.merged,
                }
                for row in stats
            },
            active,
        )

    def cohort_cells(self) -> Counter:
        """Each counted member is one in each (merchant, home location, cohort, month)
        it bought in."""
        cells = Counter()
        for member_id, row in self.stats.items():
            if row["merged"]:
                continue
            for month in self.months.get(member_id, ()):
                cells[(row["merchant_id"], row["location_id"], row["cohort_month"], month)] += 1
        return cells

    def enrollment_days_changed(self, after: _MemberState) -> set[tuple[int, date]]:
        """The (merchant, day) whose enrollment counts differ between self and `after`."""

        def key(row):
            if row is None or row["merged"]:
                return None
            return (row["enrolled_on"], row["location_id"], row["channel"], row["enrolled_by_id"])

        days = set()
        for member_id in self.stats.keys() | after.stats.keys():
            old, new = self.stats.get(member_id), after.stats.get(member_id)
            if key(old) != key(new):
                days |= {(row["merchant_id"], row["enrolled_on"]) for row in (old, new) if row}
        return days


def cohort_activity_add(deltas: Counter) -> None:
    """Add ±1 per member to the cohort cells; a cell that reaches zero goes."""
    deltas = Counter({cell: change for cell, change in deltas.items() if change})
    if not deltas:
        return
    wanted: dict[int, set[date]] = defaultdict(set)
    for merchant_id, _location_id, cohort, _month in deltas:
        wanted[merchant_id].add(cohort)
    existing = {}
    for merchant_id, cohorts in wanted.items():
        for row in CohortActivity.objects.filter(merchant_id=merchant_id, cohort__in=cohorts):
            existing[(row.merchant_id, row.location_id, row.cohort, row.month)] = row
    changed, created, emptied = [], [], []
    for cell, change in deltas.items():
        row = existing.get(cell)
        if row is None:
            merchant_id, location_id, cohort, month = cell
            row = CohortActivity(
                merchant_id=merchant_id, location_id=location_id, cohort=cohort, month=month
            )
            row.members = 0
            created.append(row)
        else:
            changed.append(row)
        row.members += change
    for row in changed + created:
        if row.members < 0:
            # Only a rebuild stopped half-way leaves cells out of step with the months:
            # say so, and keep the refresh going for every other merchant.
            logger.warning("%s went below zero: run rebuild_analytics", row)
            row.members = 0
    emptied = [row.pk for row in changed if row.members == 0]
    CohortActivity.objects.filter(pk__in=emptied).delete()
    CohortActivity.objects.bulk_update(
        [row for row in changed if row.members], ["members"], batch_size=500
    )
    CohortActivity.objects.bulk_create([row for row in created if row.members], batch_size=500)


def enrollment_days_recompute(days: set[tuple[int, date]]) -> None:
    """Count again the enrollments of these (merchant, day) from the members' stats."""
    by_merchant: dict[int, set[date]] = defaultdict(set)
    for merchant_id, day in days:
        by_merchant[merchant_id].add(day)
    for merchant_id, merchant_days in by_merchant.items():
        EnrollmentDay.objects.filter(merchant_id=merchant_id, day__in=merchant_days).delete()
        counted = MemberStats.objects.filter(
            merchant_id=merchant_id, enrolled_on__in=merchant_days, merged=False
        )
        EnrollmentDay.objects.bulk_create(enrollment_day_rows(merchant_id, counted))


def enrollment_day_rows(merchant_id: int, stats) -> list[EnrollmentDay]:
    """EnrollmentDay rows from a queryset of member stats, grouped."""
    return [
        EnrollmentDay(
            merchant_id=merchant_id,
            day=row["enrolled_on"],
            location_id=row["location_id"],
            channel=row["channel"],
            enrolled_by_id=row["enrolled_by_id"],
            members=row["members"],
        )
        for row in stats.order_by()
        .values("enrolled_on", "location_id", "channel", "enrolled_by_id")
        .annotate(members=Count("pk"))
    ]


def members_changed_outside_the_feed(skip: Container[int]) -> set[int]:
    """Members merged or erased since their stats were computed. These are updates of
    member rows, which the feed (new rows by id) does not see; the stats say what was
    known, so comparing the two finds them. A merge moves the duplicate's purchases to the
    survivor and may move its enrollment earlier: both are recomputed."""
    changed = set()
    merged = MemberStats.objects.filter(merged=False, member__merged_into__isnull=False)
    for merchant_id, member_id, survivor_id in merged.values_list(
        "merchant_id", "member_id", "member__merged_into_id"
    ):
        if merchant_id not in skip:
            changed |= {member_id, survivor_id}
    erased = MemberStats.objects.filter(erased_on__isnull=True, member__erased_at__isnull=False)
    for merchant_id, member_id in erased.values_list("merchant_id", "member_id"):
        if merchant_id not in skip:
            changed.add(member_id)
    return changed
