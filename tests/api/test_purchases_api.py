"""POST purchases and refunds, and the ledger, through the API."""

import pytest

from apps.core.models import Location
from apps.programs.models import Purchase
from tests.members.factories import enroll
from tests.programs.factories import api_buy, buy

pytestmark = pytest.mark.django_db


@pytest.fixture
def lucia(team):
    return enroll(team, first_name="Lucía", phone="611 222 333")


def test_a_purchase_earns_and_a_retry_answers_the_same_without_earning_again(
    team, storefront, lucia
):
    first = api_buy(storefront, lucia)
    again = api_buy(storefront, lucia)

    assert first.status_code == 201
    body = first.json()
    assert body["id"] == "order-1"
    assert body["member"] == lucia.public_id
    assert body["points_earned"] == body["points_balance"] == 250  # 10 points a euro
    assert again.status_code == 200
    assert again.json()["points_balance"] == 250
    assert Purchase.objects.count() == 1


def test_items_and_location_are_recorded(team, storefront, lucia):
    Location.objects.create(merchant=team.merchant, name="Centro")
    items = [{"sku": "LATTE", "category": "drinks", "quantity": 2, "unit_amount": 350}]

    response = api_buy(storefront, lucia, amount=700, items=items, location="Centro")

    assert response.status_code == 201
    purchase = Purchase.objects.get()
    assert purchase.location.name == "Centro"
    assert purchase.items[0]["sku"] == "LATTE"


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"amount": 0}, "amount"),
        ({"amount": "12.50"}, "amount"),
        ({"currency": "USD"}, "currency"),
        ({"location": "Nowhere"}, "location"),
        ({"items": [{"sku": "X", "quantity": 0, "unit_amount": 100}]}, "items.0.quantity"),
        ({"occurred_at": "2999-01-01T00:00:00Z"}, "occurred_at"),
        ({"external_id": ""}, "external_id"),
    ],
)
def test_bad_purchases_are_400_on_the_field_and_earn_nothing(storefront, lucia, extra, field):
    response = api_buy(storefront, lucia, **extra)

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Purchase.objects.exists()


def test_the_same_id_with_another_amount_is_409(storefront, lucia):
    api_buy(storefront, lucia, amount=2500)

    response = api_buy(storefront, lucia, amount=3000)

    assert response.status_code == 409
    assert response.json()["code"] == "purchase_id_reused"


def test_another_merchants_member_cannot_earn_here(other_team, storefront):
    stranger = enroll(other_team, first_name="Stranger", phone="611 999 999")

    response = api_buy(storefront, stranger)

    assert response.status_code == 400
    assert response.json()["errors"].keys() == {"member"}
    assert not Purchase.objects.exists()


def test_a_refund_takes_points_back_in_proportion_once(team, storefront, lucia):
    api_buy(storefront, lucia, amount=4000)
    url = "/api/v1/purchases/order-1/refunds/"

    first = storefront.post(url, {"external_id": "ref-1", "amount": 1000}, format="json")
    again = storefront.post(url, {"external_id": "ref-1", "amount": 1000}, format="json")
    too_much = storefront.post(url, {"external_id": "ref-2", "amount": 3001}, format="json")

    assert first.status_code == 201
    assert (first.json()["points_reversed"], first.json()["points_balance"]) == (100, 300)
    assert again.status_code == 200
    assert again.json()["points_reversed"] == 100
    assert too_much.status_code == 400
    assert "amount" in too_much.json()["errors"]


def test_refunding_an_unknown_or_foreign_purchase_is_404(team, other_team, storefront):
    stranger = enroll(other_team, first_name="Stranger", phone="611 999 999")
    buy(other_team, stranger, 900, external_id="x-1")

    for purchase_id in ("nope", "x-1"):
        response = storefront.post(
            f"/api/v1/purchases/{purchase_id}/refunds/",
            {"external_id": "r", "amount": 100},
            format="json",
        )
        assert response.status_code == 404
    assert Purchase.objects.get().refunded_amount == 0


def test_an_external_id_with_a_slash_can_be_refunded(storefront, lucia):
    api_buy(storefront, lucia, external_id="2026/11/0042", amount=1000)

    response = storefront.post(
        "/api/v1/purchases/2026/11/0042/refunds/",
        {"external_id": "r", "amount": 1000},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["points_balance"] == 0


def test_the_ledger_pages_newest_first_with_running_balances(
    team, other_storefront, storefront, lucia, monkeypatch
):
    from apps.programs.points import api

    monkeypatch.setattr(api, "LEDGER_PAGE", 2)
    for n in range(3):
        api_buy(storefront, lucia, external_id=f"o-{n}", amount=1000 * (n + 1))
    url = f"/api/v1/members/{lucia.public_id}/ledger/"

    first = storefront.get(url).json()
    second = storefront.get(url, {"before": first["next_before"]}).json()

    assert [e["balance_after"] for e in first["results"]] == [600, 300]
    assert [e["purchase"] for e in first["results"]] == ["o-2", "o-1"]
    assert [e["points"] for e in second["results"]] == [100]
    assert second["next_before"] is None
    assert storefront.get(url, {"before": "x"}).status_code == 400
    assert other_storefront.get(url).status_code == 404
