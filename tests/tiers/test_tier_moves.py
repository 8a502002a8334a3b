"""Members moving up on a purchase and down at a review, earning and redeeming by tier."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse

from apps.core.errors import DomainError
from apps.core.events import TIER_CHANGED, TierChanged, subscribe, unsubscribe
from apps.members.models import MemberEvent
from apps.members.services import member_merge
from apps.programs.points.bonuses import bonus_award
from apps.programs.points.models import BonusRule
from apps.programs.points.services import points_adjust
from apps.programs.rewards.selectors import rewards_affordable
from apps.programs.rewards.services import reward_create, reward_redeem
from apps.programs.services import refund_record
from apps.programs.tiers.models import MemberTier, TierChange
from apps.programs.tiers.selectors import member_progress, qualifying_total
from apps.programs.tiers.services import tiers_review
from tests.conftest import refusal
from tests.members.factories import enroll
from tests.programs.factories import buy
from tests.tiers.factories import set_up_tiers

pytestmark = pytest.mark.django_db

MARCH = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def _tier_name(member):
    status = MemberTier.objects.filter(member=member).select_related("tier").first()
    return status.tier.name if status and status.tier else None


# Up ----------------------------------------------------------------------------------


def test_a_purchase_crossing_a_threshold_moves_the_member_up_at_once(team):
    set_up_tiers(team)
    member = enroll(team)
    buy(team, member, 40_000, at=MARCH)
    seen = []
    subscribe(TIER_CHANGED, seen.append, order=50)
    try:
        result = buy(team, member, 15_000, at=MARCH + timedelta(days=1))
    finally:
        unsubscribe(TIER_CHANGED, seen.append)

    assert result.extras.items() >= {"tier": "Silver", "tier_changed": True}.items()
    assert _tier_name(member) == "Silver"
    change = TierChange.objects.get(member=member, to_name="Silver")
    assert (change.from_name, change.direction, change.cause) == ("Bronze", "up", "purchase")
    assert change.qualifying_total == 55_000
    assert change.purchase == result.purchase
    assert seen == [TierChanged(change)]
    event = MemberEvent.objects.filter(member=member, kind="tier_changed").first()
    assert event.summary.startswith("Tier up: Bronze → Silver")
    status = MemberTier.objects.get(member=member)
    assert status.since == MARCH + timedelta(days=1)
    assert status.review_at == datetime(2027, 3, 11, 12, 0, tzinfo=UTC)


def test_purchases_below_the_next_threshold_change_nothing(team):
    set_up_tiers(team)
    member = enroll(team)

    first = buy(team, member, 9_999, at=MARCH)
    second = buy(team, member, 20_000, at=MARCH)  # Bronze reached, Silver is far
    third = buy(team, member, 20_000, at=MARCH)

    assert first.extras.items() >= {"tier": None, "tier_changed": False}.items()
    assert second.extras.items() >= {"tier": "Bronze", "tier_changed": True}.items()
    assert third.extras.items() >= {"tier": "Bronze", "tier_changed": False}.items()
    assert TierChange.objects.filter(member=member).count() == 1


def test_one_purchase_can_jump_several_tiers(team):
    set_up_tiers(team)
    member = enroll(team)

    buy(team, member, 120_000, at=MARCH)

    change = TierChange.objects.get(member=member)
    assert (change.from_name, change.to_name) == ("", "Gold")


def test_the_crossing_purchase_earns_at_the_old_rate_and_the_next_at_the_new(team):
    set_up_tiers(team)  # Silver 125 %, Gold 150 %
    member = enroll(team)

    crossing = buy(team, member, 100_000, at=MARCH)  # €1000 at 10 points per euro
    after = buy(team, member, 1_000, at=MARCH)  # €10

    assert crossing.points_earned == 10_000
    assert after.points_earned == 150
    assert after.points_earned == crossing.points_earned * 150 // 100 // 100


def test_a_deactivated_tier_gives_no_multiplier(team):
    from apps.programs.tiers.services import tier_set_active

    tiers = set_up_tiers(team)
    member = enroll(team)
    buy(team, member, 60_000, at=MARCH)  # Silver
    tier_set_active(tier=tiers["Silver"], actor=team.manager, active=False)

    assert buy(team, member, 1_000, at=MARCH).points_earned == 100


def test_refunds_lower_the_total_but_never_move_anyone_down_before_the_review(team):
    set_up_tiers(team)
    member = enroll(team)
    purchase = buy(team, member, 60_000, at=MARCH).purchase

    refund_record(purchase=purchase, external_id="R-1", amount=30_000, actor=team.staff)

    assert qualifying_total(member=member, end=MARCH) == 30_000
    assert _tier_name(member) == "Silver"


# The qualifying total ----------------------------------------------------------------


def test_the_points_total_counts_purchases_net_of_refunds_and_bonuses_only(team):
    set_up_tiers(team, measure="points", tiers=[("Gold", 100_000, 100)])
    member = enroll(team)
    first = buy(team, member, 10_000, at=MARCH).purchase  # 1000 points
    buy(team, member, 5_000, at=MARCH)  # 500 points
    refund_record(purchase=first, external_id="R-1", amount=2_500, actor=team.staff)  # -250
    BonusRule.objects.create(merchant=team.merchant, action="review", points=40)
    bonus_award(
        merchant=team.merchant, member=member, action="review", external_id="rev-1", at=MARCH
    )
    points_adjust(member=member, points=9_000, reason="goodwill", actor=team.manager)
    reward = reward_create(
        merchant=team.merchant,
        actor=team.manager,
        name="Mug",
        kind="free_product",
        product_name="Mug",
        points_cost=100,
    )
    reward_redeem(merchant=team.merchant, member=member, reward=reward)

    assert qualifying_total(member=member, end=MARCH) == 1000 + 500 - 250 + 40


def test_the_rolling_window_is_the_twelve_months_before_its_end(team):
    set_up_tiers(team)
    member = enroll(team)
    buy(team, member, 1_000, at=MARCH)
    buy(team, member, 2_000, at=MARCH + timedelta(days=200))

    assert qualifying_total(member=member, end=MARCH + timedelta(days=200)) == 3_000
    assert qualifying_total(member=member, end=datetime(2027, 3, 10, 12, tzinfo=UTC)) == 2_000
    assert qualifying_total(member=member, end=MARCH - timedelta(seconds=1)) == 0


# Down at the review ------------------------------------------------------------------


def test_rolling_review_drops_to_the_tier_the_last_twelve_months_support(team):
    set_up_tiers(team)
    member = enroll(team)
    buy(team, member, 60_000, at=datetime(2026, 1, 10, 12, tzinfo=UTC))  # Silver
    buy(team, member, 15_000, at=datetime(2026, 6, 1, 12, tzinfo=UTC))
    review = datetime(2027, 1, 10, 12, tzinfo=UTC)
    assert MemberTier.objects.get(member=member).review_at == review

    assert tiers_review(now=review - timedelta(hours=1)) == 0
    assert _tier_name(member) == "Silver"
    assert tiers_review(now=review + timedelta(hours=1)) == 1

    change = TierChange.objects.filter(member=member).first()
    assert (change.from_name, change.to_name, change.direction) == ("Silver", "Bronze", "down")
    assert (change.cause, change.qualifying_total) == ("review", 15_000)
    assert MemberTier.objects.get(member=member).review_at == datetime(2028, 1, 10, 12, tzinfo=UTC)


def test_rolling_review_with_nothing_bought_leaves_no_tier(team):
    set_up_tiers(team)
    member = enroll(team)
    buy(team, member, 60_000, at=datetime(2026, 1, 10, 12, tzinfo=UTC))

    tiers_review(now=datetime(2027, 1, 11, tzinfo=UTC))

    status = MemberTier.objects.get(member=member)
    assert (status.tier, status.review_at) == (None, None)


def test_the_grace_period_delays_the_drop_and_a_purchase_in_it_keeps_the_tier(team):
    set_up_tiers(team, grace_days=30)
    keeper, leaver = enroll(team), enroll(team)
    start = datetime(2026, 1, 10, 12, tzinfo=UTC)
    for member in (keeper, leaver):
        buy(team, member, 60_000, at=start)
        buy(team, member, 15_000, at=datetime(2026, 6, 1, tzinfo=UTC))
    buy(team, keeper, 40_000, at=datetime(2027, 1, 25, tzinfo=UTC))  # within the grace days

    assert tiers_review(now=datetime(2027, 1, 20, tzinfo=UTC)) == 0
    assert {_tier_name(keeper), _tier_name(leaver)} == {"Silver"}
    tiers_review(now=datetime(2027, 2, 10, 13, tzinfo=UTC))

    assert _tier_name(keeper) == "Silver"
    assert _tier_name(leaver) == "Bronze"
    assert MemberTier.objects.get(member=keeper).review_at == datetime(2028, 1, 10, 12, tzinfo=UTC)
    confirmed = MemberEvent.objects.get(member=keeper, kind="tier_confirmed")
    assert "Silver confirmed" in confirmed.summary


def test_calendar_year_tiers_last_through_the_next_year_then_follow_its_total(team):
    set_up_tiers(team, window="calendar_year")
    member = enroll(team)  # the merchant is in Europe/Madrid
    buy(team, member, 100_000, at=datetime(2026, 12, 20, 12, tzinfo=UTC))  # Gold
    new_year_madrid = datetime(2026, 12, 31, 23, 0, tzinfo=UTC)  # 1 Jan 2027 00:00 CET
    assert MemberTier.objects.get(member=member).review_at == new_year_madrid

    assert tiers_review(now=datetime(2027, 1, 2, tzinfo=UTC)) == 0  # 2026 held Gold
    assert _tier_name(member) == "Gold"
    buy(team, member, 20_000, at=datetime(2027, 5, 1, tzinfo=UTC))
    assert tiers_review(now=datetime(2028, 1, 2, tzinfo=UTC)) == 1

    assert _tier_name(member) == "Bronze"
    assert MemberTier.objects.get(member=member).review_at == datetime(
        2028, 12, 31, 23, 0, tzinfo=UTC
    )
    tiers_review(now=datetime(2029, 1, 2, tzinfo=UTC))
    assert _tier_name(member) is None


def test_the_review_run_twice_gives_the_same_result(team):
    set_up_tiers(team)
    members = [enroll(team) for _ in range(3)]
    for n, member in enumerate(members):
        buy(team, member, 60_000, at=datetime(2026, 1, 10, tzinfo=UTC))
        buy(team, member, 15_000 * n, at=datetime(2026, 6, 1, tzinfo=UTC)) if n else None
    now = datetime(2027, 1, 11, tzinfo=UTC)

    first = tiers_review(now=now)
    state = {m.pk: (_tier_name(m), MemberTier.objects.get(member=m).review_at) for m in members}
    second = tiers_review(now=now)

    assert first == 3
    assert second == 0
    assert TierChange.objects.filter(cause="review").count() == 3
    assert {
        m.pk: (_tier_name(m), MemberTier.objects.get(member=m).review_at) for m in members
    } == state


def test_the_management_command_reviews_as_of_the_given_moment(team):
    set_up_tiers(team)
    member = enroll(team)
    buy(team, member, 60_000, at=datetime(2026, 1, 10, tzinfo=UTC))

    call_command("review_tiers", "--now", "2027-01-11T00:00:00+00:00")
    call_command("review_tiers", "--now", "2027-01-11T00:00:00+00:00")

    assert _tier_name(member) is None
    assert TierChange.objects.filter(member=member, cause="review").count() == 1


# Rewards only some tiers can redeem --------------------------------------------------


def _gold_reward(team, tiers):
    reward = reward_create(
        merchant=team.merchant,
        actor=team.manager,
        name="Private tasting",
        kind="free_product",
        product_name="Tasting",
        points_cost=50,
    )
    tiers["Gold"].rewards.add(reward)
    return reward


def test_a_tier_reward_is_refused_to_other_tiers_and_hidden_from_their_list(team):
    tiers = set_up_tiers(team)
    silver, gold = enroll(team), enroll(team)
    buy(team, silver, 60_000, at=MARCH)
    buy(team, gold, 100_000, at=MARCH)
    reward = _gold_reward(team, tiers)

    with refusal(DomainError) as refused:
        reward_redeem(merchant=team.merchant, member=silver, reward=reward)

    assert refused.value.code == "reward_unavailable"
    assert refused.value.message == "Gold members only: Private tasting."
    assert reward not in rewards_affordable(merchant=team.merchant, balance=9999, member=silver)
    assert reward in rewards_affordable(merchant=team.merchant, balance=9999, member=gold)
    assert reward_redeem(merchant=team.merchant, member=gold, reward=reward).created


def test_a_member_page_lists_only_the_rewards_their_tier_may_redeem(team, client_as):
    tiers = set_up_tiers(team)
    silver = enroll(team)
    buy(team, silver, 60_000, at=MARCH)
    _gold_reward(team, tiers)
    reward_create(
        merchant=team.merchant,
        actor=team.manager,
        name="Coffee",
        kind="free_product",
        product_name="Coffee",
        points_cost=50,
    )

    page = client_as(team.staff).get(reverse("programs:member_points", args=[silver.public_id]))

    assert "Coffee" in page.text
    assert "Private tasting" not in page.text


# Merges ------------------------------------------------------------------------------


def test_a_merge_keeps_the_better_tier(team):
    set_up_tiers(team)
    survivor, duplicate = enroll(team), enroll(team)
    buy(team, survivor, 15_000, at=MARCH)
    buy(team, duplicate, 100_000, at=MARCH)

    member_merge(survivor=survivor, duplicate=duplicate, actor=team.manager)

    assert _tier_name(survivor) == "Gold"
    assert _tier_name(duplicate) is None
    assert TierChange.objects.filter(member=survivor, cause="merge").count() == 1


# Progress ----------------------------------------------------------------------------


def test_progress_is_exact_from_the_purchases(team):
    set_up_tiers(team)
    member = enroll(team)
    buy(team, member, 96_500, at=datetime.now(UTC) - timedelta(days=3))

    progress = member_progress(member=member)

    assert (progress.tier.name, progress.next_tier.name, progress.needed) == (
        "Silver",
        "Gold",
        3_500,
    )


def test_the_demo_tiers_are_set_up_once(team):
    from apps.demo.tiers import configure_demo_tiers

    first = configure_demo_tiers(team.merchant)
    again = configure_demo_tiers(team.merchant)

    assert [tier.name for tier in first] == ["Bronce", "Plata", "Oro"]
    assert [tier.pk for tier in again] == [tier.pk for tier in first]
    assert first[-1].threshold == 60_000
