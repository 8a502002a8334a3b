"""Coupons at the counter, on a phone: pay part of a purchase with a coupon."""

import re

import pytest
from playwright.sync_api import expect

from apps.core.templatetags.money import money
from apps.programs.coupons.models import CouponStatus
from apps.programs.models import Purchase
from tests.browser.conftest import PHONE, console_errors
from tests.browser.test_counter_points import assert_no_sideways_scroll, open_member, purchase_form
from tests.coupons.factories import give_coupon
from tests.members.factories import enroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", [PHONE], ids=["phone"])
def test_staff_redeem_a_coupon_with_a_purchase(page, viewport, team, sign_in):
    member = enroll(team)
    coupon = give_coupon(team, member, value=500)
    shown = f"{coupon.code[:4]}-{coupon.code[4:]}"
    errors = console_errors(page)
    sign_in(page, team.staff)

    points = open_member(page, member)
    coupons = page.locator("section#coupons")
    expect(coupons.get_by_role("heading", level=2)).to_have_text("Coupons")
    expect(coupons.locator(".coupon-code")).to_have_text([shown])
    assert_no_sideways_scroll(page, viewport)

    form = purchase_form(points)
    form.get_by_label("Amount").fill("20.00")
    form.get_by_label("Coupon code").fill(shown.lower())
    form.get_by_role("button", name="Record purchase").click()

    expect(page).to_have_url(re.compile(rf"/members/{member.public_id}/$"))
    expect(page.locator(".messages")).to_contain_text(
        f"Coupon {shown}: {money(500, team.merchant)} off; "
        f"paid {money(1500, team.merchant)}. 150 points earned; balance 150."
    )
    expect(page.locator("section#points").get_by_role("heading", level=2)).to_have_text(
        "Points: 150"
    )
    coupons = page.locator("section#coupons")
    expect(coupons.get_by_text("No live coupons.")).to_be_visible()
    expect(coupons.locator(".coupon-code")).to_have_count(0)
    assert_no_sideways_scroll(page, viewport)

    coupon.refresh_from_db()
    assert coupon.status == CouponStatus.REDEEMED
    assert coupon.redeemed_purchase == Purchase.objects.get(member=member)
    assert not errors, f"errors in the browser console: {errors}"


@pytest.mark.parametrize("viewport", [PHONE], ids=["phone"])
def test_a_coupon_that_cannot_be_used_is_a_form_error(page, viewport, team, sign_in):
    member = enroll(team)
    coupon = give_coupon(team, member, value=500, min_spend=3000)
    shown = f"{coupon.code[:4]}-{coupon.code[4:]}"
    sign_in(page, team.staff)

    form = purchase_form(open_member(page, member))
    form.get_by_label("Amount").fill("20.00")
    form.get_by_label("Coupon code").fill(shown)
    form.get_by_role("button", name="Record purchase").click()

    expect(page.get_by_text(f"Coupon {shown} needs a basket of at least")).to_be_visible()
    expect(page.get_by_label("Coupon code")).to_have_value(shown)
    assert_no_sideways_scroll(page, viewport)
    assert not Purchase.objects.exists()
