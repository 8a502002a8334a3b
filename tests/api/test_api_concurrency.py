"""Twenty storefront retries at once, over real HTTP against PostgreSQL: one effect."""

import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from apps.core.api.keys import api_key_create
from apps.programs.models import Purchase
from apps.programs.points.models import LedgerEntry
from apps.programs.points.selectors import points_balance
from tests.conftest import make_team
from tests.members.factories import enroll

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
CLIENTS = 20


def post_all_at_once(
    url: str, key: str, body: dict | list[dict], headers: dict
) -> list[tuple[int, dict]]:
    """POST `body` from CLIENTS threads at once (or each its own, given a list of bodies)."""
    bodies = body if isinstance(body, list) else [body] * CLIENTS
    barrier = threading.Barrier(len(bodies))

    def post(n):
        request = urllib.request.Request(
            url,
            data=json.dumps(bodies[n]).encode(),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
            | headers,
            method="POST",
        )
        barrier.wait()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(post, range(len(bodies))))


@pytest.fixture
def shop(live_server):
    team = make_team()
    member = enroll(team, first_name="Lucía", phone="611 222 333")
    key = api_key_create(merchant=team.merchant, actor=None, name="Shop", scope="write").key
    body = {"member": member.public_id, "external_id": "order-1", "amount": 2500, "currency": "EUR"}
    return f"{live_server.url}/api/v1/purchases/", key, body, member


@pytest.mark.parametrize("with_key", [True, False], ids=["idempotency-key", "external-id-only"])
def test_twenty_identical_purchases_at_once_earn_once(shop, with_key):
    url, key, body, member = shop
    headers = {"Idempotency-Key": "retry-me"} if with_key else {}

    answers = post_all_at_once(url, key, body, headers)

    statuses = sorted(status for status, _body in answers)
    assert Purchase.objects.count() == 1
    assert LedgerEntry.objects.filter(member=member).count() == 1
    assert points_balance(member=member) == 250
    assert statuses.count(201) >= 1
    if with_key:
        # the first, then replays of its answer, or "still running" for twins meanwhile
        assert set(statuses) <= {201, 409}
        assert {b["code"] for s, b in answers if s == 409} <= {"idempotency_key_in_use"}
    else:
        assert statuses.count(201) == 1
        assert set(statuses) == {200, 201}
    assert {b["points_balance"] for s, b in answers if s < 300} == {250}


def test_twenty_redemptions_of_the_last_affordable_reward_spend_once(live_server):
    from apps.programs.points.services import points_adjust
    from apps.programs.rewards.models import Redemption
    from apps.programs.rewards.services import reward_create

    team = make_team()
    member = enroll(team, first_name="Lucía", phone="611 222 333")
    points_adjust(member=member, points=70, reason="given", actor=team.manager)
    reward = reward_create(
        merchant=team.merchant,
        actor=team.manager,
        name="Free coffee",
        kind="free_product",
        product_name="Coffee",
        points_cost=40,
    )
    key = api_key_create(merchant=team.merchant, actor=None, name="Shop", scope="write").key
    body = {"reward": reward.public_id, "member": member.public_id}

    answers = post_all_at_once(f"{live_server.url}/api/v1/redemptions/", key, body, {})

    statuses = sorted(status for status, _body in answers)
    assert statuses == [201] + [409] * (CLIENTS - 1)
    assert {b["code"] for s, b in answers if s == 409} == {"insufficient_points"}
    assert Redemption.objects.count() == 1
    assert points_balance(member=member) == 30


def test_twenty_storefronts_redeeming_one_coupon_redeem_it_once(live_server):
    from apps.programs.coupons.models import Coupon
    from apps.programs.coupons.services import coupon_issue

    team = make_team()
    member = enroll(team, first_name="Lucía", phone="611 222 333")
    coupon = coupon_issue(merchant=team.merchant, member=member, value=500, source="manual")
    key = api_key_create(merchant=team.merchant, actor=None, name="Shop", scope="write").key

    answers = post_all_at_once(
        f"{live_server.url}/api/v1/coupons/redeem/", key, {"code": coupon.code, "amount": 3000}, {}
    )

    statuses = sorted(status for status, _body in answers)
    assert statuses == [201] + [409] * (CLIENTS - 1)
    assert {b["code"] for s, b in answers if s == 409} == {"coupon_already_redeemed"}
    assert Coupon.objects.get().status == "redeemed"


@pytest.mark.parametrize("members", [1, CLIENTS], ids=["one-member", "a-member-each"])
def test_twenty_sales_paying_with_one_coupon_on_different_tickets_record_one(live_server, members):
    """One member's sales wait for each other on the member's lock; different members'
    race on the coupon's conditional UPDATE (an unbound coupon, as one typed at a till)."""
    from apps.programs.coupons.models import Coupon
    from apps.programs.coupons.services import coupon_issue

    team = make_team()
    buyers = [enroll(team) for _n in range(members)]
    coupon = coupon_issue(
        merchant=team.merchant,
        member=buyers[0] if members == 1 else None,
        value=500,
        source="manual",
    )
    key = api_key_create(merchant=team.merchant, actor=None, name="Shop", scope="write").key
    bodies = [
        {
            "member": buyers[n % members].public_id,
            "external_id": f"order-{n}",
            "amount": 2500,
            "currency": "EUR",
            "coupon": coupon.code,
        }
        for n in range(CLIENTS)
    ]

    answers = post_all_at_once(f"{live_server.url}/api/v1/purchases/", key, bodies, {})

    statuses = sorted(status for status, _body in answers)
    assert statuses == [201] + [409] * (CLIENTS - 1)
    assert {b["code"] for s, b in answers if s == 409} == {"coupon_already_redeemed"}
    [won] = [b for s, b in answers if s == 201]
    assert (won["discount"], won["paid"], won["points_earned"]) == (500, 2000, 200)
    [purchase] = Purchase.objects.all()
    assert (purchase.external_id, purchase.amount, purchase.discount) == (won["id"], 2000, 500)
    assert LedgerEntry.objects.count() == 1
    assert points_balance(member=purchase.member) == 200
    coupon = Coupon.objects.get()
    assert (coupon.status, coupon.redeemed_purchase) == ("redeemed", purchase)


def test_twenty_retries_of_one_sale_with_a_coupon_record_it_once(shop):
    from apps.programs.coupons.services import coupon_issue

    url, key, body, member = shop
    coupon = coupon_issue(merchant=member.merchant, member=member, value=500, source="manual")

    answers = post_all_at_once(url, key, body | {"coupon": coupon.code}, {})

    assert sorted(status for status, _body in answers) == [200] * (CLIENTS - 1) + [201]
    assert {(b["discount"], b["paid"], b["points_balance"]) for _s, b in answers} == {
        (500, 2000, 200)
    }
    assert Purchase.objects.count() == 1
    assert points_balance(member=member) == 200


def test_one_order_id_sent_for_twenty_members_at_once_records_one_and_no_500(live_server):
    """Each member's lock orders only that member's sales: twenty members racing on one
    order id meet at the unique constraint, and the losers get a 409, never a 500."""
    team = make_team()
    buyers = [enroll(team) for _n in range(CLIENTS)]
    key = api_key_create(merchant=team.merchant, actor=None, name="Shop", scope="write").key
    bodies = [
        {"member": buyer.public_id, "external_id": "order-1", "amount": 2500, "currency": "EUR"}
        for buyer in buyers
    ]

    answers = post_all_at_once(f"{live_server.url}/api/v1/purchases/", key, bodies, {})

    statuses = sorted(status for status, _body in answers)
    assert statuses == [201] + [409] * (CLIENTS - 1), statuses
    assert {b["code"] for s, b in answers if s == 409} <= {"purchase_id_reused", "conflict_retry"}
    [purchase] = Purchase.objects.all()
    assert LedgerEntry.objects.count() == 1
    assert points_balance(member=purchase.member) == 250
