"""The upkeep's lock is a lease in a row, so that it holds behind a pooler in transaction
mode: one writer at a time, a dead writer's lease expires, and a writer that lost its
lease stops before writing anything more."""

import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models.functions import Now
from django.utils import timezone

from apps.analytics import lock_objects
from apps.analytics.lock_objects import (
    LEASE_NAME,
    AnalyticsLockLost,
    analytics_lock,
    analytics_transaction,
)
from apps.analytics.models import AnalyticsLease, DailyRollup
from apps.analytics.refresh import analytics_refresh
from tests.members.factories import enroll
from tests.programs.factories import buy

pytestmark = pytest.mark.django_db(transaction=True)


def _someone_else_holds_it(*, ends_in: timedelta) -> None:
    AnalyticsLease.objects.update_or_create(
        name=LEASE_NAME,
        defaults={"holder": uuid.uuid4(), "expires_at": timezone.now() + ends_in},
    )


def test_a_live_lease_makes_the_refresh_skip(team):
    buy(team, enroll(team), 700)
    _someone_else_holds_it(ends_in=timedelta(seconds=60))
    assert analytics_refresh(budget=None) is None
    assert not DailyRollup.objects.exists()


def test_a_dead_runs_lease_is_taken_once_it_expires_and_given_back_after(team):
    buy(team, enroll(team), 700)
    _someone_else_holds_it(ends_in=timedelta(seconds=-1))
    assert analytics_refresh(budget=None).rows["purchases"] == 1
    lease = AnalyticsLease.objects.get(name=LEASE_NAME)
    assert (lease.holder, lease.expires_at) == (None, None)


def test_each_transaction_of_the_run_pushes_the_lease_on(team):
    with analytics_lock(wait=False) as obtained:
        assert obtained
        AnalyticsLease.objects.update(expires_at=timezone.now() + timedelta(seconds=1))
        with analytics_transaction():
            pass
        ends = AnalyticsLease.objects.get().expires_at
    assert ends > timezone.now() + timedelta(seconds=lock_objects.LEASE_SECONDS - 30)


def test_a_long_transaction_commits_with_its_lease_pushed_on_from_its_end(team, monkeypatch):
    monkeypatch.setattr(lock_objects, "LEASE_SECONDS", 1)
    with analytics_lock(wait=False) as obtained:
        assert obtained
        with analytics_transaction():
            time.sleep(1.5)  # longer than the lease
        # Committed with a second to go: no other run may take it before the next one.
        assert AnalyticsLease.objects.get().expires_at > timezone.now()
        with analytics_transaction():
            pass


def test_a_run_that_lost_its_lease_writes_nothing_more(team):
    with analytics_lock(wait=False) as obtained:
        assert obtained
        # It expired (the run stalled) and another run took it.
        AnalyticsLease.objects.update(holder=uuid.uuid4(), expires_at=Now() + timedelta(minutes=1))
        with pytest.raises(AnalyticsLockLost), analytics_transaction():
            pass  # the first run's next transaction: refused before its first write
    # And outside any run, nothing writes rollups.
    with pytest.raises(AnalyticsLockLost), analytics_transaction():
        pass


@pytest.mark.postgres
def test_a_lease_is_not_taken_in_the_middle_of_its_holders_transaction(team, monkeypatch):
    """Expired or not, a lease whose holder is inside a transaction stays with it; another
    run skips at once instead of waiting, and takes it only after that commit."""
    monkeypatch.setattr(lock_objects, "LEASE_SECONDS", 0.2)
    inside, release, outcome = threading.Event(), threading.Event(), {}

    def slow_run():
        try:
            with analytics_lock(wait=False):
                with analytics_transaction():
                    inside.set()
                    release.wait(30)
                time.sleep(0.5)  # the lease ends meanwhile
                try:
                    with analytics_transaction():
                        outcome["second"] = "written"
                except AnalyticsLockLost:
                    outcome["second"] = "lost"
        finally:
            connection.close()

    run = threading.Thread(target=slow_run)
    run.start()
    assert inside.wait(30)
    time.sleep(0.5)  # well past the lease's end
    started = time.monotonic()
    with analytics_lock(wait=False) as obtained:
        assert not obtained
    assert time.monotonic() - started < 1.0  # skipped, not waited for
    release.set()
    time.sleep(0.2)  # the holder's transaction commits
    with analytics_lock(wait=False) as obtained:
        assert obtained
        run.join(30)
    assert outcome == {"second": "lost"}
