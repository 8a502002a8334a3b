"""Rewards: both sides on the new member's first qualifying purchase, once; the cap; a
refund that takes the purchase below the minimum takes both back; merges."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.members.services import member_merge
from apps.programs.coupons.models import Coupon
from apps.programs.points.models import LedgerEntry, PointsAccount
from apps.programs.points.selectors import ledger_mismatches, points_balance
from apps.programs.referrals.models import Referral
from apps.programs.referrals.services import referrals_sweep, referrer_settle
from tests.coupons.factories import give_coupon
from tests.members.factories import enroll
from tests.programs.factories import buy
from tests.referrals.conftest import code_of, referrals_on

pytestmark = pytest.mark.django_db

POINTS_PER_EURO = 10  # the program's default earn rate


@pytest.fixture
def ana(team):
    referrals_on(team)
    return enroll(team, first_name="Ana")


def invite(team, referrer, **fields):
    return enroll(team, first_name="Bea", extras={"referral_code": code_of(referrer)}, **fields)


def bonus_points(member) -> int:
    return sum(
        LedgerEntry.objects.filter(member=member, kind="bonus").values_list("points", flat=True)
    )


def test_the_first_qualifying_purchase_rewards_both(team, ana):
    bea = invite(team, ana)

    result = buy(team, bea, 1000, external_id="T-1", run_on_commit=True)

    referral = Referral.objects.get()
    assert referral.status == "rewarded"
    assert referral.qualifying_purchase == result.purchase
    assert referral.referrer_state == "paid"
    assert bonus_points(bea) == 100
    assert bonus_points(ana) == 100
    assert points_balance(member=bea) == 100 + 10 * POINTS_PER_EURO
    assert result.extras["referral_reward"] == {"referral": referral.pk, "points": 100}
    assert referral.referred_entry.reason.startswith("welcome: referred by Ana")
    assert ledger_mismatches(merchant=team.merchant) == []


def test_a_purchase_below_the_minimum_rewards_nobody_and_a_later_one_can(team, ana):
    bea = invite(team, ana)

    buy(team, bea, 999, external_id="T-1", run_on_commit=True)
    assert Referral.objects.get().status == "pending"
    assert bonus_points(bea) == bonus_points(ana) == 0

    buy(team, bea, 1500, external_id="T-2", run_on_commit=True)
    assert Referral.objects.get().qualifying_purchase.external_id == "T-2"
    assert bonus_points(bea) == bonus_points(ana) == 100


def test_a_sale_a_coupon_paid_in_full_converts_no_referral_whatever_the_minimum(team):
    referrals_on(team, min_purchase=0)
    ana = enroll(team, first_name="Ana")
    bea = invite(team, ana)
    coupon = give_coupon(team, bea, value=1000)

    free = buy(team, bea, 800, external_id="T-1", coupon=coupon.code, run_on_commit=True)
    assert (free.purchase.amount, free.purchase.discount) == (0, 800)
    assert "referral_reward" not in free.extras
    assert Referral.objects.get().status == "pending"

    buy(team, bea, 100, external_id="T-2", run_on_commit=True)
    assert Referral.objects.get().qualifying_purchase.external_id == "T-2"
    assert bonus_points(bea) == bonus_points(ana) == 100


def test_a_second_qualifying_purchase_gives_no_second_reward(team, ana):
    bea = invite(team, ana)
    buy(team, bea, 1000, external_id="T-1", run_on_commit=True)

    buy(team, bea, 5000, external_id="T-2", run_on_commit=True)
    buy(team, bea, 1000, external_id="T-1", run_on_commit=True)  # and a retry of the first

    assert bonus_points(bea) == bonus_points(ana) == 100


def test_a_purchase_after_the_window_rewards_nobody(team, ana):
    bea = invite(team, ana)
    late = timezone.now() + timedelta(days=31)

    buy(team, bea, 5000, external_id="T-1", at=late, run_on_commit=True)

    assert Referral.objects.get().status == "pending"
    assert bonus_points(bea) == bonus_points(ana) == 0
    assert referrals_sweep(now=late)["expired"] == 1
    assert Referral.objects.get().status == "expired"
    # Even inside the window, an expired one stays expired.
    buy(team, bea, 5000, external_id="T-2", run_on_commit=True)
    assert bonus_points(bea) == 0


def test_the_sweep_leaves_referrals_inside_their_window(team, ana):
    invite(team, ana)

    assert referrals_sweep()["expired"] == 0
    assert Referral.objects.get().status == "pending"


def test_referrals_switched_off_reward_nobody(team, ana):
    bea = invite(team, ana)
    referrals_on(team, is_enabled=False)

    buy(team, bea, 5000, external_id="T-1", run_on_commit=True)

    assert Referral.objects.get().status == "pending"
    assert bonus_points(bea) == 0


def test_coupon_rewards_are_issued_with_the_expiry_set(team):
    referrals_on(
        team,
        referrer_reward="coupon",
        referrer_coupon_value=500,
        referred_reward="coupon",
        referred_coupon_value=300,
        coupon_days=60,
    )
    ana = enroll(team, first_name="Ana")
    bea = invite(team, ana)

    result = buy(team, bea, 1000, external_id="T-1", run_on_commit=True)

    referral = Referral.objects.get()
    assert (referral.referred_coupon.member, referral.referred_coupon.value) == (bea, 300)
    assert (referral.referrer_coupon.member, referral.referrer_coupon.value) == (ana, 500)
    assert {coupon.source for coupon in Coupon.objects.all()} == {"referral"}
    validity = referral.referred_coupon.expires_at - referral.referred_coupon.issued_at
    assert timedelta(days=59, hours=23) < validity <= timedelta(days=60)
    assert result.extras["referral_reward"]["coupon"] == referral.referred_coupon.code
    assert bonus_points(bea) == bonus_points(ana) == 0


def test_mixed_rewards_and_nothing_for_one_side(team):
    referrals_on(team, referrer_reward="none", referred_reward="coupon", referred_coupon_value=250)
    ana = enroll(team, first_name="Ana")
    bea = invite(team, ana)

    buy(team, bea, 1000, external_id="T-1", run_on_commit=True)

    referral = Referral.objects.get()
    assert referral.referrer_state == "nothing"
    assert Coupon.objects.get().member == bea
    assert bonus_points(ana) == 0


def test_past_the_monthly_cap_the_referrer_gets_nothing_and_the_new_member_still_does(team):
    referrals_on(team, monthly_cap=2)
    ana = enroll(team, first_name="Ana")
    friends = [invite(team, ana, phone=f"+34 622 000 00{n}") for n in range(3)]

    for n, friend in enumerate(friends):
        buy(team, friend, 1000, external_id=f"T-{n}", run_on_commit=True)

    states = list(Referral.objects.order_by("pk").values_list("referrer_state", flat=True))
    assert states == ["paid", "paid", "capped"]
    assert bonus_points(ana) == 200
    assert [bonus_points(friend) for friend in friends] == [100, 100, 100]


def test_the_cap_counts_per_calendar_month_of_the_business(team):
    team.merchant.timezone = "Europe/Madrid"
    team.merchant.save()
    referrals_on(team, monthly_cap=1, window_days=90)
    ana = enroll(team, first_name="Ana")
    now = timezone.now()
    first, second = (invite(team, ana, phone=f"+34 622 000 01{n}") for n in range(2))
    next_month = (now.replace(day=1) + timedelta(days=40)).replace(day=2)

    buy(team, first, 1000, external_id="T-1", run_on_commit=True)
    buy(team, second, 1000, external_id="T-2", at=next_month, run_on_commit=True)

    assert set(Referral.objects.values_list("referrer_state", flat=True)) == {"paid"}
    assert bonus_points(ana) == 200


def test_settling_twice_pays_once(team, ana):
    bea = invite(team, ana)
    buy(team, bea, 1000, external_id="T-1", run_on_commit=True)
    referral = Referral.objects.get()

    assert referrer_settle(referral_id=referral.pk) == "paid"
    assert referrer_settle(referral_id=referral.pk) == "paid"
    assert bonus_points(ana) == 100


def test_a_lost_task_is_made_good_by_the_sweep(team, ana):
    bea = invite(team, ana)
    buy(team, bea, 1000, external_id="T-1")  # what it leaves to run on commit does not run
    assert Referral.objects.get().referrer_state == "due"
    assert bonus_points(ana) == 0

    assert referrals_sweep(now=timezone.now() + timedelta(minutes=11))["settled"] == 1
    assert Referral.objects.get().referrer_state == "paid"
    assert bonus_points(ana) == 100


def test_a_refund_below_the_minimum_reverses_both_rewards(team, ana, refund):
    bea = invite(team, ana)
    purchase = buy(team, bea, 1500, external_id="T-1", run_on_commit=True).purchase

    refund(purchase, 400, "R-1")  # 11.00 left: still qualifies
    assert Referral.objects.get().status == "rewarded"

    result = refund(purchase, 200, "R-2")  # 9.00 left: below 10.00

    referral = Referral.objects.get()
    assert referral.status == "reversed"
    assert referral.referrer_state == "taken_back"
    assert result.extras["referral_reversed"] == referral.pk
    taken = LedgerEntry.objects.filter(kind="refund", reason__contains="referral")
    assert sorted(taken.values_list("member", "points")) == sorted([(ana.pk, -100), (bea.pk, -100)])
    assert points_balance(member=ana) == 0
    assert points_balance(member=bea) == 150 - 60  # the purchase's points less the refunded
    assert ledger_mismatches(merchant=team.merchant) == []


def test_spent_reward_points_become_a_shortfall_when_taken_back(team, ana, refund):
    from apps.programs.points.services import points_adjust

    bea = invite(team, ana)
    purchase = buy(team, bea, 1000, external_id="T-1", run_on_commit=True).purchase
    points_adjust(member=ana, points=-100, reason="spent", actor=team.manager)

    refund(purchase, 1000, "R-1")

    assert points_balance(member=ana) == 0
    assert PointsAccount.objects.get(member=ana).shortfall == 100
    assert ledger_mismatches(merchant=team.merchant) == []


def test_a_refund_voids_an_unused_coupon_and_records_a_used_one_as_lost(team, refund):
    referrals_on(
        team,
        referrer_reward="coupon",
        referrer_coupon_value=500,
        referred_reward="coupon",
        referred_coupon_value=300,
    )
    ana = enroll(team, first_name="Ana")
    bea = invite(team, ana)
    purchase = buy(team, bea, 1000, external_id="T-1", run_on_commit=True).purchase
    referral = Referral.objects.get()
    Coupon.objects.filter(pk=referral.referred_coupon_id).update(
        status="redeemed", redeemed_at=timezone.now()
    )  # Bea already spent hers

    refund(purchase, 1000, "R-1")

    referral.refresh_from_db()
    assert referral.status == "reversed"
    assert referral.coupons_lost == 300
    assert Coupon.objects.get(pk=referral.referrer_coupon_id).status == "void"
    assert Coupon.objects.get(pk=referral.referred_coupon_id).status == "redeemed"


def test_a_refund_before_the_referrer_was_paid_means_they_never_are(team, ana, refund):
    bea = invite(team, ana)
    purchase = buy(team, bea, 1000, external_id="T-1").purchase  # the task never ran

    refund(purchase, 1000, "R-1")
    referral = Referral.objects.get()

    assert referral.referrer_state == "nothing"
    assert referrer_settle(referral_id=referral.pk) == "nothing"
    assert bonus_points(ana) == 0


def test_a_refund_of_another_purchase_changes_nothing(team, ana, refund):
    bea = invite(team, ana)
    buy(team, bea, 1000, external_id="T-1", run_on_commit=True)
    other = buy(team, bea, 1000, external_id="T-2", run_on_commit=True).purchase

    refund(other, 1000, "R-1")

    assert Referral.objects.get().status == "rewarded"
    assert bonus_points(bea) == 100


def test_merging_the_referrer_and_the_new_member_rejects_a_pending_referral(team, ana):
    bea = invite(team, ana)

    member_merge(survivor=ana, duplicate=bea, actor=team.manager)

    referral = Referral.objects.get()
    assert referral.status == "rejected"
    assert "self-referral" in referral.end_reason


def test_merging_the_referrer_and_the_new_member_reverses_a_rewarded_referral(team, ana):
    bea = invite(team, ana)
    buy(team, bea, 1000, external_id="T-1", run_on_commit=True)

    member_merge(survivor=bea, duplicate=ana, actor=team.manager)

    referral = Referral.objects.get()
    assert (referral.status, referral.referrer_state) == ("reversed", "taken_back")
    assert points_balance(member=bea) == 10 * POINTS_PER_EURO  # the purchase's own points
    assert ledger_mismatches(merchant=team.merchant) == []


def test_a_merge_moves_the_duplicates_referrals_to_the_survivor(team, ana):
    bea = invite(team, ana)
    ana_again = enroll(team, first_name="Ana", phone="+34 633 000 001")

    member_merge(survivor=ana_again, duplicate=ana, actor=team.manager)
    buy(team, bea, 1000, external_id="T-1", run_on_commit=True)

    assert Referral.objects.get().referrer == ana_again
    assert bonus_points(ana_again) == 100
