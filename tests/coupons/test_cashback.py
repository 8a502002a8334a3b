"""Cashback: accrual (categories, discounts, rounding), coupons from a full wallet,
refunds in proportion, shortfalls, merges and the reconciliation check."""

import itertools
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.core.models import AuditLog
from apps.members.services import member_merge
from apps.programs.coupons.cashback import basket_cashback, wallet_mismatches
from apps.programs.coupons.models import (
    CashbackEntry,
    CashbackKind,
    CashbackWallet,
    Coupon,
    CouponSource,
    PurchaseCashback,
)
from apps.programs.points.earning import Line
from apps.programs.services import refund_record
from tests.coupons.factories import enable_cashback
from tests.members.factories import enroll
from tests.programs.factories import buy

pytestmark = pytest.mark.django_db


def wallet(member) -> CashbackWallet:
    return CashbackWallet.objects.get(member=member)


def item(category, cents):
    return {"sku": category, "category": category, "quantity": 1, "unit_amount": cents}


# The arithmetic ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "lines", "rate", "categories", "expected"),
    [
        (1000, [], 500, {}, 50),  # 5 % of €10.00
        (1999, [], 500, {}, 99),  # 99.95 rounds down
        (19, [], 500, {}, 0),  # less than a cent
        (1, [], 10_000, {}, 1),  # 100 %
        (0, [], 500, {}, 0),
        # a bakery line at 10 %, the rest of the basket at the general 5 %
        (1500, [Line(1000, category="Bakery")], 500, {"bakery": 1000}, 125),
        # a category at 0 % earns nothing; the uncovered rest earns the general rate
        (1500, [Line(1000, category="tobacco")], 500, {"tobacco": 0}, 25),
        # lines add up to 2000 but 1000 was paid: each line counts half
        (1000, [Line(1000, "a", "bakery"), Line(1000, "b", "wine")], 500, {"bakery": 1000}, 75),
        # rounded once for the basket, not per line: 3 × 0.5 cents make 1
        (30, [Line(10), Line(10), Line(10)], 500, {}, 1),
        (10**12, [], 10_000, {}, 10**12),  # exact for the largest amounts
    ],
)
def test_basket_cashback(amount, lines, rate, categories, expected):
    assert (
        basket_cashback(amount=amount, lines=lines, rate_bp=rate, category_rates=categories)
        == expected
    )


def test_splitting_a_basket_into_lines_never_earns_more():
    whole = basket_cashback(amount=999, lines=[], rate_bp=333, category_rates={})
    split = basket_cashback(
        amount=999, lines=[Line(333), Line(333), Line(333)], rate_bp=333, category_rates={}
    )
    assert split == whole == 33


# Accrual ------------------------------------------------------------------------------


def test_nothing_accrues_while_cashback_is_off(team):
    member = enroll(team)
    result = buy(team, member, 5000)
    assert result.extras.items() >= {"cashback_earned": 0, "coupons_issued": []}.items()
    assert not CashbackWallet.objects.exists()


def test_a_purchase_accrues_cashback_in_the_wallet_with_its_entry(team):
    enable_cashback(team, bakery=1000)
    member = enroll(team)
    result = buy(team, member, 1500, items=[item("Bakery", 1000)])
    assert result.extras.items() >= {"cashback_earned": 125, "coupons_issued": []}.items()
    assert wallet(member).balance == 125
    [entry] = CashbackEntry.objects.filter(member=member)
    assert (entry.kind, entry.amount, entry.balance_after) == (CashbackKind.ACCRUE, 125, 125)
    assert entry.purchase == result.purchase
    assert PurchaseCashback.objects.get(purchase=result.purchase).earned == 125


def test_a_retried_purchase_accrues_once(team):
    enable_cashback(team)
    member = enroll(team)
    buy(team, member, 1000, external_id="T-same")
    again = buy(team, member, 1000, external_id="T-same")
    assert again.created is False
    assert wallet(member).balance == 50
    assert CashbackEntry.objects.count() == 1


def test_a_full_wallet_becomes_coupons_of_exactly_the_threshold(team):
    enable_cashback(team, rate_bp=1000, threshold=1000, days=30, min_spend=2000)
    member = enroll(team)
    buy(team, member, 8000)  # 800
    result = buy(team, member, 24_000)  # +2400 = 3200: three coupons, 200 stays

    assert result.extras["cashback_earned"] == 2400
    codes = result.extras["coupons_issued"]
    assert len(codes) == 3
    coupons = Coupon.objects.filter(code__in=codes)
    assert {coupon.value for coupon in coupons} == {1000}
    for coupon in coupons:
        assert coupon.member == member
        assert coupon.source == CouponSource.CASHBACK
        assert coupon.min_spend == 2000
        assert coupon.source_purchase == result.purchase
        assert (coupon.expires_at - result.purchase.occurred_at).days == 30
    assert wallet(member).balance == 200
    kinds = list(
        CashbackEntry.objects.filter(member=member).order_by("id").values_list("kind", "amount")
    )
    assert kinds == [("accrue", 800), ("accrue", 2400)] + [("convert", -1000)] * 3
    assert member.events.filter(kind="coupon_issued").exists()


# Refunds ------------------------------------------------------------------------------


def test_partial_refunds_take_back_exactly_what_the_whole_would(team):
    enable_cashback(team, threshold=100_000)
    member = enroll(team)
    purchase = buy(team, member, 1000).purchase  # 50
    taken = [
        refund_record(purchase=purchase, external_id=f"R-{n}", amount=333).extras[
            "cashback_reversed"
        ]
        for n in range(3)
    ]
    last = refund_record(purchase=purchase, external_id="R-last", amount=1).extras
    assert taken == [17, 16, 17]  # half up on the running total: 16.65, 33.3, 49.95
    assert sum(taken) + last["cashback_reversed"] == 50
    assert wallet(member).balance == 0
    assert PurchaseCashback.objects.get(purchase=purchase).reversed == 50


def test_a_refund_after_the_cashback_became_a_coupon_leaves_a_shortfall(team):
    enable_cashback(team, rate_bp=1000, threshold=1000)
    member = enroll(team)
    purchase = buy(team, member, 12_000).purchase  # 1200: a coupon of 1000, 200 stays
    assert wallet(member).balance == 200

    extras = refund_record(purchase=purchase, external_id="R-1", amount=12_000).extras

    assert extras["cashback_reversed"] == 1200
    assert extras["cashback_shortfall"] == 1000
    assert (wallet(member).balance, wallet(member).shortfall) == (0, 1000)
    coupon = Coupon.objects.get(member=member)
    assert coupon.status == "issued"  # the coupon stays valid

    # the next cashback settles the shortfall first
    settle = buy(team, member, 11_000)  # 1100: 1000 settles, 100 reaches the wallet
    assert settle.extras.items() >= {"cashback_earned": 1100, "coupons_issued": []}.items()
    assert (wallet(member).balance, wallet(member).shortfall) == (100, 0)
    entry = CashbackEntry.objects.filter(member=member).latest("id")
    assert (entry.amount, entry.reason) == (100, "1000 settled a shortfall")


# Merges and checks --------------------------------------------------------------------


def test_a_merge_moves_the_wallet_with_two_entries(team):
    enable_cashback(team)
    survivor, duplicate = enroll(team), enroll(team)
    buy(team, survivor, 1000)  # 50
    buy(team, duplicate, 2000)  # 100
    member_merge(survivor=survivor, duplicate=duplicate, actor=team.manager)
    assert wallet(survivor).balance == 150
    assert wallet(duplicate).balance == 0
    merge_entries = CashbackEntry.objects.filter(kind=CashbackKind.MERGE)
    assert sorted(merge_entries.values_list("amount", flat=True)) == [-100, 100]
    assert wallet_mismatches(merchant=team.merchant) == []


def test_check_cashback_passes_and_reports_a_wallet_that_does_not_add_up(team):
    enable_cashback(team)
    member = enroll(team)
    buy(team, member, 1000)
    out = StringIO()
    call_command("check_cashback", stdout=out)
    assert "Every wallet" in out.getvalue()

    CashbackWallet.objects.filter(member=member).update(balance=7)
    err = StringIO()
    with pytest.raises(CommandError, match="1 wallet"):
        call_command("check_cashback", stderr=err)
    assert f"member {member.pk}: wallet 7, entries 50" in err.getvalue()


def test_settings_changes_are_audited(team):
    enable_cashback(team, bakery=1000)
    actions = set(AuditLog.objects.filter(merchant=team.merchant).values_list("action", flat=True))
    assert {"cashback.updated", "cashback.category_rate_set"} <= actions


# Property: wallets and coupons reconcile with purchases and refunds --------------------

operations = st.lists(
    st.one_of(
        st.tuples(st.just("buy"), st.integers(min_value=1, max_value=50_000)),
        st.tuples(st.just("refund"), st.integers(min_value=0, max_value=20), st.integers(1, 100)),
    ),
    min_size=1,
    max_size=15,
)


_refunds = itertools.count(1)  # unique across examples, which share the test's database


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations=operations, rate_bp=st.integers(0, 2000), threshold=st.integers(1, 3000))
def test_wallets_and_coupons_reconcile_with_purchases_and_refunds(
    team, operations, rate_bp, threshold
):
    """sum(accrued) − sum(taken back) = wallet + cashback coupons − shortfall, and no
    wallet is ever negative, for any sequence of purchases and partial refunds."""
    enable_cashback(team, rate_bp=rate_bp, threshold=threshold)
    member = enroll(team)
    purchases = []
    for operation in operations:
        if operation[0] == "buy":
            purchases.append(buy(team, member, operation[1]).purchase)
        elif purchases:
            purchase = purchases[operation[1] % len(purchases)]
            purchase.refresh_from_db()
            left = purchase.amount - purchase.refunded_amount
            if left:
                amount = max(1, left * operation[2] // 100)
                refund_record(purchase=purchase, external_id=f"R-{next(_refunds)}", amount=amount)

    records = PurchaseCashback.objects.filter(purchase__member=member)
    accrued = sum(record.earned for record in records)
    taken_back = sum(record.reversed for record in records)
    held = CashbackWallet.objects.filter(member=member).first()
    balance, shortfall = (held.balance, held.shortfall) if held else (0, 0)
    coupons = sum(
        Coupon.objects.filter(member=member, source="cashback").values_list("value", flat=True)
    )
    assert accrued - taken_back == balance + coupons - shortfall
    assert 0 <= balance < threshold
    assert shortfall >= 0
    for purchase in purchases:
        purchase.refresh_from_db()
        if purchase.refunded_amount == purchase.amount and hasattr(purchase, "cashback"):
            assert purchase.cashback.reversed == purchase.cashback.earned
    assert wallet_mismatches(merchant=team.merchant) == []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # the database agrees: no negative wallet
            cursor.execute("SELECT count(*) FROM coupons_cashbackwallet WHERE balance < 0")
            assert cursor.fetchone()[0] == 0


def test_a_retried_purchase_can_answer_its_cashback_and_coupons(team):
    from apps.programs.coupons.selectors import purchase_cashback_extras

    enable_cashback(team, rate_bp=1000, threshold=500)
    member = enroll(team)
    first = buy(team, member, 6000, external_id="T-api")
    again = buy(team, member, 6000, external_id="T-api")
    cashback = {key: first.extras[key] for key in ("cashback_earned", "coupons_issued")}
    assert again.extras.items() >= cashback.items()  # replayed, not earned again
    assert purchase_cashback_extras(purchase=again.purchase) == cashback
    assert len(first.extras["coupons_issued"]) == 1


def test_entries_are_append_only(team):
    enable_cashback(team)
    member = enroll(team)
    buy(team, member, 1000)
    entry = CashbackEntry.objects.get(member=member)
    entry.amount = 1
    with pytest.raises(RuntimeError, match="append-only"):
        entry.save()
