"""Tiers, cashback, coupons and referrals through the API: the same rules as the counter."""

import pytest

from apps.demo.coupons import configure_demo_cashback
from apps.demo.referrals import configure_demo_referrals
from apps.demo.tiers import configure_demo_tiers
from apps.members.models import Member
from apps.programs.coupons.models import Coupon
from apps.programs.coupons.services import coupon_issue
from apps.programs.referrals.models import Referral
from apps.programs.referrals.services import referral_code_for
from tests.members.factories import enroll
from tests.programs.factories import api_buy

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(team):
    configure_demo_tiers(team.merchant)  # Bronce at 100.00 spent, Plata 300.00, Oro 600.00
    configure_demo_cashback(team.merchant)  # 5 %, a 10.00 coupon each time
    configure_demo_referrals(team.merchant)
    return team.merchant


@pytest.fixture
def lucia(team):
    return enroll(team, first_name="Lucía", phone="611 222 333")


def test_a_purchase_answers_cashback_coupons_and_the_tier_and_a_retry_the_same(
    program, storefront, lucia
):
    first = api_buy(storefront, lucia, 24_000)  # 240.00: Bronce, 12.00 cashback
    retry = api_buy(storefront, lucia, 24_000)

    body = first.json()
    assert first.status_code == 201
    assert (body["tier"], body["tier_changed"]) == ("Bronce", True)
    assert body["cashback_earned"] == 1200
    assert len(body["coupons_issued"]) == 1
    assert retry.status_code == 200
    assert retry.json()["cashback_earned"] == 1200
    assert retry.json()["coupons_issued"] == body["coupons_issued"]
    assert (retry.json()["tier"], retry.json()["tier_changed"]) == ("Bronce", False)


def test_a_member_shows_tier_progress_wallet_coupons_and_referral_code(program, storefront, lucia):
    api_buy(storefront, lucia, 24_000)

    member = storefront.get(f"/api/v1/members/{lucia.public_id}/").json()

    assert member["tier"] == "Bronce"
    assert member["tier_progress"] == {
        "measure": "spend",
        "total": 24_000,
        "next_tier": "Plata",
        "needed": 6_000,
    }
    assert member["cashback_balance"] == 200
    assert [c["value"] for c in member["coupons"]] == [1000]
    assert member["referral_code"] == referral_code_for(member=lucia).code
    assert member["referral_link"].endswith(f"/{member['referral_code']}/")


def test_enrolling_with_a_referral_code_links_the_referrer(program, storefront, lucia):
    code = referral_code_for(member=lucia).code

    friend = storefront.post(
        "/api/v1/members/",
        {"first_name": "Pablo", "phone": "611 444 555", "referral_code": code.lower()},
        format="json",
    )
    bad = storefront.post(
        "/api/v1/members/",
        {"first_name": "Eva", "phone": "611 666 777", "referral_code": "ZZZZZZ"},
        format="json",
    )

    assert friend.status_code == 201
    assert Referral.objects.get().referrer == lucia
    assert bad.status_code == 400
    assert "referral_code" in bad.json()["errors"]
    assert not Member.objects.filter(phone="+34611666777").exists()


def test_a_coupon_is_validated_then_redeemed_once(team, storefront, lucia):
    coupon = coupon_issue(
        merchant=team.merchant, member=lucia, value=500, min_spend=2000, source="manual"
    )

    low = storefront.post(
        "/api/v1/coupons/validate/", {"code": coupon.code, "amount": 1000}, format="json"
    ).json()
    good = storefront.post(
        "/api/v1/coupons/validate/",
        {"code": coupon.code.lower(), "amount": 3000, "member": lucia.public_id},
        format="json",
    ).json()
    redeemed = storefront.post(
        "/api/v1/coupons/redeem/",
        {"code": coupon.code, "amount": 3000, "external_id": "pos-9"},
        format="json",
    )
    retry = storefront.post(
        "/api/v1/coupons/redeem/",
        {"code": coupon.code, "amount": 3000, "external_id": "pos-9"},
        format="json",
    )
    second = storefront.post(
        "/api/v1/coupons/redeem/", {"code": coupon.code, "amount": 3000}, format="json"
    )

    assert (low["valid"], low["reason_code"]) == (False, "coupon_below_min_spend")
    assert (good["valid"], good["discount"]) == (True, 500)
    assert (redeemed.status_code, redeemed.json()["discount"]) == (201, 500)
    assert retry.status_code == 200
    assert second.status_code == 409
    assert second.json()["code"] == "coupon_already_redeemed"
    assert Coupon.objects.get().status == "redeemed"


def test_another_merchants_coupon_is_unknown_here(other_team, storefront):
    stranger = enroll(other_team, first_name="Stranger", phone="611 999 999")
    theirs = coupon_issue(merchant=other_team.merchant, member=stranger, value=500, source="manual")

    check = storefront.post(
        "/api/v1/coupons/validate/", {"code": theirs.code, "amount": 3000}, format="json"
    ).json()
    redeem = storefront.post(
        "/api/v1/coupons/redeem/", {"code": theirs.code, "amount": 3000}, format="json"
    )

    assert (check["valid"], check["reason_code"]) == (False, "coupon_not_found")
    assert redeem.status_code == 400
    assert Coupon.objects.get().status == "issued"


def test_the_program_shows_tiers_cashback_and_referral_terms(program, storefront):
    body = storefront.get("/api/v1/program/").json()

    assert [level["name"] for level in body["tiers"]["levels"]] == ["Bronce", "Plata", "Oro"]
    assert body["cashback"]["rate_bp"] == 500
    assert body["referrals"]["enabled"] is True
