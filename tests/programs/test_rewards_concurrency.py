"""Races on redemption, with real parallel transactions on PostgreSQL."""

import pytest

from apps.core.errors import DomainError
from apps.programs.points.models import LedgerEntry
from apps.programs.points.selectors import ledger_mismatches, points_balance
from apps.programs.points.services import points_adjust
from apps.programs.rewards.models import Redemption, Reward
from apps.programs.rewards.services import reward_create, reward_redeem
from tests.concurrency import all_at_once
from tests.conftest import make_team
from tests.members.factories import enroll

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 20


def _reward(team, **fields):
    return reward_create(
        merchant=team.merchant,
        actor=team.manager,
        name="Free coffee",
        kind="free_product",
        product_name="Coffee",
        points_cost=40,
        **fields,
    )


def test_twenty_tills_redeeming_the_last_affordable_reward_spend_once():
    team = make_team()
    member = enroll(team)
    points_adjust(member=member, points=70, reason="given", actor=team.manager)  # one, not two
    reward = _reward(team)

    results = all_at_once(
        THREADS,
        errors=(DomainError,),
        work=lambda n: reward_redeem(
            merchant=team.merchant, member=member, reward=reward, external_id=f"till-{n}"
        ),
    )

    refused = [result for result in results if isinstance(result, DomainError)]
    assert len(refused) == THREADS - 1
    assert {error.code for error in refused} == {"insufficient_points"}
    assert Redemption.objects.count() == 1
    assert points_balance(member=member) == 30
    assert ledger_mismatches(merchant=team.merchant) == []


def test_twenty_retries_of_one_redemption_redeem_once():
    team = make_team()
    member = enroll(team)
    points_adjust(member=member, points=1000, reason="given", actor=team.manager)
    reward = _reward(team, stock=50)

    results = all_at_once(
        THREADS,
        errors=(DomainError,),
        work=lambda n: reward_redeem(
            merchant=team.merchant, member=member, reward=reward, external_id="order-1"
        ),
    )

    assert sum(result.created for result in results) == 1
    assert {result.redemption.pk for result in results} == {Redemption.objects.get().pk}
    assert LedgerEntry.objects.filter(member=member, kind="redeem").count() == 1
    assert points_balance(member=member) == 960
    assert Reward.objects.get().stock == 49


def test_twenty_members_racing_for_the_last_three_in_stock_get_three():
    team = make_team()
    members = [enroll(team) for _ in range(THREADS)]
    for member in members:
        points_adjust(member=member, points=40, reason="given", actor=team.manager)
    reward = _reward(team, stock=3)

    results = all_at_once(
        THREADS,
        errors=(DomainError,),
        work=lambda n: reward_redeem(merchant=team.merchant, member=members[n], reward=reward),
    )

    refused = [result for result in results if isinstance(result, DomainError)]
    assert {error.code for error in refused} == {"reward_unavailable"}
    assert Redemption.objects.count() == 3
    assert Reward.objects.get().stock == 0
    assert sum(points_balance(member=member) for member in members) == (THREADS - 3) * 40
    assert ledger_mismatches(merchant=team.merchant) == []
