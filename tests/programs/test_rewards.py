"""The rewards catalog and redemption: services first, then the pages."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.core.errors import Conflict, DomainError, NotAllowed
from apps.core.models import AuditLog, Role
from apps.members.identifiers import CARD_ALPHABET
from apps.members.models import MemberEvent
from apps.programs.points.models import EntryKind, LedgerEntry, Lot
from apps.programs.points.selectors import ledger_mismatches, points_balance
from apps.programs.points.services import points_adjust
from apps.programs.rewards.models import Redemption, Reward, RewardKind
from apps.programs.rewards.selectors import merchant_today, rewards_affordable
from apps.programs.rewards.services import (
    InsufficientPoints,
    RewardUnavailable,
    redemption_void,
    reward_create,
    reward_redeem,
    reward_update,
)
from tests.conftest import refusal
from tests.members.factories import enroll

pytestmark = pytest.mark.django_db


def _reward(team, **fields) -> Reward:
    defaults = {
        "name": "Free coffee",
        "kind": RewardKind.FREE_PRODUCT,
        "product_name": "Coffee",
        "points_cost": 40,
    }
    return reward_create(merchant=team.merchant, actor=team.manager, **{**defaults, **fields})


def _member_with(team, *points: int):
    member = enroll(team)
    for amount in points:
        points_adjust(member=member, points=amount, reason="given", actor=team.manager)
    return member


def _state(member, reward) -> tuple:
    reward.refresh_from_db()
    return (
        points_balance(member=member),
        LedgerEntry.objects.filter(member=member).count(),
        list(Lot.objects.filter(member=member).values_list("remaining", flat=True)),
        Redemption.objects.count(),
        reward.stock,
    )


# Redeeming ------------------------------------------------------------------------------


def test_redeeming_spends_the_oldest_points_and_issues_a_code(team):
    member = _member_with(team, 30, 50)
    reward = _reward(team, stock=5)

    result = reward_redeem(merchant=team.merchant, member=member, reward=reward, actor=team.staff)

    redemption = result.redemption
    assert result.created
    assert result.points_balance == points_balance(member=member) == 40
    assert len(redemption.code) == 8
    assert set(redemption.code) <= set(CARD_ALPHABET)
    assert (redemption.points, redemption.status, redemption.actor) == (40, "issued", team.staff)
    assert list(Lot.objects.filter(member=member).values_list("remaining", flat=True)) == [0, 40]
    entry = LedgerEntry.objects.filter(member=member).first()
    assert (entry.kind, entry.points, entry.balance_after) == (EntryKind.REDEEM, -40, 40)
    assert redemption.code in entry.reason
    reward.refresh_from_db()
    assert reward.stock == 4
    assert MemberEvent.objects.filter(member=member, kind="redemption").exists()
    assert ledger_mismatches(merchant=team.merchant) == []


def test_not_enough_points_is_refused_and_changes_nothing(team):
    member = _member_with(team, 39)
    reward = _reward(team, stock=3)
    before = _state(member, reward)

    with refusal(InsufficientPoints) as refused:
        reward_redeem(merchant=team.merchant, member=member, reward=reward)

    assert (refused.value.code, refused.value.status) == ("insufficient_points", 409)
    assert _state(member, reward) == before


def test_the_last_one_in_stock_goes_once(team):
    reward = _reward(team, stock=1)
    first, second = _member_with(team, 100), _member_with(team, 100)

    reward_redeem(merchant=team.merchant, member=first, reward=reward)
    with refusal(RewardUnavailable, match="out of stock") as refused:
        reward_redeem(merchant=team.merchant, member=second, reward=reward)

    assert refused.value.code == "reward_unavailable"
    reward.refresh_from_db()
    assert reward.stock == 0
    assert points_balance(member=second) == 100


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"valid_from": 1}, "can be redeemed from"),
        ({"valid_until": -1}, "could be redeemed until"),
        ({"is_active": False}, "no longer offered"),
        ({"stock": 0}, "out of stock"),
    ],
)
def test_a_reward_outside_its_days_inactive_or_sold_out_is_unavailable(team, fields, message):
    today = merchant_today(merchant=team.merchant)
    fields = {
        key: today + timedelta(days=value) if key.startswith("valid") else value
        for key, value in fields.items()
    }
    reward = _reward(team, **fields)
    member = _member_with(team, 100)

    with refusal(RewardUnavailable, match=message):
        reward_redeem(merchant=team.merchant, member=member, reward=reward)
    assert points_balance(member=member) == 100
    assert not rewards_affordable(merchant=team.merchant, balance=100).exists()


def test_validity_days_are_inclusive(team):
    today = merchant_today(merchant=team.merchant)
    reward = _reward(team, valid_from=today, valid_until=today)
    member = _member_with(team, 40)
    assert reward_redeem(merchant=team.merchant, member=member, reward=reward).created


def test_the_same_external_id_redeems_once(team):
    member = _member_with(team, 100)
    reward = _reward(team, stock=10)

    first = reward_redeem(merchant=team.merchant, member=member, reward=reward, external_id="R-1")
    again = reward_redeem(merchant=team.merchant, member=member, reward=reward, external_id="R-1")

    assert (first.created, again.created) == (True, False)
    assert again.redemption.pk == first.redemption.pk
    assert points_balance(member=member) == 60
    reward.refresh_from_db()
    assert reward.stock == 9
    other = _reward(team, name="Tea", product_name="Tea", points_cost=10)
    with refusal(Conflict) as reused:
        reward_redeem(merchant=team.merchant, member=member, reward=other, external_id="R-1")
    assert reused.value.code == "redemption_id_reused"


def test_another_merchants_reward_or_member_is_refused(team, other_team):
    member = _member_with(team, 100)
    foreign = _reward(other_team)
    with refusal(DomainError):
        reward_redeem(merchant=team.merchant, member=member, reward=foreign)
    with refusal(DomainError):
        reward_redeem(merchant=other_team.merchant, member=member, reward=foreign)
    assert not Redemption.objects.exists()


# Voiding ----------------------------------------------------------------------------------


def test_voiding_returns_the_points_and_the_stock_once(team):
    member = _member_with(team, 50)
    reward = _reward(team, stock=2)
    redemption = reward_redeem(merchant=team.merchant, member=member, reward=reward).redemption

    first = redemption_void(
        redemption=redemption, actor=team.staff, role=Role.STAFF, reason="wrong member"
    )
    second = redemption_void(redemption=redemption, actor=team.manager, role=Role.MANAGER)

    assert (first.voided, second.voided) == (True, False)
    assert points_balance(member=member) == 50
    reward.refresh_from_db()
    assert reward.stock == 2
    redemption.refresh_from_db()
    assert (redemption.status, redemption.voided_by, redemption.void_reason) == (
        "voided",
        team.staff,
        "wrong member",
    )
    assert LedgerEntry.objects.filter(member=member, kind=EntryKind.VOID).count() == 1
    assert AuditLog.objects.filter(action="reward.redemption_voided").count() == 1
    assert MemberEvent.objects.filter(member=member, kind="redemption_voided").count() == 1
    assert ledger_mismatches(merchant=team.merchant) == []


def test_returned_points_are_a_new_lot_with_the_programs_expiry(team):
    from apps.programs.points.services import program_settings

    settings = program_settings(merchant=team.merchant)
    settings.expiry_months = 12
    settings.save()
    member = _member_with(team, 40)
    redemption = reward_redeem(
        merchant=team.merchant, member=member, reward=_reward(team)
    ).redemption

    redemption_void(redemption=redemption, actor=team.manager, role=Role.MANAGER)

    lot = Lot.objects.filter(member=member, remaining__gt=0).get()
    assert lot.earned_at.date() == timezone.now().date()
    assert lot.expires_at.year == lot.earned_at.year + 1


def test_staff_void_only_on_the_day_managers_any_day(team):
    member = _member_with(team, 100)
    reward = _reward(team)
    redemption = reward_redeem(merchant=team.merchant, member=member, reward=reward).redemption
    tomorrow = timezone.now() + timedelta(days=1)

    with refusal(NotAllowed):
        redemption_void(redemption=redemption, actor=team.staff, role=Role.STAFF, now=tomorrow)
    assert points_balance(member=member) == 60

    result = redemption_void(
        redemption=redemption, actor=team.manager, role=Role.MANAGER, now=tomorrow
    )
    assert result.voided
    assert points_balance(member=member) == 100


def test_redeem_void_redeem_keeps_the_ledger_and_lots_consistent(team):
    member = _member_with(team, 25, 25, 25)
    reward = _reward(team, points_cost=30, stock=3)
    for _ in range(2):
        redemption = reward_redeem(merchant=team.merchant, member=member, reward=reward)
        redemption_void(redemption=redemption.redemption, actor=team.manager, role=Role.MANAGER)
    reward_redeem(merchant=team.merchant, member=member, reward=reward)
    reward_redeem(merchant=team.merchant, member=member, reward=reward)
    with refusal(InsufficientPoints):
        reward_redeem(merchant=team.merchant, member=member, reward=reward)
    assert points_balance(member=member) == 15
    assert ledger_mismatches(merchant=team.merchant) == []


# The catalog ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": RewardKind.FIXED_DISCOUNT, "discount_amount": None}, "discount_amount"),
        ({"kind": RewardKind.FIXED_DISCOUNT, "discount_amount": 0}, "discount_amount"),
        ({"kind": RewardKind.PERCENT_DISCOUNT, "discount_percent": 101}, "discount_percent"),
        ({"kind": RewardKind.PERCENT_DISCOUNT, "discount_percent": 0}, "discount_percent"),
        ({"product_name": "  "}, "product_name"),
        ({"points_cost": 0}, "points_cost"),
        ({"stock": -1}, "stock"),
        ({"name": ""}, "name"),
        ({"kind": "cashback"}, "kind"),
    ],
)
def test_a_reward_without_a_value_for_its_kind_is_refused(team, fields, field):
    with refusal(DomainError) as refused:
        _reward(team, **fields)
    assert refused.value.field == field
    assert not Reward.objects.exists()


def test_a_reward_keeps_only_the_value_of_its_kind(team):
    reward = _reward(
        team,
        kind=RewardKind.FIXED_DISCOUNT,
        discount_amount=250,
        discount_percent=10,
        product_name="ignored",
    )
    assert (reward.discount_amount, reward.currency, reward.discount_percent) == (
        250,
        team.merchant.currency,
        None,
    )
    assert reward.product_name == ""
    assert AuditLog.objects.filter(action="reward.created").exists()


def test_updating_without_the_stock_keeps_what_redemptions_took(team):
    reward = _reward(team, stock=5)
    reward_redeem(merchant=team.merchant, member=_member_with(team, 40), reward=reward)

    reward_update(reward=reward, actor=team.manager, changes={"name": "Big coffee"})

    assert (reward.name, reward.stock) == ("Big coffee", 4)
    assert Redemption.objects.get().reward_name == "Free coffee"  # what was redeemed then


# Pages --------------------------------------------------------------------------------------


def _redeem_url(member):
    return reverse("programs:redemption_create", args=[member.public_id])


def test_staff_redeem_at_the_counter_and_see_the_code(team, client_as):
    member = _member_with(team, 100)
    reward = _reward(team)
    client = client_as(team.staff)

    page = client.get(reverse("programs:member_points", args=[member.public_id]))
    assert "Free coffee" in page.text
    assert "Redeem" in page.text
    response = client.post(
        _redeem_url(member), {"reward": reward.pk, "external_id": "counter-1"}, follow=True
    )

    redemption = Redemption.objects.get()
    assert response.redirect_chain[-1][0] == reverse(
        "programs:redemption_detail", args=[redemption.code]
    )
    assert f"{redemption.code[:4]}-{redemption.code[4:]}" in response.text
    assert "balance 60" in response.text
    assert points_balance(member=member) == 60


def test_a_double_submitted_redeem_redeems_once(team, client_as):
    member = _member_with(team, 100)
    reward = _reward(team)
    client = client_as(team.staff)
    for _ in range(2):
        response = client.post(
            _redeem_url(member), {"reward": reward.pk, "external_id": "counter-2"}, follow=True
        )
    assert "Already redeemed" in response.text
    assert Redemption.objects.count() == 1
    assert points_balance(member=member) == 60


@pytest.mark.parametrize(
    "data",
    [
        {"reward": "abc", "external_id": "x"},
        {"reward": "999999", "external_id": "x"},
        {"external_id": "x"},
        {"reward": "REWARD"},
    ],
)
def test_bad_redeem_input_redeems_nothing(team, client_as, data):
    member = _member_with(team, 100)
    data = {
        key: str(_reward(team).pk) if value == "REWARD" else value for key, value in data.items()
    }
    response = client_as(team.staff).post(_redeem_url(member), data, follow=True)
    assert response.status_code == 200
    assert "Nothing redeemed" in response.text
    assert not Redemption.objects.exists()


def test_not_enough_points_at_the_counter_says_so(team, client_as):
    member = _member_with(team, 10)
    reward = _reward(team)
    response = client_as(team.staff).post(
        _redeem_url(member), {"reward": reward.pk, "external_id": "c-3"}, follow=True
    )
    assert "costs 40 points; the balance is 10" in response.text
    assert points_balance(member=member) == 10


def test_another_merchants_reward_cannot_be_redeemed(team, other_team, client_as):
    member = _member_with(team, 100)
    foreign = _reward(other_team)
    response = client_as(team.staff).post(
        _redeem_url(member), {"reward": foreign.pk, "external_id": "c-4"}, follow=True
    )
    assert "Nothing redeemed" in response.text
    assert not Redemption.objects.exists()


def test_staff_void_from_the_member_page(team, client_as):
    member = _member_with(team, 100)
    redemption = reward_redeem(
        merchant=team.merchant, member=member, reward=_reward(team)
    ).redemption
    client = client_as(team.staff)
    page = client.get(reverse("programs:member_points", args=[member.public_id]))
    assert reverse("programs:redemption_void", args=[redemption.code]) in page.text

    response = client.post(
        reverse("programs:redemption_void", args=[redemption.code]), {"reason": "x"}, follow=True
    )

    assert "40 points returned" in response.text
    assert points_balance(member=member) == 100


def test_a_code_is_found_typed_in_lower_case_with_a_dash(team, client_as):
    member = _member_with(team, 100)
    code = reward_redeem(
        merchant=team.merchant, member=member, reward=_reward(team)
    ).redemption.code
    typed = f"{code[:4]}-{code[4:]}".lower()
    response = client_as(team.staff).get(reverse("programs:redemption_detail", args=[typed]))
    assert response.status_code == 200


def test_a_manager_adds_a_fixed_discount(team, client_as):
    response = client_as(team.manager).post(
        reverse("programs:reward_create"),
        {
            "name": "2.50 off",
            "kind": "fixed_discount",
            "points_cost": "200",
            "discount_amount": "2.50",
            "is_active": "on",
        },
        follow=True,
    )
    assert "Added 2.50 off" in response.text
    reward = Reward.objects.get()
    assert (reward.discount_amount, reward.points_cost, reward.stock) == (250, 200, None)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"points_cost": "abc"}, "points_cost", "whole number"),
        ({"points_cost": "0"}, "points_cost", "greater than or equal to 1"),
        ({"points_cost": "99999999999999999999"}, "points_cost", "less than or equal"),
        ({"discount_amount": "1.234"}, "discount_amount", "decimal"),
        ({"discount_amount": ""}, "discount_amount", "discount amount"),
        ({"kind": "percent_discount", "discount_percent": "150"}, "discount_percent", "100"),
        ({"kind": "percent_discount"}, "discount_percent", "1 to 100"),
        ({"kind": "free_product"}, "product_name", "Name the free product"),
        ({"kind": "gift"}, "kind", "valid choice"),
        ({"stock": "-3"}, "stock", "greater than or equal to 0"),
        ({"valid_from": "2030-02-02", "valid_until": "2030-01-01"}, "valid_until", "before"),
        ({"valid_from": "31/31/2030"}, "valid_from", "valid date"),
    ],
)
def test_bad_catalog_input_is_a_field_error(team, client_as, data, field, message):
    form_data = {
        "name": "Deal",
        "kind": "fixed_discount",
        "points_cost": "100",
        "discount_amount": "5",
        "is_active": "on",
    } | data
    response = client_as(team.manager).post(reverse("programs:reward_create"), form_data)
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert not Reward.objects.exists()


def test_editing_a_reward_without_touching_the_stock_keeps_redemptions_counted(team, client_as):
    reward = _reward(team, stock=5)
    client = client_as(team.manager)
    form = client.get(reverse("programs:reward_edit", args=[reward.pk])).context["form"]
    assert 'name="initial-stock"' in str(form["stock"].as_hidden(only_initial=True))
    reward_redeem(merchant=team.merchant, member=_member_with(team, 40), reward=reward)

    response = client.post(
        reverse("programs:reward_edit", args=[reward.pk]),
        {
            "name": "Large coffee",
            "kind": "free_product",
            "product_name": "Coffee",
            "points_cost": "40",
            "stock": "5",
            "initial-stock": "5",
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    reward.refresh_from_db()
    assert (reward.name, reward.stock) == ("Large coffee", 4)


def test_a_manager_takes_a_reward_off_and_back(team, client_as):
    reward = _reward(team)
    client = client_as(team.manager)
    client.post(reverse("programs:reward_deactivate", args=[reward.pk]))
    reward.refresh_from_db()
    assert not reward.is_active
    listing = client.get(reverse("programs:reward_list"))
    assert "Taken off" in listing.text
    client.post(reverse("programs:reward_deactivate", args=[reward.pk]), {"active": "1"})
    reward.refresh_from_db()
    assert reward.is_active


def test_the_rewards_page_is_in_the_managers_navigation(team, client_as):
    home = client_as(team.manager).get(reverse("home:home"))
    assert reverse("programs:reward_list") in home.text
    home = client_as(team.staff).get(reverse("home:home"))
    assert reverse("programs:reward_list") not in home.text
