"""The re-evaluation started by a rules change, run by a real worker through Redis."""

from datetime import UTC, datetime, timedelta

import pytest

from apps.programs.tiers.models import JobStatus, MemberTier, TierReevaluation
from apps.programs.tiers.services import tier_create
from apps.programs.tiers.tasks import tier_reevaluation_run
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
    """A real worker on Redis, and a record of the tasks it ran."""
    with worker_recording_runs("tiers") as worker:
        yield worker


def test_adding_a_tier_places_the_members_on_a_worker_through_redis(redis_worker, team):
    queue, runs = redis_worker
    recently = datetime.now(UTC) - timedelta(days=1)
    rich, poor = enroll(team), enroll(team)
    buy(team, rich, 30_000, at=recently)
    buy(team, poor, 1_000, at=recently)

    tier = tier_create(merchant=team.merchant, actor=team.manager, name="Gold", threshold=20_000)

    job = wait_for(
        lambda: TierReevaluation.objects.filter(
            merchant=team.merchant, status=JobStatus.DONE
        ).first(),
        message="the re-evaluation",
    )
    assert (job.members_done, job.changes_count) == (2, 1)
    assert MemberTier.objects.get(member=rich).tier == tier
    assert not MemberTier.objects.filter(member=poor, tier__isnull=False).exists()
    assert runs == [(tier_reevaluation_run.name, (job.pk,), True, False, queue)]

    tier_reevaluation_run.delay(job.pk)  # delivered again: nothing more happens
    wait_for(lambda: len(runs) == 2, message="the repeated task")
    assert runs[-1][2] is False
    assert TierReevaluation.objects.get(pk=job.pk).changes_count == 1
