"""The sale path runs in one transaction per request, opened at its edge (the API's
`@idempotent`, the counter's view), and creates no savepoint: every service inside joins
the request's transaction (`savepoint=False`), and the coupons a sale issues go in with
`INSERT … ON CONFLICT DO NOTHING` rather than a savepoint to roll back to.

Read from the SQL itself, on PostgreSQL, outside a test transaction (the request's is the
outermost, as in production), with every program on: a tier reached, cashback turned
into a coupon, a referral converted with coupons for both sides, a coupon paying part of
a basket, a full refund taking it all back.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.demo.tiers import configure_demo_tiers
from apps.programs.coupons.models import Coupon
from apps.programs.models import Purchase
from apps.programs.referrals.models import Referral
from tests.api.conftest import key_client
from tests.conftest import make_team
from tests.coupons.factories import enable_cashback
from tests.members.factories import enroll
from tests.referrals.conftest import code_of, referrals_on

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# Written outside the request's transaction, by design: the API key's "last used" mark
# (autocommit, at most once a minute) and the session the counter's response saves.
OUTSIDE = ('UPDATE "core_apikey"', 'UPDATE "django_session"')


def transactions(queries) -> list[list[str]]:
    """The statements of each transaction, in order; statements run outside one
    (autocommit) come alone."""
    found, current = [], None
    for sql in (query["sql"] for query in queries):
        if sql == "BEGIN":
            current = []
        elif sql in ("COMMIT", "ROLLBACK"):
            found.append(current)
            current = None
        elif current is not None:
            current.append(sql)
        else:
            found.append([sql])
    return found


def assert_one_transaction_without_savepoints(queries, *, writes: str) -> None:
    """The request's work (`writes`: an INSERT into that table) is one transaction; no
    SAVEPOINT anywhere; whatever else wrote did so in a transaction of its own (a task run
    on commit) or is one of the known writes outside (`OUTSIDE`)."""
    statements = [query["sql"] for query in queries]
    assert not [sql for sql in statements if "SAVEPOINT" in sql.upper()]
    work = [
        each for each in transactions(queries) if any(f'INTO "{writes}"' in sql for sql in each)
    ]
    assert len(work) == 1
    assert sum('INSERT INTO "programs_purchase"' in sql for sql in work[0]) <= 1
    alone = [each[0] for each in transactions(queries) if len(each) == 1]
    assert [sql for sql in alone if not sql.startswith(("SELECT", *OUTSIDE))] == []


@pytest.fixture
def shop():
    """Tiers, 5 % cashback into 10.00 coupons, referrals paid in 5.00 coupons."""
    team = make_team()
    configure_demo_tiers(team.merchant)
    enable_cashback(team, threshold=1000)
    referrals_on(
        team,
        referrer_reward="coupon",
        referrer_coupon_value=500,
        referred_reward="coupon",
        referred_coupon_value=500,
    )
    return team


def test_a_purchase_and_its_refund_through_the_api_create_no_savepoint(shop):
    ana = enroll(shop, first_name="Ana")
    bea = enroll(shop, first_name="Bea", extras={"referral_code": code_of(ana)})
    storefront = key_client(shop)
    sale = {"member": bea.public_id, "amount": 24_000, "currency": "EUR"}

    with CaptureQueriesContext(connection) as plain:
        first = storefront.post("/api/v1/purchases/", sale | {"external_id": "o-1"}, format="json")
    with CaptureQueriesContext(connection) as keyed:
        second = storefront.post(
            "/api/v1/purchases/",
            sale | {"external_id": "o-2"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="order-2",
        )
    with CaptureQueriesContext(connection) as refund:
        back = storefront.post(
            "/api/v1/purchases/o-1/refunds/",
            {"external_id": "r-1", "amount": 24_000},
            format="json",
            HTTP_IDEMPOTENCY_KEY="refund-1",
        )

    assert (first.status_code, second.status_code, back.status_code) == (201, 201, 201)
    assert first.json()["tier_changed"]
    assert first.json()["coupons_issued"]
    assert "referral_reward" in first.json()
    assert back.json()["referral_reversed"]
    assert Referral.objects.get().referrer_state == "taken_back"  # its task ran on commit
    assert_one_transaction_without_savepoints(plain.captured_queries, writes="programs_purchase")
    assert_one_transaction_without_savepoints(keyed.captured_queries, writes="programs_purchase")
    assert_one_transaction_without_savepoints(refund.captured_queries, writes="programs_refund")


def test_a_purchase_at_the_counter_with_and_without_a_coupon_creates_no_savepoint(shop, client):
    lucia = enroll(shop, first_name="Lucía")
    client.force_login(shop.staff)
    url = reverse("programs:purchase_create", args=[lucia.public_id])

    with CaptureQueriesContext(connection) as plain:
        first = client.post(url, {"amount": "240", "external_id": "T-1"})
    coupon = Coupon.objects.get(member=lucia, source="cashback")
    with CaptureQueriesContext(connection) as with_coupon:
        second = client.post(url, {"amount": "30", "external_id": "T-2", "coupon": coupon.code})

    assert (first.status_code, second.status_code) == (302, 302)
    coupon.refresh_from_db()
    assert coupon.redeemed_purchase == Purchase.objects.get(external_id="T-2")
    assert_one_transaction_without_savepoints(plain.captured_queries, writes="programs_purchase")
    assert_one_transaction_without_savepoints(
        with_coupon.captured_queries, writes="programs_purchase"
    )
