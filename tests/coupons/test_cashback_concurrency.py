"""Races on one member's wallet, with real parallel transactions on PostgreSQL: the
ledger writes the wallet under the member's one lock, so concurrent purchases add up."""

import pytest

from apps.programs.coupons.cashback import wallet_mismatches
from apps.programs.coupons.models import CashbackEntry, CashbackWallet
from apps.programs.points.selectors import ledger_mismatches
from tests.concurrency import all_at_once
from tests.conftest import make_team
from tests.coupons.factories import enable_cashback
from tests.members.factories import enroll
from tests.programs.factories import buy

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 20


def test_twenty_tills_accruing_cashback_for_one_member_at_once_add_up():
    team = make_team()
    enable_cashback(team, threshold=100_000)  # no coupon: every accrual stays
    member = enroll(team)

    all_at_once(THREADS, lambda n: buy(team, member, 1000, external_id=f"T-{n}"))

    assert CashbackWallet.objects.get(member=member).balance == THREADS * 50
    balances = sorted(
        CashbackEntry.objects.filter(member=member).values_list("balance_after", flat=True)
    )
    assert balances == [50 * (n + 1) for n in range(THREADS)]  # each saw the one before
    assert wallet_mismatches(merchant=team.merchant) == []
    assert ledger_mismatches(merchant=team.merchant) == []


def test_a_full_wallet_racing_purchases_issues_each_coupon_once():
    team = make_team()
    enable_cashback(team, threshold=200)  # every fourth accrual of 50 fills the wallet
    member = enroll(team)

    all_at_once(THREADS, lambda n: buy(team, member, 1000, external_id=f"T-{n}"))

    wallet = CashbackWallet.objects.get(member=member)
    converted = CashbackEntry.objects.filter(member=member, kind="convert")
    assert converted.count() == THREADS * 50 // 200
    assert wallet.balance == THREADS * 50 - converted.count() * 200 == 0
    assert member.coupons.filter(source="cashback").count() == converted.count()
    assert wallet_mismatches(merchant=team.merchant) == []
