"""The periodic refresh run by a real worker through Redis, as beat sends it."""

import pytest
from django.db.models import Sum

from apps.analytics.models import DailyRollup, MemberStats
from apps.analytics.tasks import refresh_analytics
from tests.analytics.factories import at
from tests.celery_worker import worker_recording_runs
from tests.members.factories import enroll
from tests.programs.factories import buy
from tests.waiting import wait_for

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def redis_worker(transactional_db):
    with worker_recording_runs("analytics") as worker:
        yield worker


def test_the_refresh_runs_on_a_worker_and_twice_adds_nothing(redis_worker, team):
    queue, runs = redis_worker
    member = enroll(team)
    buy(team, member, 1200, at=at(2026, 3, 2))
    buy(team, member, 800, at=at(2026, 3, 3))

    refresh_analytics.delay()
    wait_for(lambda: runs, message="the refresh")
    [(name, args, result, eager, routing_key)] = runs
    assert (name, args, eager, routing_key) == (refresh_analytics.name, (), False, queue)
    assert result["rows"]["purchases"] == 2
    assert DailyRollup.objects.aggregate(total=Sum("revenue"))["total"] == 2000
    assert MemberStats.objects.get(member=member).purchases == 2

    refresh_analytics.delay()  # beat's next tick: nothing new
    wait_for(lambda: len(runs) == 2, message="the second refresh")
    assert runs[-1][2]["rows"] == dict.fromkeys(runs[-1][2]["rows"], 0)
    assert DailyRollup.objects.aggregate(total=Sum("revenue"))["total"] == 2000
