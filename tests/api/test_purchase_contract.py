"""The purchase and refund answers hold only the keys their schema declares: every program
that adds to them (tiers, cashback, coupons, referrals) is on, and a referred member's first
purchase, then its full refund, return everything they can; and every key a handler of the
purchase and refund events declares is in the schema."""

import pytest

from apps.core.events import PURCHASE_RECORDED, PURCHASE_REPLAYED, REFUND_RECORDED
from apps.demo.coupons import configure_demo_cashback
from apps.demo.referrals import configure_demo_referrals
from apps.demo.tiers import configure_demo_tiers
from apps.programs.api import PurchaseOut, RefundOut
from apps.programs.coupons.services import coupon_issue
from apps.programs.referrals.services import referral_code_for
from tests.members.factories import enroll

pytestmark = pytest.mark.django_db


def test_every_key_a_purchase_or_refund_answers_is_declared(team, storefront):
    configure_demo_tiers(team.merchant)
    configure_demo_cashback(team.merchant)
    configure_demo_referrals(team.merchant)
    lucia = enroll(team, first_name="Lucía", phone="611 222 333")
    friend = storefront.post(
        "/api/v1/members/",
        {
            "first_name": "Pablo",
            "phone": "611 444 555",
            "referral_code": referral_code_for(member=lucia).code,
        },
        format="json",
    ).json()

    purchase = storefront.post(
        "/api/v1/purchases/",
        {"member": friend["id"], "external_id": "o-1", "amount": 24_000, "currency": "EUR"},
        format="json",
    )
    refund = storefront.post(
        "/api/v1/purchases/o-1/refunds/", {"external_id": "r-1", "amount": 24_000}, format="json"
    )

    assert purchase.status_code == 201, purchase.json()
    assert refund.status_code == 201, refund.json()
    answered, declared = set(purchase.json()), set(PurchaseOut().fields)
    assert {"tier_changed", "referral_reward", "cashback_earned"} <= answered
    assert answered <= declared, answered - declared
    assert set(purchase.json()["referral_reward"]) <= set(
        PurchaseOut().fields["referral_reward"].fields
    )
    answered, declared = set(refund.json()), set(RefundOut().fields)
    assert {"cashback_reversed", "referral_reversed"} <= answered
    assert answered <= declared, answered - declared


def test_a_purchase_with_a_coupon_answers_only_declared_keys(team, storefront):
    configure_demo_tiers(team.merchant)
    configure_demo_cashback(team.merchant)
    lucia = enroll(team, first_name="Lucía", phone="611 222 333")
    coupon = coupon_issue(merchant=team.merchant, member=lucia, value=500, source="manual")

    purchase = storefront.post(
        "/api/v1/purchases/",
        {
            "member": lucia.public_id,
            "external_id": "o-1",
            "amount": 24_000,
            "currency": "EUR",
            "coupon": coupon.code,
        },
        format="json",
    )

    assert purchase.status_code == 201, purchase.json()
    answered, declared = set(purchase.json()), set(PurchaseOut().fields)
    assert {"discount", "paid", "tier_changed", "cashback_earned"} <= answered
    assert answered <= declared, answered - declared


def test_every_key_a_handler_declares_it_writes_is_in_the_schema():
    """What each purchase and refund handler declares (`writes`, checked when it answers)
    is a field of the answer's serializer: a key added by a new handler fails here until
    `PurchaseOut` or `RefundOut` declares it."""
    recorded, replayed = PURCHASE_RECORDED.writes(), PURCHASE_REPLAYED.writes()
    assert {"tier", "tier_changed", "cashback_earned", "coupons_issued", "referral_reward"} <= (
        recorded
    )
    assert recorded <= set(PurchaseOut().fields), recorded - set(PurchaseOut().fields)
    assert replayed <= recorded  # a retry answers nothing the first answer could not hold
    refunded = REFUND_RECORDED.writes()
    assert {"cashback_reversed", "coupons_restored", "referral_reversed"} <= refunded
    assert refunded <= set(RefundOut().fields), refunded - set(RefundOut().fields)
