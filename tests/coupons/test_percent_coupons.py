"""Percent coupons: issued with a percent instead of a value, worth that percent of the
basket rounded down to the cent, through the check, the redemption, the sale (counter and
API), the refund that gives them back, the API's answers and the pages that show them."""

from urllib.parse import urlsplit

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from apps.core.errors import Conflict, DomainError
from apps.core.templatetags.money import money as money_filter
from apps.core.webhooks.models import WebhookDelivery
from apps.core.webhooks.services import endpoint_create
from apps.portal.selectors import card_url
from apps.programs.coupons import selectors as reasons
from apps.programs.coupons.models import Coupon, CouponStatus
from apps.programs.coupons.selectors import (
    coupon_check,
    coupon_discount,
    coupons_personal_data,
    display_code,
)
from apps.programs.coupons.services import coupon_issue, coupon_issue_by_hand, coupon_redeem
from apps.programs.models import Purchase
from apps.programs.points.selectors import points_balance
from apps.programs.sale import sale_record
from apps.programs.services import refund_record
from tests.api.conftest import key_client
from tests.conftest import refusal
from tests.coupons.factories import enable_cashback, give_coupon, give_percent_coupon
from tests.members.factories import enroll
from tests.programs.factories import api_buy

pytestmark = pytest.mark.django_db


@pytest.fixture
def storefront(team):
    return key_client(team)


def money(team, cents) -> str:
    return money_filter(cents, team.merchant)


def _sale(team, member, basket, code, external_id="T-1"):
    return sale_record(
        merchant=team.merchant,
        member=member,
        external_id=external_id,
        amount=basket,
        coupon_code=code,
        actor=team.staff,
    )


# Issuing ------------------------------------------------------------------------------


def test_a_percent_coupon_is_issued_with_no_value(team):
    coupon = give_percent_coupon(team, enroll(team), percent=15, min_spend=2000)
    coupon.refresh_from_db()
    assert (coupon.percent, coupon.value, coupon.min_spend) == (15, 0, 2000)


@pytest.mark.parametrize(
    ("worth", "field", "message"),
    [
        ({"value": 500, "percent": 15}, "percent", "not both"),
        ({}, "value", "a value (more than zero) or a percent"),
        ({"value": 0, "percent": 0}, "value", "a value (more than zero) or a percent"),
        ({"percent": 101}, "percent", "from 1 to 100"),
        ({"percent": -5}, "percent", "from 1 to 100"),
        ({"percent": 12.5}, "percent", "from 1 to 100"),
        ({"percent": True}, "percent", "from 1 to 100"),
        ({"value": -1}, "value", "more than zero"),
    ],
    ids=["both", "none", "zeros", "over-100", "negative", "not-whole", "bool", "negative-value"],
)
def test_a_coupon_is_worth_a_value_or_a_percent_exactly_one(team, worth, field, message):
    with refusal(DomainError) as refused:
        coupon_issue(merchant=team.merchant, source="campaign", **worth)
    assert refused.value.field == field
    assert message in refused.value.message
    assert not Coupon.objects.exists()


def test_the_database_refuses_a_coupon_with_both_or_neither(team):
    for value, percent in ((500, 15), (0, 0), (0, 101)):
        with pytest.raises(IntegrityError), transaction.atomic():
            Coupon.objects.create(
                merchant=team.merchant,
                code=f"BAD{value}X{percent}",
                value=value,
                percent=percent,
                currency="EUR",
                source="manual",
                issued_at="2026-03-01T10:00:00Z",
            )


def test_a_managers_coupon_of_0_is_refused_on_its_value(team):
    with refusal(DomainError) as refused:
        coupon_issue_by_hand(
            member=enroll(team), value=0, days=30, min_spend=0, reason="oops", actor=team.manager
        )
    assert (refused.value.field, refused.value.message) == (
        "value",
        "The value must be more than zero.",
    )


def test_the_coupon_issued_webhook_carries_the_percent(team):
    endpoint_create(
        merchant=team.merchant,
        actor=team.owner,
        url="https://hooks.example.com/x",
        events=["coupon.issued"],
    )
    give_percent_coupon(team, enroll(team), percent=15)
    give_coupon(team, value=500)

    sent = [d.payload["data"] for d in WebhookDelivery.objects.order_by("pk")]

    assert [(data["value"], data["percent"]) for data in sent] == [(0, 15), (500, 0)]


# The discount -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("percent", "basket", "discount"),
    [
        (15, 999, 149),  # 149.85: rounded down
        (15, 1000, 150),
        (10, 995, 99),  # 99.5: down, not half up
        (33, 301, 99),  # 99.33
        (1, 199, 1),  # 1.99
        (1, 99, 0),  # 0.99: nothing
        (100, 999, 999),  # the whole basket, never more
        (15, 10**12, 15 * 10**10),  # the largest basket the API takes
    ],
)
def test_a_percent_of_the_basket_is_rounded_down_to_the_cent(percent, basket, discount):
    coupon = Coupon(value=0, percent=percent)
    assert coupon_discount(coupon=coupon, amount=basket) == discount


def test_a_fixed_coupon_takes_its_value_at_most_the_basket():
    coupon = Coupon(value=500, percent=0)
    assert coupon_discount(coupon=coupon, amount=2000) == 500
    assert coupon_discount(coupon=coupon, amount=300) == 300


def test_a_percent_coupon_checks_its_minimum_spend_and_its_discount(team):
    coupon = give_percent_coupon(team, percent=15, min_spend=2000)

    below = coupon_check(merchant=team.merchant, code=coupon.code, amount=1999)
    at_minimum = coupon_check(merchant=team.merchant, code=coupon.code, amount=2000)
    odd = coupon_check(merchant=team.merchant, code=coupon.code, amount=2999)

    assert (below.valid, below.reason_code, below.discount) == (
        False,
        reasons.BELOW_MIN_SPEND,
        0,
    )
    assert (at_minimum.valid, at_minimum.discount) == (True, 300)
    assert (odd.valid, odd.discount) == (True, 449)  # 449.85


def test_a_percent_coupon_is_not_spent_on_a_basket_it_takes_nothing_off(team):
    member = enroll(team)
    coupon = give_percent_coupon(team, member, percent=15)

    check = coupon_check(merchant=team.merchant, code=coupon.code, amount=6)  # 0.9 cent
    with refusal(Conflict) as refused:
        _sale(team, member, 6, coupon.code)

    assert (check.valid, check.reason_code) == (False, reasons.NOTHING_OFF)
    assert check.reason == (
        f"Coupon {display_code(code=coupon.code)} takes 15 % off: nothing on a basket of "
        f"{money(team, 6)}."
    )
    assert (refused.value.code, refused.value.field) == (reasons.NOTHING_OFF, "coupon")
    assert not Purchase.objects.exists()
    coupon.refresh_from_db()
    assert coupon.status == CouponStatus.ISSUED


# Redemption ---------------------------------------------------------------------------


def test_a_percent_coupon_is_redeemed_for_its_share_of_the_basket_once(team):
    member = enroll(team)
    coupon = give_percent_coupon(team, member, percent=15)

    first = coupon_redeem(merchant=team.merchant, code=coupon.code, amount=999, redeem_key="k")
    retry = coupon_redeem(merchant=team.merchant, code=coupon.code, amount=999, redeem_key="k")

    assert (first.created, first.discount) == (True, 149)
    assert (retry.created, retry.discount) == (False, 149)
    coupon.refresh_from_db()
    assert (coupon.status, coupon.redeemed_amount, coupon.redeemed_discount) == (
        CouponStatus.REDEEMED,
        999,
        149,
    )
    assert member.events.get(kind="coupon_redeemed").data["discount"] == 149
    with refusal(Conflict, match="another amount"):
        coupon_redeem(merchant=team.merchant, code=coupon.code, amount=1000, redeem_key="k")
    with refusal(Conflict) as again:
        coupon_redeem(merchant=team.merchant, code=coupon.code, amount=999)
    assert again.value.code == reasons.ALREADY_REDEEMED


def test_a_fixed_coupon_keeps_what_it_took_off(team):
    coupon = give_coupon(team, value=500)
    coupon_redeem(merchant=team.merchant, code=coupon.code, amount=300)
    coupon.refresh_from_db()
    assert coupon.redeemed_discount == 300


# The sale -----------------------------------------------------------------------------


def test_a_sale_with_a_percent_coupon_earns_on_what_was_paid(team):
    enable_cashback(team, threshold=100_000)  # 5 %
    member = enroll(team)
    coupon = give_percent_coupon(team, member, percent=15)

    sale = _sale(team, member, 999, display_code(code=coupon.code).lower())

    assert (sale.discount, sale.paid, sale.coupon) == (149, 850, coupon)
    purchase = sale.result.purchase
    assert (purchase.amount, purchase.discount) == (850, 149)
    assert sale.result.points_earned == 85  # a point per 0.10 of the 8.50 paid
    assert sale.result.extras["cashback_earned"] == 42  # 5 % of 8.50, rounded down
    coupon.refresh_from_db()
    assert (coupon.redeemed_purchase, coupon.redeemed_discount) == (purchase, 149)


def test_the_same_ticket_with_a_percent_coupon_answers_the_first_sale(team):
    member = enroll(team)
    coupon = give_percent_coupon(team, member, percent=15)
    first = _sale(team, member, 999, coupon.code)

    again = _sale(team, member, 999, coupon.code)
    with refusal(Conflict) as other_basket:
        _sale(team, member, 1000, coupon.code)

    assert (again.created, again.result.purchase) == (False, first.result.purchase)
    assert (again.discount, again.paid) == (149, 850)
    assert other_basket.value.code == "purchase_id_reused"
    assert points_balance(member=member) == 85


def test_a_100_percent_coupon_pays_the_whole_basket(team):
    member = enroll(team)
    coupon = give_percent_coupon(team, member, percent=100)
    sale = _sale(team, member, 1234, coupon.code)
    assert (sale.paid, sale.discount, sale.result.points_earned) == (0, 1234, 0)


def test_a_full_refund_gives_the_percent_coupon_back_a_partial_one_does_not(team):
    member = enroll(team)
    coupon = give_percent_coupon(team, member, percent=15, min_spend=500)
    purchase = _sale(team, member, 999, coupon.code).result.purchase  # paid 850

    partial = refund_record(purchase=purchase, external_id="R-1", amount=800)
    rest = refund_record(purchase=purchase, external_id="R-2", amount=50)

    assert partial.extras["coupons_restored"] == []
    assert rest.extras["coupons_restored"] == [coupon.code]
    coupon.refresh_from_db()
    assert (coupon.status, coupon.percent, coupon.min_spend) == (CouponStatus.ISSUED, 15, 500)
    assert (coupon.redeemed_amount, coupon.redeemed_discount, coupon.redeemed_purchase) == (
        None,
        None,
        None,
    )
    # Live again, worth its percent of the next basket.
    assert _sale(team, member, 2000, coupon.code, external_id="T-2").discount == 300


# The API ------------------------------------------------------------------------------


def test_the_api_validates_and_redeems_a_percent_coupon(team, storefront):
    lucia = enroll(team, first_name="Lucía", phone="611 222 333")
    coupon = give_percent_coupon(team, lucia, percent=15, min_spend=500)

    low = storefront.post(
        "/api/v1/coupons/validate/", {"code": coupon.code, "amount": 499}, format="json"
    ).json()
    good = storefront.post(
        "/api/v1/coupons/validate/",
        {"code": coupon.code, "amount": 999, "member": lucia.public_id},
        format="json",
    ).json()
    redeemed = storefront.post(
        "/api/v1/coupons/redeem/",
        {"code": coupon.code, "amount": 999, "external_id": "pos-1"},
        format="json",
    )
    retry = storefront.post(
        "/api/v1/coupons/redeem/",
        {"code": coupon.code, "amount": 999, "external_id": "pos-1"},
        format="json",
    )

    assert (low["valid"], low["reason_code"], low["coupon"]) == (
        False,
        reasons.BELOW_MIN_SPEND,
        None,
    )
    assert (good["valid"], good["discount"]) == (True, 149)
    assert (good["coupon"]["value"], good["coupon"]["percent"]) == (0, 15)
    assert good["coupon"]["min_spend"] == 500
    assert redeemed.status_code == 201
    assert (redeemed.json()["discount"], redeemed.json()["coupon"]["percent"]) == (149, 15)
    assert (retry.status_code, retry.json()["discount"]) == (200, 149)


def test_the_api_purchase_with_a_percent_coupon_earns_on_what_was_paid(team, storefront):
    lucia = enroll(team, first_name="Lucía", phone="611 222 333")
    coupon = give_percent_coupon(team, lucia, percent=15)

    response = api_buy(storefront, lucia, 999, coupon=coupon.code.lower())

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["amount"], body["discount"], body["paid"]) == (999, 149, 850)
    assert body["points_earned"] == body["points_balance"] == 85


def test_the_api_shows_a_members_coupons_with_value_and_percent(team, storefront):
    lucia = enroll(team, first_name="Lucía", phone="611 222 333")
    give_percent_coupon(team, lucia, percent=15)
    give_coupon(team, lucia, value=500)

    member = storefront.get(f"/api/v1/members/{lucia.public_id}/").json()

    assert sorted((c["value"], c["percent"]) for c in member["coupons"]) == [(0, 15), (500, 0)]


def test_the_schema_declares_the_coupons_percent(client):
    schema = client.get(reverse("api:schema"), {"format": "json"}).json()
    coupon = schema["components"]["schemas"]["CouponOut"]
    assert {"value", "percent"} <= set(coupon["properties"])
    check = schema["components"]["schemas"]["CouponCheckOut"]["properties"]["coupon"]
    assert "CouponOut" in str(check)


# What people see ----------------------------------------------------------------------


def test_the_member_panel_and_the_coupon_list_show_15_percent(team, client_as):
    member = enroll(team)
    coupon = give_percent_coupon(team, member, percent=15, min_spend=2000)
    give_coupon(team, member, value=700)
    client = client_as(team.manager)

    panel = client.get(reverse("coupons:member_coupons", args=[member.public_id])).text
    listing = client.get(reverse("coupons:list")).text

    assert display_code(code=coupon.code) in panel
    assert "<strong>15 %</strong>" in panel
    assert f"<strong>{money(team, 700)}</strong>" in panel
    assert f"<strong>{money(team, 0)}</strong>" not in panel  # its value is never shown
    assert f"<td>15 % <small>(basket ≥ {money(team, 2000)})</small></td>" in listing
    assert f"<td>{money(team, 700)}</td>" in listing
    assert f"<td>{money(team, 0)}" not in listing


def test_the_check_page_shows_the_percent_and_what_it_takes_off(team, client_as):
    coupon = give_percent_coupon(team, percent=15)
    client = client_as(team.staff)

    page = client.get(reverse("coupons:check"), {"code": coupon.code, "amount": "9.99"})
    form = page.context["redeem_form"]
    data = {name: form[name].value() for name in ("code", "amount", "redeem_key")}
    done = client.post(reverse("coupons:redeem"), data, follow=True)

    assert f"15 % off, {money(team, 149)} on this basket." in page.text
    assert f"used: {money(team, 149)} off." in done.text


def test_the_counter_sale_with_a_percent_coupon_says_what_it_took_off(team, client_as):
    member = enroll(team)
    coupon = give_percent_coupon(team, member, percent=15)

    response = client_as(team.staff).post(
        reverse("programs:purchase_create", args=[member.public_id]),
        {"amount": "9.99", "external_id": "T-9", "coupon": coupon.code},
        follow=True,
    )

    assert (
        f"Coupon {display_code(code=coupon.code)}: {money(team, 149)} off; "
        f"paid {money(team, 850)}. 85 points earned"
    ) in response.text
    assert (Purchase.objects.get().amount, Purchase.objects.get().discount) == (850, 149)


def test_the_members_card_page_shows_15_percent(team, client):
    ana = enroll(team, first_name="Ana", email="ana@example.com", language="es")
    give_percent_coupon(team, ana, percent=15)

    page = client.get(urlsplit(card_url(member=ana)).path).text

    assert "<strong>15 %</strong>" in page


def test_the_members_data_holds_the_percent(team):
    member = enroll(team)
    give_percent_coupon(team, member, percent=15)
    assert [(c["value"], c["percent"]) for c in coupons_personal_data(member)] == [(0, 15)]
