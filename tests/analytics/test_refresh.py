"""The periodic refresh keeps the rollups exactly as a rebuild from scratch computes them,
whatever order rows arrive in: random trading with refreshes in between, rows dated in
the past after their days were counted, merges and erasures."""

import random
from collections import Counter, defaultdict
from contextlib import suppress
from datetime import date, timedelta

import pytest
from django.db import transaction
from django.db.models import Count, Max, Sum

from apps.analytics.models import AnalyticsCursor, DailyRollup, EnrollmentDay, MemberStats
from apps.analytics.periods import Period, local_day, merchant_zone
from apps.analytics.rebuild import analytics_rebuild
from apps.analytics.refresh import analytics_refresh
from apps.analytics.selectors import (
    StatusCounts,
    buyers_count,
    cashback_outstanding,
    member_status_counts,
    points_outstanding,
    repeat_buyers_count,
)
from apps.analytics.tasks import refresh_analytics
from apps.core.errors import DomainError
from apps.core.models import Role
from apps.members.models import Channel, Member
from apps.members.services import member_enroll, member_erase, member_merge
from apps.programs.coupons.models import CashbackWallet
from apps.programs.models import Purchase, Refund
from apps.programs.points.models import PointsAccount
from apps.programs.points.rules import program_settings_update
from apps.programs.points.services import lots_expire, points_adjust
from apps.programs.rewards.models import Redemption
from apps.programs.rewards.services import redemption_void, reward_create, reward_redeem
from apps.programs.services import refund_record
from tests.analytics.factories import at, refresh, rollup_snapshot
from tests.core.factories import LocationFactory
from tests.coupons.factories import enable_cashback
from tests.members.factories import enroll
from tests.programs.factories import buy

pytestmark = pytest.mark.django_db

NOW = at(2026, 3, 31, 12)
TODAY = date(2026, 3, 31)


class Trader:
    """Random trading for one merchant, through the services."""

    def __init__(self, team, rng: random.Random, clock):
        self.team, self.rng, self.clock = team, rng, clock
        self.merchant = team.merchant
        self.locations = [team.merchant_location, LocationFactory(merchant=team.merchant), None]
        self.members: list[Member] = []
        self.purchases: list[Purchase] = []
        self.redemptions: list[Redemption] = []
        self.numbers = 0
        program_settings_update(
            merchant=self.merchant, actor=team.manager, points_per_unit=10, expiry_months=1
        )
        self.reward = reward_create(
            merchant=self.merchant,
            actor=team.manager,
            name="Coffee",
            kind="fixed_discount",
            points_cost=100,
            discount_amount=150,
        )

    def _active(self) -> list[Member]:
        return [m for m in self.members if Member.objects.get(pk=m.pk).is_active]

    def enroll(self):
        self.numbers += 1
        channel = self.rng.choice(list(Channel.values))
        self.members.append(
            member_enroll(
                merchant=self.merchant,
                actor=self.rng.choice([self.team.staff, self.team.manager, None]),
                channel=channel,
                first_name="Ana",
                phone=f"+34 622 {self.merchant.pk % 100:02d}{self.numbers:04d}",
                location=self.rng.choice(self.locations),
                enrolled_at=self.clock.now() - timedelta(hours=self.rng.randint(0, 24 * 90)),
            ).member
        )

    def purchase(self):
        active = self._active()
        if not active:
            return
        # Most sales are recent; some arrive late, dated weeks back (a storefront's offline
        # sales), after the refresh counted their day.
        back = self.rng.choice([0, 0, 0, 1, 3, 20, 55])
        when = self.clock.now() - timedelta(days=back, minutes=self.rng.randint(0, 600))
        self.purchases.append(
            buy(
                self.team,
                self.rng.choice(active),
                self.rng.randint(100, 9000),
                at=when,
                location=self.rng.choice(self.locations),
            ).purchase
        )

    def refund(self):
        if not self.purchases:
            return
        purchase = Purchase.objects.get(pk=self.rng.choice(self.purchases).pk)
        left = purchase.amount - purchase.refunded_amount
        if left:
            self.numbers += 1
            refund_record(
                purchase=purchase,
                external_id=f"R-{self.numbers}",
                amount=self.rng.randint(1, left),
            )

    def adjust(self):
        if active := self._active():
            points_adjust(
                member=self.rng.choice(active),
                points=self.rng.choice([-30, 25, 80]),
                reason="correction",
                actor=self.team.manager,
            )

    def redeem(self):
        if active := self._active():
            self.redemptions.append(
                reward_redeem(
                    merchant=self.merchant,
                    member=self.rng.choice(active),
                    reward=self.reward,
                    now=self.clock.now(),
                ).redemption
            )

    def void(self):
        if self.redemptions:
            redemption_void(
                redemption=self.rng.choice(self.redemptions),
                actor=self.team.manager,
                role=Role.MANAGER,
                now=self.clock.now(),
            )

    def merge(self):
        active = self._active()
        if len(active) >= 2:
            survivor, duplicate = self.rng.sample(active, 2)
            member_merge(survivor=survivor, duplicate=duplicate, actor=self.team.manager)

    def erase(self):
        if active := self._active():
            member_erase(member=self.rng.choice(active), actor=self.team.manager)


def _trade(traders: list[Trader], rng: random.Random, clock, steps: int) -> None:
    actions = [
        ("enroll", 10),
        ("purchase", 40),
        ("refund", 8),
        ("adjust", 4),
        ("redeem", 5),
        ("void", 2),
        ("merge", 2),
        ("erase", 1),
        ("expire", 2),
        ("refresh", 8),
    ]
    names, weights = zip(*actions, strict=True)
    for _step in range(steps):
        clock.set(min(clock.now() + timedelta(minutes=rng.randint(1, 120)), NOW))
        action = rng.choices(names, weights)[0]
        if action == "refresh":
            refresh()
        elif action == "expire":
            lots_expire(now=clock.now())
        else:
            # A refusal (not enough points, voided already…) changes nothing. Each step in
            # its own transaction, as a request's.
            with suppress(DomainError), transaction.atomic():
                getattr(rng.choice(traders), action)()


def _check_against_the_sources(trader: Trader) -> None:
    """The rollups against figures computed straight from the source tables."""
    merchant = trader.merchant
    zone = merchant_zone(merchant.timezone)
    today = local_day(NOW, zone)
    daily = DailyRollup.objects.for_merchant(merchant).aggregate(
        purchases=Sum("purchases"), revenue=Sum("revenue"), refunds=Sum("refunds")
    )
    purchases = Purchase.objects.for_merchant(merchant).aggregate(n=Count("pk"), s=Sum("amount"))
    assert (daily["purchases"] or 0, daily["revenue"] or 0) == (purchases["n"], purchases["s"] or 0)
    assert (daily["refunds"] or 0) == Refund.objects.for_merchant(merchant).count()
    balances = PointsAccount.objects.for_merchant(merchant).aggregate(s=Sum("balance"))["s"] or 0
    assert points_outstanding(merchant=merchant, day=today) == balances
    wallets = CashbackWallet.objects.for_merchant(merchant).aggregate(s=Sum("balance"))["s"] or 0
    assert cashback_outstanding(merchant=merchant, day=today) == wallets

    for member in Member.objects.for_merchant(merchant):
        stats = MemberStats.objects.get(member=member)
        totals = Purchase.objects.filter(member=member).aggregate(
            n=Count("pk"),
            spent=Sum("amount"),
            refunded=Sum("refunded_amount"),
            last=Max("occurred_at"),
        )
        assert (stats.purchases, stats.spent, stats.refunded) == (
            totals["n"],
            totals["spent"] or 0,
            totals["refunded"] or 0,
        )
        assert stats.last_purchase_at == totals["last"]
        assert stats.merged == (member.merged_into_id is not None)
        assert stats.enrolled_at == member.enrolled_at

    # Buyers and repeat buyers of a period, from the purchases' days and locations.
    period = Period(today - timedelta(days=40), today - timedelta(days=3))
    visits = defaultdict(set)
    for member_id, location_id, occurred_at in Purchase.objects.for_merchant(merchant).values_list(
        "member_id", "location_id", "occurred_at"
    ):
        day = local_day(occurred_at, zone)
        if period.start <= day <= period.end:
            visits[member_id].add((day, location_id))
    assert buyers_count(merchant=merchant, period=period) == len(visits)
    assert repeat_buyers_count(merchant=merchant, period=period) == sum(
        len(v) >= 2 for v in visits.values()
    )
    for location in trader.locations:
        if location is None:
            continue
        there = [
            {day for day, at in member_visits if at == location.pk}
            for member_visits in visits.values()
        ]
        assert buyers_count(merchant=merchant, period=period, location=location) == sum(
            bool(days) for days in there
        )
        assert repeat_buyers_count(merchant=merchant, period=period, location=location) == sum(
            len(days) >= 2 for days in there
        )

    # Today's statuses from the members' last day seen equal those the months give.
    for location in trader.locations:
        fast = member_status_counts(
            merchant=merchant, day=today, at_risk_days=20, lapsed_days=45, location=location
        )
        from_months = member_status_counts(
            merchant=merchant,
            day=today,
            at_risk_days=20,
            lapsed_days=45,
            location=location,
            today=today + timedelta(days=1),
        )
        assert fast == from_months

    # Statuses at the end of past days (retention's members at the start), from the
    # members and the days of their purchases: active when their last purchase or their
    # enrollment up to that day is at most 20 days old, lapsed past 45.
    days_bought = defaultdict(set)
    for member_id, occurred_at in Purchase.objects.for_merchant(merchant).values_list(
        "member_id", "occurred_at"
    ):
        days_bought[member_id].add(local_day(occurred_at, zone))
    members = list(Member.objects.for_merchant(merchant))
    for day in (today - timedelta(days=back) for back in (1, 6, 15, 30, 50)):
        for location in trader.locations:
            expected = Counter()
            for member in members:
                enrolled_on = local_day(member.enrolled_at, zone)
                if (
                    member.merged_into_id is not None
                    or enrolled_on > day
                    or (member.erased_at and local_day(member.erased_at, zone) <= day)
                    or (location is not None and member.location_id != location.pk)
                ):
                    continue
                seen = max([enrolled_on, *(d for d in days_bought[member.pk] if d <= day)])
                status = (
                    "active"
                    if seen >= day - timedelta(days=20)
                    else "at_risk"
                    if seen >= day - timedelta(days=45)
                    else "lapsed"
                )
                expected["members"] += 1
                expected[status] += 1
                expected["new_active"] += status == "active" and enrolled_on >= day - timedelta(
                    days=9
                )
            counts = member_status_counts(
                merchant=merchant,
                day=day,
                at_risk_days=20,
                lapsed_days=45,
                location=location,
                enrolled_since=day - timedelta(days=9),
                today=today,
            )
            assert counts == StatusCounts(
                **{field: expected[field] for field in StatusCounts.__dataclass_fields__}
            ), (day, location)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_refreshed_rollups_equal_a_rebuild_from_scratch(team, other_team, clock, caplog, seed):
    # given two merchants in different time zones trading at random, with refreshes
    # at random moments in between
    rng = random.Random(seed)
    other_team.merchant.timezone = "America/New_York"
    other_team.merchant.save()
    clock.set(NOW - timedelta(days=12))
    enable_cashback(team, rate_bp=800, threshold=500)
    traders = [Trader(team, rng, clock), Trader(other_team, rng, clock)]
    for trader in traders:
        for _ in range(4):
            trader.enroll()
    _trade(traders, rng, clock, steps=160)
    clock.set(NOW)
    # when the last run has read everything
    refresh()
    refreshed = rollup_snapshot()
    # then a rebuild from scratch finds the same rows, and they agree with the sources
    analytics_rebuild()
    assert rollup_snapshot() == refreshed
    for table in ("DailyRollup", "EnrollmentDay", "MemberMonth", "CohortActivity"):
        assert refreshed[table], f"no {table} rows: the test data exercise nothing"
    for trader in traders:
        _check_against_the_sources(trader)
    assert "below zero" not in caplog.text


def test_a_sale_dated_in_the_past_is_added_to_its_own_day(team, clock):
    clock.set(NOW)
    member = enroll(team, enrolled_at=at(2026, 1, 2))
    buy(team, member, 1000, at=at(2026, 3, 30))
    refresh()
    buy(team, member, 700, at=at(2026, 2, 14))  # reported late, after February was counted
    refresh()
    days = dict(DailyRollup.objects.values_list("day", "revenue"))
    assert days == {date(2026, 2, 14): 700, date(2026, 3, 30): 1000}
    stats = MemberStats.objects.get(member=member)
    assert (stats.purchases, stats.first_purchase_at) == (2, at(2026, 2, 14))


def test_a_day_is_the_merchants_not_utc(team, clock):
    clock.set(NOW)
    member = enroll(team, enrolled_at=at(2026, 1, 2))
    buy(team, member, 1000, at=at(2026, 3, 30, 22))  # 00:00 on the 31st in Madrid (UTC+2)
    refresh()
    assert list(DailyRollup.objects.values_list("day", flat=True)) == [date(2026, 3, 31)]


def test_merges_and_erasures_are_noticed_without_a_new_row(team, clock):
    clock.set(NOW)
    survivor = enroll(team, enrolled_at=at(2026, 3, 1))
    duplicate = enroll(team, enrolled_at=at(2026, 2, 10))
    buy(team, duplicate, 2000, at=at(2026, 3, 2))
    refresh()
    assert MemberStats.objects.get(member=duplicate).purchases == 1

    member_merge(survivor=survivor, duplicate=duplicate, actor=team.manager)
    refresh()
    # The survivor takes the duplicate's purchase and its earlier enrollment; the
    # duplicate counts nowhere.
    kept, gone = MemberStats.objects.get(member=survivor), MemberStats.objects.get(member=duplicate)
    assert (kept.purchases, kept.enrolled_on, kept.merged) == (1, date(2026, 2, 10), False)
    assert (gone.purchases, gone.merged) == (0, True)
    assert list(EnrollmentDay.objects.values_list("day", "members")) == [(date(2026, 2, 10), 1)]

    member_erase(member=survivor, actor=team.manager)
    refresh()
    assert MemberStats.objects.get(member=survivor).erased_on == TODAY
    snapshot = rollup_snapshot()
    analytics_rebuild()
    assert rollup_snapshot() == snapshot


def test_a_record_merged_before_any_run_saw_it_moves_its_survivors_enrollment(team, clock):
    clock.set(NOW)
    survivor = enroll(team, enrolled_at=at(2026, 3, 1))
    refresh()
    duplicate = enroll(team, enrolled_at=at(2026, 1, 20))  # imported with an earlier date
    member_merge(survivor=survivor, duplicate=duplicate, actor=team.manager)
    refresh()
    assert MemberStats.objects.get(member=survivor).enrolled_on == date(2026, 1, 20)
    assert list(EnrollmentDay.objects.values_list("day", "members")) == [(date(2026, 1, 20), 1)]


def test_running_again_adds_nothing(team, clock):
    clock.set(NOW)
    member = enroll(team, enrolled_at=at(2026, 3, 1))
    buy(team, member, 1500, at=at(2026, 3, 2))
    first = refresh()
    snapshot = rollup_snapshot()
    second = refresh()
    assert first.rows["purchases"] == 1
    assert second.rows == dict.fromkeys(second.rows, 0)
    assert rollup_snapshot() == snapshot


def test_the_periodic_task_reads_what_changed(team, clock):
    clock.set(NOW)
    member = enroll(team, enrolled_at=at(2026, 3, 1))
    buy(team, member, 1500, at=at(2026, 3, 2))
    result = refresh_analytics.delay().get()
    assert result["rows"]["purchases"] == 1
    assert result["complete"] is True
    assert DailyRollup.objects.get().revenue == 1500
    assert AnalyticsCursor.objects.get(source="purchases").high == Purchase.objects.get().pk


def test_a_refresh_stopped_by_its_time_budget_goes_on_next_time(team, clock):
    clock.set(NOW)
    member = enroll(team, enrolled_at=at(2026, 3, 1))
    for day in range(1, 8):
        buy(team, member, 100 * day, at=at(2026, 3, day))
    partial = analytics_refresh(budget=0, batch=2)
    assert partial is not None
    assert not partial.complete
    refresh()
    assert DailyRollup.objects.aggregate(s=Sum("revenue"))["s"] == 2800
    snapshot = rollup_snapshot()
    analytics_rebuild()
    assert rollup_snapshot() == snapshot
