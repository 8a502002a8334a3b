"""Demo purchases, drawn: each member's habit (how often it comes, what it spends), then its
purchases, refunds, points lots and ledger entries, as rows ready to write (see
purchases.py for what the rows must add up to)."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from django.utils import timezone

from apps.core.models import Location, Membership, Merchant
from apps.core.money import Rounding, divide, minor_digits
from apps.programs.points.models import EntryKind, ProgramSettings

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


EARN, REFUND = EntryKind.EARN.value, EntryKind.REFUND.value


@dataclass
class Eligible:
    member_id: int
    location_id: int | None
    since: datetime  # purchases go after this: enrollment or the last points movement
    last_activity_at: datetime | None
    balance: int
    has_account: bool


@dataclass
class Batch:
    purchases: list = field(default_factory=list)
    refunds: list = field(default_factory=list)
    lots: list = field(default_factory=list)
    ledger: list = field(default_factory=list)
    new_accounts: list = field(default_factory=list)  # (member_id, balance)
    balances: list = field(default_factory=list)  # (member_id, balance) of existing accounts
    last_activity: list = field(default_factory=list)  # (member_id, at)


class Drawer:
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

    def member_history(self, member: Eligible, count: int, batch: Batch, ids) -> None:
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
