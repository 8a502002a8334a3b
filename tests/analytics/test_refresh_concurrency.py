"""Rows that commit out of order, rolled-back ids, and refreshes running while tills sell:
the races the change feed's gaps are for (apps/analytics/changes.py). PostgreSQL only:
SQLite has one writer at a time, so its rows never commit out of order."""

import threading
import time
from datetime import date

import pytest
from django.db import connection, transaction
from django.db.models import Sum

from apps.analytics.changes import ARM_SECONDS, cursor_gaps
from apps.analytics.lock_objects import analytics_lock
from apps.analytics.models import AnalyticsCursor, DailyRollup, MemberStats
from apps.analytics.rebuild import analytics_rebuild
from apps.analytics.refresh import analytics_refresh
from apps.analytics.tasks import refresh_analytics
from apps.programs.models import Purchase
from tests.analytics.factories import at, refresh, rollup_snapshot
from tests.concurrency import all_at_once
from tests.members.factories import enroll
from tests.programs.factories import buy
from tests.waiting import wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WHEN = at(2026, 3, 2)


def _revenue() -> int:
    return DailyRollup.objects.aggregate(total=Sum("revenue"))["total"] or 0


def _gaps(source: str) -> list:
    return cursor_gaps(AnalyticsCursor.objects.get(source=source))


def _in_a_gap(source: str, pk: int) -> bool:
    """Ids used by earlier tests of the session (rolled back, not reset) are gaps too."""
    return any(gap.low <= pk <= gap.high for gap in _gaps(source))


class SlowTill(threading.Thread):
    """A purchase whose transaction stays open until told to commit: it takes its id
    before purchases that commit first."""

    def __init__(self, team, member, amount):
        super().__init__()
        self.team, self.member, self.amount = team, member, amount
        self.inserted, self.release = threading.Event(), threading.Event()

    def run(self):
        try:
            with transaction.atomic():
                buy(self.team, self.member, self.amount, at=WHEN)
                self.inserted.set()
                self.release.wait(30)
        finally:
            connection.close()


def test_a_purchase_committed_after_a_later_one_is_counted_when_it_commits(team):
    # given a purchase that took its id, then waits to commit (after a first sale made
    # the program's settings rows, which the slow one would otherwise hold locked)
    early, late = enroll(team), enroll(team)
    buy(team, enroll(team), 100, at=WHEN)
    slow = SlowTill(team, early, 1000)
    slow.start()
    assert slow.inserted.wait(30)
    # when a later purchase commits first and the refresh reads past both ids
    buy(team, late, 2000, at=WHEN)
    refresh()
    # then the missing id waits in a gap
    assert _revenue() == 2100
    slow_id = Purchase.objects.get(member=late).pk - 1
    assert _in_a_gap("purchases", slow_id)
    # and once the slow purchase commits, the next run adds it, once
    slow.release.set()
    slow.join()
    assert Purchase.objects.get(member=early).pk == slow_id
    refresh()
    assert _revenue() == 3100
    assert not _in_a_gap("purchases", slow_id)
    assert MemberStats.objects.get(member=early).purchases == 1
    refresh()
    assert _revenue() == 3100
    snapshot = rollup_snapshot()
    analytics_rebuild()
    assert rollup_snapshot() == snapshot


class Rollback(Exception):
    pass


@transaction.atomic
def _buy_then_roll_back(team, member):
    buy(team, member, 999, at=WHEN)
    raise Rollback


def test_the_id_of_a_rolled_back_purchase_is_forgotten_once_nothing_can_fill_it(team):
    member = enroll(team)
    with pytest.raises(Rollback):
        _buy_then_roll_back(team, member)
    kept = buy(team, member, 500, at=WHEN).purchase
    seen = time.time()
    refresh(now=seen)
    gap = _gaps("purchases")[-1]
    assert (gap.high, gap.xmax) == (kept.pk - 1, None)  # not armed: its writer may lack an xid
    refresh(now=seen + ARM_SECONDS - 1)
    assert _in_a_gap("purchases", kept.pk - 1)

    def forgotten():
        refresh(now=seen + ARM_SECONDS)  # armed, then settled once older transactions end
        return not _gaps("purchases")

    wait_for(forgotten, message="the gap to be settled")
    assert _revenue() == 500


def test_refreshes_running_while_tills_sell_count_every_sale_once(team):
    members = [enroll(team) for _ in range(3)]

    def work(n):
        if n < len(members):
            for i in range(12):
                buy(team, members[n], 100 + i, at=WHEN)
            return None
        return [analytics_refresh(budget=None) for _ in range(8)]

    results = all_at_once(len(members) + 2, work)
    refresh()
    assert _revenue() == Purchase.objects.aggregate(total=Sum("amount"))["total"]
    assert DailyRollup.objects.get(day=date(2026, 3, 2)).purchases == 36
    assert any(run is not None for runs in results[len(members) :] for run in runs)
    snapshot = rollup_snapshot()
    analytics_rebuild()
    assert rollup_snapshot() == snapshot


def test_a_refresh_finding_another_at_work_does_nothing(team):
    buy(team, enroll(team), 700, at=WHEN)
    holding, done = threading.Event(), threading.Event()

    def hold_the_lock():
        try:
            with analytics_lock(wait=False) as obtained:
                assert obtained
                holding.set()
                done.wait(30)
        finally:
            connection.close()

    other = threading.Thread(target=hold_the_lock)
    other.start()
    assert holding.wait(30)
    try:
        assert refresh_analytics.delay().get() == {
            "skipped": "another refresh or a rebuild is running"
        }
        assert not DailyRollup.objects.exists()
    finally:
        done.set()
        other.join()
    assert refresh_analytics.delay().get()["rows"]["purchases"] == 1
