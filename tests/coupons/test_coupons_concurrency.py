"""Races on coupon redemption: real parallel HTTP requests against PostgreSQL."""

import pytest
from django.urls import reverse

from apps.members.models import MemberEvent
from apps.programs.coupons.models import Coupon, CouponStatus
from apps.programs.models import Purchase
from apps.programs.points.selectors import points_balance
from tests.accounts.factories import PASSWORD
from tests.concurrency import all_at_once, race
from tests.conftest import make_team
from tests.coupons.factories import give_coupon
from tests.http import HttpSession
from tests.members.factories import enroll

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

REQUESTS = 20
TILLS = 4  # signed-in devices; each sends several of the requests


def _tills(live_server, user) -> list[HttpSession]:
    sessions = [HttpSession(live_server.url) for _ in range(TILLS)]
    for session in sessions:
        session.login(user.email, PASSWORD)
    return sessions


def test_twenty_tills_redeeming_one_coupon_redeem_it_once(live_server):
    team = make_team()
    coupon = give_coupon(team, enroll(team), value=500)
    tills = _tills(live_server, team.staff)
    url = reverse("coupons:redeem")
    prepared = [
        (
            tills[n % TILLS],
            tills[n % TILLS].prepare_post(
                url,
                {"code": coupon.code, "amount": "12.00", "redeem_key": f"till-{n}"},
                csrf_page=reverse("coupons:check"),
            ),
        )
        for n in range(REQUESTS)
    ]

    responses = race(prepared)

    statuses = sorted(response.status for response in responses)
    assert statuses == [302] + [400] * (REQUESTS - 1)
    for refused in (response for response in responses if response.status == 400):
        assert "was already used on" in refused.text
    coupon.refresh_from_db()
    assert coupon.status == CouponStatus.REDEEMED
    assert coupon.redeem_key.startswith("till-")
    assert MemberEvent.objects.filter(kind="coupon_redeemed").count() == 1


def test_twenty_retries_of_one_redemption_all_answer_success_and_redeem_once(live_server):
    team = make_team()
    coupon = give_coupon(team, value=500)
    tills = _tills(live_server, team.staff)
    data = {"code": coupon.code, "amount": "12.00", "redeem_key": "till-1-ticket-9"}
    url = reverse("coupons:redeem")
    prepared = [
        (tills[n % TILLS], tills[n % TILLS].prepare_post(url, data, csrf_page="/coupons/check/"))
        for n in range(REQUESTS)
    ]

    responses = race(prepared)

    assert {response.status for response in responses} == {302}
    coupon.refresh_from_db()
    assert (coupon.status, coupon.redeem_key) == (CouponStatus.REDEEMED, "till-1-ticket-9")


def test_twenty_purchases_paying_with_one_coupon_record_one(live_server):
    team = make_team()
    member = enroll(team)
    coupon = give_coupon(team, member, value=500)
    tills = _tills(live_server, team.staff)
    url = reverse("programs:purchase_create", args=[member.public_id])
    page = reverse("programs:member_points", args=[member.public_id])
    prepared = [
        (
            tills[n % TILLS],
            tills[n % TILLS].prepare_post(
                url,
                {"amount": "20.00", "external_id": f"ticket-{n}", "coupon": coupon.code},
                csrf_page=page,
            ),
        )
        for n in range(REQUESTS)
    ]

    responses = race(prepared)

    statuses = sorted(response.status for response in responses)
    assert statuses == [302] + [400] * (REQUESTS - 1)
    [purchase] = Purchase.objects.filter(member=member)
    assert purchase.amount == 1500
    assert points_balance(member=member) == 150
    coupon.refresh_from_db()
    assert (coupon.status, coupon.redeemed_purchase) == (CouponStatus.REDEEMED, purchase)
    assert Coupon.objects.filter(status=CouponStatus.REDEEMED).count() == 1


def test_one_issue_key_issued_by_many_transactions_at_once_is_one_coupon():
    """A retried task and its original, say: `INSERT … ON CONFLICT DO NOTHING` lets every
    one of them answer with the one coupon, with no savepoint and no error."""
    team = make_team()
    member = enroll(team)

    coupons = all_at_once(
        10, lambda _n: give_coupon(team, member, value=500, issue_key="referral-1-referrer")
    )

    assert Coupon.objects.count() == 1
    assert {coupon.pk for coupon in coupons} == {Coupon.objects.get().pk}
