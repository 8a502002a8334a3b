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

import json
import math
import random
import time
from bisect import bisect_right
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from apps.core.models import Location, Membership, Merchant
from apps.core.money import Rounding, divide, minor_digits
from apps.members.models import Member

from .models import EntryKind, LedgerEntry, Lot, PointsAccount, ProgramSettings, Purchase, Refund

DEFAULT_SEED = 2026
BATCH_SIZE = 20_000  # purchases per transaction (whole members, so a little more)
PROGRESS_EVERY = 200_000

# Member habits: share of members, visits per year (range), typical basket in major units.
HABITS = (
    ("regular", 0.04, (100, 250), 4.5),
    ("frequent", 0.16, (20, 70), 9.0),
    ("occasional", 0.80, (2, 12), 14.0),
)
BASKET_SPREAD = 0.45  # lognormal sigma of one basket around the member's typical one
HOME_SHOP = 0.85  # share of a member's purchases at its own shop
REFUND_SHARE = 0.03
FULL_REFUND = 0.6  # of refunds; the others are partial
SECOND_PARTIAL = 0.2  # of partial refunds, another partial one follows
# Relative busyness: Monday .. Sunday, January .. December.
WEEKDAY = (0.8, 0.8, 0.85, 0.9, 1.15, 1.6, 1.1)
MONTH = (0.85, 0.85, 0.95, 1.0, 1.0, 1.0, 0.9, 0.75, 1.0, 1.0, 1.05, 1.5)
DECEMBER_BASKET = 1.3
# Local shop hours 8:00-21:00 and how busy each hour is (breakfast, lunch, afternoon).
HOURS = {8: 6, 9: 9, 10: 8, 11: 6, 12: 7, 13: 10, 14: 9, 15: 5, 16: 5, 17: 7, 18: 8, 19: 7, 20: 4}

PURCHASE_COLUMNS = (
    "id",
    "merchant_id",
    "member_id",
    "external_id",
    "amount",
    "currency",
    "items",
    "location_id",
    "actor_id",
    "points_earned",
    "refunded_amount",
    "points_reversed",
    "occurred_at",
    "created_at",
)
REFUND_COLUMNS = (
    "id",
    "merchant_id",
    "purchase_id",
    "external_id",
    "amount",
    "points_reversed",
    "shortfall",
    "actor_id",
    "created_at",
)
LOT_COLUMNS = (
    "id",
    "merchant_id",
    "member_id",
    "points",
    "remaining",
    "earned_at",
    "expires_at",
)
LEDGER_COLUMNS = (
    "merchant_id",
    "member_id",
    "kind",
    "points",
    "balance_after",
    "purchase_id",
    "refund_id",
    "lot_id",
    "reason",
    "reason_text",
    "actor_id",
    "created_at",
)
ACCOUNT_COLUMNS = ("merchant_id", "member_id", "balance", "shortfall")
SET_BALANCES_SQL = (
    "UPDATE programs_pointsaccount AS account SET balance = new.balance"
    " FROM unnest(%s::bigint[], %s::integer[]) AS new(member_id, balance)"
    " WHERE account.member_id = new.member_id"
)
SET_LAST_ACTIVITY_SQL = (  # as purchase_record: only ever forward
    "UPDATE members_member AS member SET last_activity_at = new.at"
    " FROM unnest(%s::bigint[], %s::timestamptz[]) AS new(id, at)"
    " WHERE member.id = new.id"
    " AND (member.last_activity_at IS NULL OR member.last_activity_at < new.at)"
)
EARN, REFUND = EntryKind.EARN.value, EntryKind.REFUND.value


@dataclass(frozen=True)
class SeedResult:
    created: int
    refunds: int
    total: int
    members: int  # members who got purchases
    seconds: float
    method: str  # "copy", "bulk_create" or "none"


@dataclass
class _Eligible:
    member_id: int
    location_id: int | None
    since: datetime  # purchases go after this: enrollment or the last points movement
    last_activity_at: datetime | None
    balance: int
    has_account: bool


@dataclass
class _Batch:
    purchases: list = field(default_factory=list)
    refunds: list = field(default_factory=list)
    lots: list = field(default_factory=list)
    ledger: list = field(default_factory=list)
    new_accounts: list = field(default_factory=list)  # (member_id, balance)
    balances: list = field(default_factory=list)  # (member_id, balance) of existing accounts
    last_activity: list = field(default_factory=list)  # (member_id, at)


def _reserve_ids(model, count: int) -> Iterator[int]:
    """`count` ids for new rows of `model` that no other writer will use, in order."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return iter([row[0] for row in cursor.fetchall()])
    first = (model.objects.aggregate(last=Max("pk"))["last"] or 0) + 1
    return iter(range(first, first + count))


class _Drawer:
    """Draws members' histories: a habit per member, then its purchases and refunds."""

    def __init__(self, *, merchant: Merchant, seed: int):
        self.seed = seed
        self.merchant_id = merchant.pk
        self.currency = merchant.currency
        self.tz = ZoneInfo(merchant.timezone or "UTC")
        settings, _ = ProgramSettings.objects.get_or_create(merchant=merchant)
        self.rate = settings.points_per_unit
        self.unit = 10 ** minor_digits(merchant.currency)
        self.expiry_months = settings.expiry_months
        self.locations = list(
            Location.objects.for_merchant(merchant).order_by("pk").values_list("pk", flat=True)
        )
        self.staff_ids = list(
            Membership.objects.for_merchant(merchant).order_by("pk").values_list("user", flat=True)
        )
        self.now = timezone.now()
        self.hours = [hour for hour, weight in HOURS.items() for _ in range(weight)]
        self.busiest = max(WEEKDAY) * max(MONTH)

    # Habits --------------------------------------------------------------------------

    def habit(self, member_id: int) -> tuple[float, float, random.Random]:
        """Visits per year and typical basket (minor units) of one member, always the same
        for the same member and seed; and that member's own random stream."""
        rng = random.Random(f"{self.seed}:habit:{member_id}")
        pick, share_sum = rng.random(), 0.0
        for habit in HABITS:
            share_sum += habit[1]
            if pick < share_sum:
                break
        _name, _share, (low, high), basket = habit
        visits = math.exp(rng.uniform(math.log(low), math.log(high)))
        typical = basket * self.unit * rng.lognormvariate(0, 0.35)
        return visits, typical, rng

    def points_for(self, amount: int) -> int:
        """As services.points_for_amount: `rate` per whole unit, rounded down."""
        return divide(amount * self.rate, self.unit, rounding=Rounding.DOWN)

    # Times ---------------------------------------------------------------------------

    def moments(self, rng: random.Random, since: datetime, count: int) -> list[datetime]:
        """`count` times in (since, now], sorted, busier on weekends and in December, in
        shop hours (local time); uniform when the window is too short for shop hours."""
        now = self.now
        first_day = since.astimezone(self.tz).date().toordinal()
        last_day = now.astimezone(self.tz).date().toordinal()
        days = last_day - first_day + 1
        span = (now - since).total_seconds()
        tz, hours, busiest = self.tz, self.hours, self.busiest
        result = []
        for _ in range(count):
            for _attempt in range(30):
                ordinal = first_day + int(rng.random() * days)
                day = datetime.fromordinal(ordinal)
                if rng.random() * busiest > WEEKDAY[day.weekday()] * MONTH[day.month - 1]:
                    continue
                seconds = rng.choice(hours) * 3600 + int(rng.random() * 3600)
                moment = (day + timedelta(seconds=seconds)).replace(tzinfo=tz).astimezone(UTC)
                if since < moment <= now:
                    break
            else:
                moment = since + timedelta(seconds=max(span * rng.random(), 0.001))
            result.append(moment)
        result.sort()
        return result

    # One member's history --------------------------------------------------------------

    def member_history(self, member: _Eligible, count: int, batch: _Batch, ids) -> None:
        _visits, typical, rng = self.habit(member.member_id)
        rng.seed(f"{self.seed}:{member.member_id}:{member.since.isoformat()}")
        own = member.location_id if member.location_id in self.locations else None
        if own is None and self.locations:
            own = self.locations[member.member_id % len(self.locations)]
        merchant_id, member_id = self.merchant_id, member.member_id
        movements = []  # (at, order, kind, points, purchase_id, refund_id, lot_id, actor)
        last_at = None
        for at in self.moments(rng, member.since, count):
            basket = typical * rng.lognormvariate(0, BASKET_SPREAD)
            if at.month == 12:
                basket *= DECEMBER_BASKET
            amount = max(80, min(round(basket / 5) * 5, 500 * self.unit))  # prices end in 0/5
            location = own
            if self.locations and rng.random() > HOME_SHOP:
                location = rng.choice(self.locations)
            actor = rng.choice(self.staff_ids) if self.staff_ids and location else None
            points = self.points_for(amount)
            purchase_id = next(ids["purchase"])
            external_id = f"T{at.astimezone(self.tz):%Y%m%d}-{purchase_id}"

            refunded_total = points_reversed = 0
            for number, (refund_at, refund_amount) in enumerate(self._refunds(rng, at, amount)):
                # As services.refund_record: half up on the running total refunded.
                refunded_total += refund_amount
                owed_total = divide(points * refunded_total, amount, rounding=Rounding.HALF_UP)
                owed, points_reversed = owed_total - points_reversed, owed_total
                refund_id = next(ids["refund"])
                batch.refunds.append(
                    (
                        refund_id,
                        merchant_id,
                        purchase_id,
                        f"{external_id}-R{number + 1}",
                        refund_amount,
                        owed,
                        0,  # no shortfall: nothing is spent, the lot still holds the points
                        actor,
                        refund_at,
                    )
                )
                if owed:
                    movements.append(
                        (refund_at, 1, REFUND, -owed, purchase_id, refund_id, None, actor)
                    )

            lot_id = None
            if points:
                lot_id = next(ids["lot"])
                expires_at = (
                    at + relativedelta(months=self.expiry_months) if self.expiry_months else None
                )
                remaining = points - points_reversed
                batch.lots.append(
                    (lot_id, merchant_id, member_id, points, remaining, at, expires_at)
                )
                movements.append((at, 0, EARN, points, purchase_id, None, lot_id, actor))
            batch.purchases.append(
                (
                    purchase_id,
                    merchant_id,
                    member_id,
                    external_id,
                    amount,
                    self.currency,
                    [],
                    location,
                    actor,
                    points,
                    refunded_total,
                    points_reversed,
                    at,
                    at,  # created_at: recorded as it happened
                )
            )
            last_at = at

        movements.sort(key=lambda movement: (movement[0], movement[1]))
        balance = member.balance
        for at, _order, kind, points, purchase_id, refund_id, lot_id, actor in movements:
            balance += points
            batch.ledger.append(
                (
                    merchant_id,
                    member_id,
                    kind,
                    points,
                    balance,
                    purchase_id,
                    refund_id,
                    lot_id,
                    "",
                    {},  # reason_text: no reason
                    actor,
                    at,
                )
            )
        if member.has_account:
            batch.balances.append((member_id, balance))
        else:
            batch.new_accounts.append((member_id, balance))
        if last_at and (member.last_activity_at is None or member.last_activity_at < last_at):
            batch.last_activity.append((member_id, last_at))

    def _refunds(self, rng: random.Random, at: datetime, amount: int) -> list:
        """Zero, one or two refunds (time, amount) of a purchase, never after now."""
        if rng.random() >= REFUND_SHARE:
            return []
        first_at = at + timedelta(seconds=600 + rng.expovariate(1 / 86400) * 2)
        if first_at > self.now:
            return []
        if rng.random() < FULL_REFUND or amount < 20:
            return [(first_at, amount)]
        part = max(5, min(amount - 5, round(amount * rng.uniform(0.1, 0.8) / 5) * 5))
        refunds = [(first_at, part)]
        second_at = first_at + timedelta(seconds=600 + rng.expovariate(1 / 86400) * 3)
        left = amount - part
        if rng.random() < SECOND_PARTIAL and second_at <= self.now and left > 5:
            refunds.append((second_at, max(5, round(left * rng.uniform(0.2, 1.0) / 5) * 5)))
            refunds[-1] = (second_at, min(refunds[-1][1], left))
        return refunds


def _eligible_members(merchant: Merchant) -> list[_Eligible]:
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
            _Eligible(
                member_id, location_id, since, last_activity_at, balance, member_id in accounts
            )
        )
    return members


def _allocate(drawer: _Drawer, members: list[_Eligible], missing: int) -> list[int]:
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
        use_copy = connection.vendor == "postgresql" and _copy_matches_schema()
    drawer = _Drawer(merchant=merchant, seed=seed)
    members = _eligible_members(merchant)
    counts = _allocate(drawer, members, missing)
    if progress:
        progress(
            f"  {missing:,} purchases over {sum(1 for c in counts if c):,} members "
            f"(planned in {time.perf_counter() - started:.1f} s)"
        )
    write = _write_copy if use_copy else _write_bulk
    created = refunds = seeded_members = 0
    for chunk in _chunks(members, counts, batch_size):
        planned = sum(count for _member, count in chunk)
        with transaction.atomic():
            ids = {
                "purchase": _reserve_ids(Purchase, planned),
                "lot": _reserve_ids(Lot, planned),
                # Two at most per refunded purchase: enough with a wide margin (a gap in
                # a sequence is harmless; running out would stop the batch).
                "refund": _reserve_ids(Refund, int(planned * REFUND_SHARE * 2) + 50),
            }
            batch = _Batch()
            for member, count in chunk:
                drawer.member_history(member, count, batch, ids)
            write(batch)
        before = created
        created += len(batch.purchases)
        refunds += len(batch.refunds)
        seeded_members += len(chunk)
        if progress and created // PROGRESS_EVERY > before // PROGRESS_EVERY:
            elapsed = time.perf_counter() - started
            progress(f"  {created:,} / {missing:,} purchases ({elapsed:.1f} s)")
    method = "copy" if use_copy else "bulk_create"
    return SeedResult(
        created,
        refunds,
        existing + created,
        seeded_members,
        time.perf_counter() - started,
        method,
    )


def _chunks(members, counts, batch_size) -> Iterator[list[tuple[_Eligible, int]]]:
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


# Writing ------------------------------------------------------------------------------


def _write_copy(batch: _Batch) -> None:
    """PostgreSQL: COPY the new rows, then one UPDATE each for balances and activity."""
    with connection.cursor() as cursor:
        for model, columns, rows, json_column in (
            (Purchase, PURCHASE_COLUMNS, batch.purchases, PURCHASE_COLUMNS.index("items")),
            (Refund, REFUND_COLUMNS, batch.refunds, None),
            (Lot, LOT_COLUMNS, batch.lots, None),
            (LedgerEntry, LEDGER_COLUMNS, batch.ledger, LEDGER_COLUMNS.index("reason_text")),
        ):
            if not rows:
                continue
            with cursor.copy(_copy_sql(model._meta.db_table, columns)) as copy:
                if json_column is None:
                    for row in rows:
                        copy.write_row(row)
                else:
                    for row in rows:
                        copy.write_row(
                            (
                                *row[:json_column],
                                json.dumps(row[json_column]),
                                *row[json_column + 1 :],
                            )
                        )
        merchant_id = batch.purchases[0][1]
        if batch.new_accounts:
            with cursor.copy(_copy_sql(PointsAccount._meta.db_table, ACCOUNT_COLUMNS)) as copy:
                for member_id, balance in batch.new_accounts:
                    copy.write_row((merchant_id, member_id, balance, 0))
        if batch.balances:
            member_ids, balances = zip(*batch.balances, strict=True)
            cursor.execute(
                SET_BALANCES_SQL,
                [list(member_ids), list(balances)],
            )
        if batch.last_activity:
            member_ids, moments = zip(*batch.last_activity, strict=True)
            cursor.execute(
                SET_LAST_ACTIVITY_SQL,
                [list(member_ids), list(moments)],
            )


@contextmanager
def _given_created_at():
    """bulk_create would stamp `created_at` (auto_now_add) with now; keep the history's."""
    fields = [Purchase._meta.get_field("created_at"), Refund._meta.get_field("created_at")]
    try:
        for model_field in fields:
            model_field.auto_now_add = False
        yield
    finally:
        for model_field in fields:
            model_field.auto_now_add = True


def _write_bulk(batch: _Batch) -> None:
    """Any database: the same rows through bulk_create, balances through bulk_update."""

    def objects(model, columns, rows):  # the column names are the models' attnames
        return [model(**dict(zip(columns, row, strict=True))) for row in rows]

    with _given_created_at():
        Purchase.objects.bulk_create(
            objects(Purchase, PURCHASE_COLUMNS, batch.purchases), batch_size=1000
        )
        Refund.objects.bulk_create(objects(Refund, REFUND_COLUMNS, batch.refunds), batch_size=1000)
    Lot.objects.bulk_create(objects(Lot, LOT_COLUMNS, batch.lots), batch_size=1000)
    LedgerEntry.objects.bulk_create(
        objects(LedgerEntry, LEDGER_COLUMNS, batch.ledger), batch_size=1000
    )
    merchant_id = batch.purchases[0][1]
    PointsAccount.objects.bulk_create(
        [
            PointsAccount(merchant_id=merchant_id, member_id=member_id, balance=balance)
            for member_id, balance in batch.new_accounts
        ],
        batch_size=1000,
    )
    if batch.balances:
        balances = dict(batch.balances)
        accounts = list(PointsAccount.objects.filter(member_id__in=balances))
        for account in accounts:
            account.balance = balances[account.member_id]
        PointsAccount.objects.bulk_update(accounts, ["balance"], batch_size=500)
    if batch.last_activity:
        members = [
            Member(pk=member_id, last_activity_at=at) for member_id, at in batch.last_activity
        ]
        Member.objects.bulk_update(members, ["last_activity_at"], batch_size=500)


def _copy_sql(table: str, columns: tuple[str, ...]) -> str:
    quote = connection.ops.quote_name
    return f"COPY {quote(table)} ({', '.join(quote(column) for column in columns)}) FROM STDIN"


def _copy_matches_schema() -> bool:
    """COPY names every column; if a model gained one since, fall back to bulk_create
    (which fills the new column's default)."""
    expected = {
        Purchase: set(PURCHASE_COLUMNS),
        Refund: set(REFUND_COLUMNS),
        Lot: set(LOT_COLUMNS),
        LedgerEntry: set(LEDGER_COLUMNS) | {"id"},
        PointsAccount: set(ACCOUNT_COLUMNS) | {"id"},
    }
    return all(
        {model_field.column for model_field in model._meta.concrete_fields} == columns
        for model, columns in expected.items()
    )
