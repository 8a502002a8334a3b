"""POST purchases with a coupon: one call applies it and records the sale, as the counter
does (`sale.sale_record`)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.programs.coupons.models import Coupon, CouponStatus
from apps.programs.coupons.selectors import coupon_check
from apps.programs.coupons.services import coupon_redeem, coupon_void
from apps.programs.models import Purchase
from apps.programs.points.models import LedgerEntry
from apps.programs.points.selectors import points_balance
from tests.coupons.factories import enable_cashback, give_coupon
from tests.members.factories import enroll
from tests.programs.factories import api_buy

pytestmark = pytest.mark.django_db


@pytest.fixture
def lucia(team):
    return enroll(team, first_name="Lucía", phone="611 222 333")


def test_a_coupon_comes_off_the_basket_and_what_was_paid_earns(team, storefront, lucia):
    enable_cashback(team, threshold=100_000)  # 5 %
    coupon = give_coupon(team, lucia, value=500)

    response = api_buy(storefront, lucia, 2500, coupon=coupon.code.lower())

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["amount"], body["discount"], body["paid"]) == (2500, 500, 2000)
    assert body["points_earned"] == body["points_balance"] == 200  # 10 a euro of the 20.00
    assert body["cashback_earned"] == 100  # 5 % of the 20.00
    purchase = Purchase.objects.get()
    assert (purchase.amount, purchase.discount) == (2000, 500)
    coupon.refresh_from_db()
    assert (coupon.status, coupon.redeemed_purchase, coupon.redeemed_amount) == (
        CouponStatus.REDEEMED,
        purchase,
        2500,
    )


def test_without_a_coupon_the_answer_is_as_before(team, storefront, lucia):
    plain = api_buy(storefront, lucia, 2500).json()
    blank = api_buy(storefront, lucia, 2500, external_id="order-2", coupon="").json()

    for body in (plain, blank):
        assert not {"discount", "paid"} & set(body)
        assert (body["amount"], body["points_earned"]) == (2500, 250)
    assert Purchase.objects.filter(discount=0, amount=2500).count() == 2


def test_the_same_sale_again_answers_the_first_result_once(team, storefront, lucia):
    enable_cashback(team, threshold=100_000)
    coupon = give_coupon(team, lucia, value=500)

    first = api_buy(storefront, lucia, 2500, coupon=coupon.code)
    again = api_buy(storefront, lucia, 2500, coupon=coupon.code)
    other_basket = api_buy(storefront, lucia, 3000, coupon=coupon.code)
    without_it = api_buy(storefront, lucia, 2500)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    for conflict in (other_basket, without_it):
        assert conflict.status_code == 409
        assert conflict.json()["code"] == "purchase_id_reused"
    assert Purchase.objects.count() == 1
    assert points_balance(member=lucia) == 200


def test_an_idempotency_key_replays_the_sale(team, storefront, lucia):
    coupon = give_coupon(team, lucia, value=500)
    headers = {"Idempotency-Key": "sale-1"}

    first = api_buy(storefront, lucia, 2500, coupon=coupon.code, headers=headers)
    again = api_buy(storefront, lucia, 2500, coupon=coupon.code, headers=headers)

    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Purchase.objects.count() == 1


def test_a_coupon_worth_the_basket_records_the_sale_paid_0_and_its_refund_gives_it_back(
    team, storefront, lucia
):
    enable_cashback(team, threshold=100_000)
    coupon = give_coupon(team, lucia, value=1000)

    sale = api_buy(storefront, lucia, 800, coupon=coupon.code)

    assert sale.status_code == 201, sale.json()
    body = sale.json()
    assert (body["amount"], body["discount"], body["paid"]) == (800, 800, 0)
    assert (body["points_earned"], body["cashback_earned"]) == (0, 0)
    purchase = Purchase.objects.get()
    assert (purchase.amount, purchase.discount, purchase.points_earned) == (0, 800, 0)
    assert not LedgerEntry.objects.exists()

    url = "/api/v1/purchases/order-1/refunds/"
    money_back = storefront.post(url, {"external_id": "r-1", "amount": 800}, format="json")
    refund = storefront.post(url, {"external_id": "r-1", "amount": 0}, format="json")
    second = storefront.post(url, {"external_id": "r-2", "amount": 0}, format="json")

    assert money_back.status_code == 400  # nothing was paid, nothing goes back
    assert "amount" in money_back.json()["errors"]
    assert refund.status_code == 201, refund.json()
    assert refund.json()["coupons_restored"] == [coupon.code]
    assert refund.json()["points_reversed"] == 0
    assert second.status_code == 400
    coupon.refresh_from_db()
    assert (coupon.status, coupon.redeemed_purchase) == (CouponStatus.ISSUED, None)


def test_a_refund_of_0_of_a_purchase_that_was_paid_is_400(storefront, lucia):
    api_buy(storefront, lucia, 2500)

    response = storefront.post(
        "/api/v1/purchases/order-1/refunds/", {"external_id": "r-1", "amount": 0}, format="json"
    )

    assert response.status_code == 400
    assert "amount" in response.json()["errors"]
    assert Purchase.objects.get().refunded_amount == 0


def _unknown(team, lucia, other_team):
    return "ZZZZZZZZ"


def _void(team, lucia, other_team):
    coupon = give_coupon(team, lucia)
    coupon_void(coupon=coupon, actor=team.manager)
    return coupon.code


def _used(team, lucia, other_team):
    coupon = give_coupon(team, lucia)
    coupon_redeem(merchant=team.merchant, code=coupon.code, amount=1000)
    return coupon.code


def _expired(team, lucia, other_team):
    coupon = give_coupon(team, lucia, expires_at=timezone.now() + timedelta(days=1))
    Coupon.objects.filter(pk=coupon.pk).update(expires_at=timezone.now() - timedelta(days=1))
    return coupon.code


def _another_members(team, lucia, other_team):
    return give_coupon(team, enroll(team)).code


def _basket_too_small(team, lucia, other_team):
    return give_coupon(team, lucia, min_spend=3000).code


def _another_business(team, lucia, other_team):
    return give_coupon(other_team, enroll(other_team)).code


@pytest.mark.parametrize(
    ("make", "reason_code"),
    [
        (_unknown, "coupon_not_found"),
        (_void, "coupon_void"),
        (_used, "coupon_already_redeemed"),
        (_expired, "coupon_expired"),
        (_another_members, "coupon_other_member"),
        (_basket_too_small, "coupon_below_min_spend"),
        (_another_business, "coupon_not_found"),
    ],
    ids=lambda value: getattr(value, "__name__", value).strip("_"),
)
def test_a_coupon_that_cannot_be_used_is_409_with_its_reason_and_records_nothing(
    team, other_team, storefront, lucia, make, reason_code
):
    code = make(team, lucia, other_team)
    before = {coupon.pk: coupon.status for coupon in Coupon.objects.all()}
    events = lucia.events.count()
    reason = coupon_check(merchant=team.merchant, code=code, amount=2500, member=lucia).reason

    response = api_buy(storefront, lucia, 2500, coupon=code)

    assert response.status_code == 409
    assert response.json() == {
        "code": reason_code,
        "message": reason,
        "errors": {"coupon": [reason]},
    }
    assert not Purchase.objects.exists()
    assert not LedgerEntry.objects.exists()
    assert {coupon.pk: coupon.status for coupon in Coupon.objects.all()} == before
    assert lucia.events.count() == events


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"coupon": 123}, "coupon"),
        ({"coupon": "X" * 41}, "coupon"),
        ({"currency": "USD"}, "currency"),
        ({"amount": 0}, "amount"),
        ({"location": "Nowhere"}, "location"),
    ],
)
def test_a_bad_field_beside_a_good_coupon_is_400_and_uses_nothing(
    team, storefront, lucia, extra, field
):
    coupon = give_coupon(team, lucia, value=500)

    response = api_buy(storefront, lucia, **({"coupon": coupon.code} | extra))

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Purchase.objects.exists()
    coupon.refresh_from_db()
    assert coupon.status == CouponStatus.ISSUED
