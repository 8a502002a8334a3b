"""The catalog, redemptions, voids, custom events and the program's terms via the API."""

import pytest

from apps.programs.points.models import BonusRule
from apps.programs.points.selectors import points_balance
from apps.programs.points.services import points_adjust
from apps.programs.rewards.models import Redemption
from apps.programs.rewards.services import reward_create
from tests.members.factories import enroll

pytestmark = pytest.mark.django_db


@pytest.fixture
def lucia(team):
    member = enroll(team, first_name="Lucía", phone="611 222 333")
    points_adjust(member=member, points=100, reason="welcome", actor=team.manager)
    return member


@pytest.fixture
def coffee(team):
    return reward_create(
        merchant=team.merchant,
        actor=team.manager,
        name="Free coffee",
        kind="free_product",
        product_name="Coffee",
        points_cost=60,
    )


@pytest.fixture
def cake(team):
    return reward_create(
        merchant=team.merchant,
        actor=team.manager,
        name="Cake",
        kind="fixed_discount",
        discount_amount=500,
        points_cost=150,
    )


def test_the_catalog_says_what_a_member_can_afford(storefront, lucia, coffee, cake):
    everyone = storefront.get("/api/v1/rewards/").json()["results"]
    for_lucia = storefront.get("/api/v1/rewards/", {"member": lucia.public_id}).json()["results"]

    assert [r["id"] for r in everyone] == [coffee.public_id, cake.public_id]
    assert {r["affordable"] for r in everyone} == {None}
    assert [(r["name"], r["affordable"]) for r in for_lucia] == [
        ("Free coffee", True),
        ("Cake", False),
    ]
    assert storefront.get("/api/v1/rewards/", {"member": "mbr_nope"}).status_code == 400


def test_redeeming_spends_once_and_a_void_returns_the_points(storefront, lucia, coffee):
    body = {"reward": coffee.public_id, "member": lucia.public_id, "external_id": "web-7"}

    first = storefront.post("/api/v1/redemptions/", body, format="json")
    again = storefront.post("/api/v1/redemptions/", body, format="json")

    assert first.status_code == 201
    assert (first.json()["points_balance"], first.json()["status"]) == (40, "issued")
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    code = first.json()["id"]

    voided = storefront.post(f"/api/v1/redemptions/{code}/void/", {}, format="json")
    twice = storefront.post(f"/api/v1/redemptions/{code}/void/", {}, format="json")

    assert voided.status_code == 200
    assert (voided.json()["status"], voided.json()["points_balance"]) == ("voided", 100)
    assert twice.json()["points_balance"] == 100
    assert points_balance(member=lucia) == 100


def test_an_unaffordable_reward_is_409_and_spends_nothing(storefront, lucia, cake):
    response = storefront.post(
        "/api/v1/redemptions/", {"reward": cake.public_id, "member": lucia.public_id}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_points"
    assert not Redemption.objects.exists()


def test_another_merchants_reward_or_redemption_is_not_found(
    team, other_team, storefront, other_storefront, lucia, coffee
):
    redeemed = storefront.post(
        "/api/v1/redemptions/",
        {"reward": coffee.public_id, "member": lucia.public_id},
        format="json",
    ).json()
    stranger = enroll(other_team, first_name="Stranger", phone="611 999 999")

    foreign_reward = other_storefront.post(
        "/api/v1/redemptions/",
        {"reward": coffee.public_id, "member": stranger.public_id},
        format="json",
    )
    foreign_void = other_storefront.post(f"/api/v1/redemptions/{redeemed['id']}/void/")

    assert foreign_reward.status_code == 400
    assert "reward" in foreign_reward.json()["errors"]
    assert foreign_void.status_code == 404
    assert Redemption.objects.get().status == "issued"


def test_a_custom_event_earns_its_bonus_within_the_cap_once(team, storefront, lucia):
    BonusRule.objects.create(
        merchant=team.merchant, action="custom", event_type="app_install", points=25, cap_count=1
    )
    body = {"type": "app_install", "member": lucia.public_id, "external_id": "evt-1"}

    first = storefront.post("/api/v1/events/", body, format="json")
    retry = storefront.post("/api/v1/events/", body, format="json")
    second = storefront.post("/api/v1/events/", body | {"external_id": "evt-2"}, format="json")
    unknown = storefront.post(
        "/api/v1/events/", body | {"type": "moon", "external_id": "evt-3"}, format="json"
    )

    assert (first.status_code, first.json()["points_awarded"]) == (201, 25)
    assert (retry.status_code, retry.json()["points_awarded"]) == (200, 25)
    assert second.json()["points_awarded"] == 0
    assert "cap" in second.json()["reason"]
    assert unknown.json()["points_awarded"] == 0
    assert points_balance(member=lucia) == 125


def test_the_program_shows_its_terms(storefront, coffee):
    program = storefront.get("/api/v1/program/").json()

    assert program["currency"] == "EUR"
    assert program["points_per_unit"] > 0
    assert [r["name"] for r in program["rewards"]] == ["Free coffee"]
