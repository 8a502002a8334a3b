"""One ledger for points and money (apps/programs/points/ledger.py): the cashback wallet is a
ledger account like the points account, its entries and balance written by the same
module, append-only, with one consistency check over both."""

import ast
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from apps.programs.coupons.lock_objects import wallet_lock
from apps.programs.coupons.models import CashbackEntry, CashbackKind, CashbackWallet
from apps.programs.points.ledger import (
    LedgerMismatch,
    ledger_account_models,
    ledger_balance_mismatches,
    ledger_credit_money,
    ledger_debit_money,
    ledger_merge_money,
    ledger_shortfall_add,
)
from apps.programs.points.lock_objects import points_account_lock
from apps.programs.points.models.ledger import (
    AppendOnlyEntry,
    LedgerAccount,
    LedgerEntry,
    MoneyAccount,
    PointsAccount,
)
from tests.coupons.factories import enable_cashback
from tests.members.factories import enroll
from tests.programs.factories import buy

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent.parent
AT = datetime(2026, 3, 1, 12, tzinfo=UTC)


def locked_wallet(member) -> CashbackWallet:
    """The member's wallet under the member's one lock, as the cashback hooks hold it."""
    return wallet_lock(member, account=points_account_lock(member))


def entries(member) -> list[tuple[str, int, int, str]]:
    rows = CashbackEntry.objects.filter(member=member).order_by("id")
    return list(rows.values_list("kind", "amount", "balance_after", "reason"))


def test_points_and_the_wallet_are_the_same_kind_of_ledger():
    assert issubclass(PointsAccount, LedgerAccount)
    assert issubclass(CashbackWallet, MoneyAccount)
    assert issubclass(CashbackWallet, LedgerAccount)
    assert not issubclass(PointsAccount, MoneyAccount)
    assert PointsAccount.entry_model() is LedgerEntry
    assert CashbackWallet.entry_model() is CashbackEntry
    assert issubclass(LedgerEntry, AppendOnlyEntry)
    assert issubclass(CashbackEntry, AppendOnlyEntry)
    assert set(ledger_account_models()) == {PointsAccount, CashbackWallet}
    # the tables are the ones they were
    assert CashbackWallet._meta.db_table == "coupons_cashbackwallet"
    assert CashbackEntry._meta.db_table == "coupons_cashbackentry"


def test_a_credit_and_a_debit_in_money_move_the_wallet_with_their_entries(team):
    member = enroll(team)
    wallet = locked_wallet(member)

    credited = ledger_credit_money(
        account=wallet, kind=CashbackKind.ACCRUE, amount=700, at=AT, reason="by hand"
    )
    taken = ledger_debit_money(account=wallet, kind=CashbackKind.CONVERT, amount=500, at=AT)

    assert (credited, taken) == (700, 500)
    wallet.refresh_from_db()
    assert (wallet.balance, wallet.shortfall) == (200, 0)
    assert entries(member) == [("accrue", 700, 700, "by hand"), ("convert", -500, 200, "")]
    assert str(CashbackEntry.objects.filter(member=member).latest("id")) == "-500 (convert)"
    assert ledger_balance_mismatches(account_model=CashbackWallet, merchant=team.merchant) == []


def test_a_money_debit_takes_at_most_what_the_wallet_holds(team):
    member = enroll(team)
    wallet = locked_wallet(member)
    ledger_credit_money(account=wallet, kind=CashbackKind.ACCRUE, amount=30, at=AT)

    taken = ledger_debit_money(account=wallet, kind=CashbackKind.REFUND, amount=80, at=AT)
    ledger_shortfall_add(account=wallet, amount=80 - taken)
    nothing = ledger_debit_money(account=wallet, kind=CashbackKind.REFUND, amount=10, at=AT)

    assert (taken, nothing) == (30, 0)
    wallet.refresh_from_db()
    assert (wallet.balance, wallet.shortfall) == (0, 50)
    assert entries(member) == [("accrue", 30, 30, ""), ("refund", -30, 0, "")]  # none for 0


def test_a_money_credit_settles_the_shortfall_first(team):
    member = enroll(team)
    wallet = locked_wallet(member)
    ledger_shortfall_add(account=wallet, amount=120)

    absorbed = ledger_credit_money(account=wallet, kind=CashbackKind.ACCRUE, amount=100, at=AT)
    assert absorbed == 0
    assert entries(member) == []  # all of it paid the shortfall: no entry
    wallet.refresh_from_db()
    assert (wallet.balance, wallet.shortfall) == (0, 20)

    credited = ledger_credit_money(
        account=wallet, kind=CashbackKind.ACCRUE, amount=50, at=AT, reason="promo"
    )
    assert credited == 30
    assert entries(member) == [("accrue", 30, 30, "promo (20 settled a shortfall)")]
    wallet.refresh_from_db()
    assert (wallet.balance, wallet.shortfall) == (30, 0)


def test_a_money_merge_moves_the_balance_as_two_entries_and_the_shortfall(team):
    survivor, duplicate = enroll(team), enroll(team)
    target, source = locked_wallet(survivor), locked_wallet(duplicate)
    ledger_credit_money(account=target, kind=CashbackKind.ACCRUE, amount=40, at=AT)
    ledger_credit_money(account=source, kind=CashbackKind.ACCRUE, amount=60, at=AT)
    ledger_shortfall_add(account=source, amount=15)

    moved = ledger_merge_money(
        source=source, target=target, kind=CashbackKind.MERGE, at=AT, reason="merge"
    )

    assert moved == 60
    target.refresh_from_db()
    source.refresh_from_db()
    assert (target.balance, target.shortfall) == (100, 15)
    assert (source.balance, source.shortfall) == (0, 0)
    assert entries(duplicate)[-1] == ("merge", -60, 0, "merge")
    assert entries(survivor)[-1] == ("merge", 60, 100, "merge")
    assert ledger_balance_mismatches(account_model=CashbackWallet) == []


def test_purchases_refunds_and_merges_leave_every_balance_after_consistent(team):
    """Through the real hooks: each entry's balance_after is the running sum of the
    wallet's entries, and the last one is the wallet's balance."""
    from apps.members.services import member_merge
    from apps.programs.services import refund_record

    enable_cashback(team, rate_bp=1000, threshold=1000)
    member, duplicate = enroll(team), enroll(team)
    purchase = buy(team, member, 12_000).purchase  # 1200: a coupon of 1000, 200 stays
    refund_record(purchase=purchase, external_id="R-1", amount=6000)  # 600: 200, owes 400
    buy(team, duplicate, 3000)  # 300
    member_merge(survivor=member, duplicate=duplicate, actor=team.manager)
    buy(team, member, 5000)  # 500: 400 settles the shortfall, 100 reaches the wallet

    for someone in (member, duplicate):
        running = 0
        for _kind, amount, balance_after, _reason in entries(someone):
            running += amount
            assert balance_after == running
        assert CashbackWallet.objects.get(member=someone).balance == running
    assert CashbackWallet.objects.get(member=member).balance == 300 + 100
    assert ledger_balance_mismatches(account_model=CashbackWallet) == []


def test_entries_of_both_ledgers_refuse_to_be_edited(team):
    enable_cashback(team)
    member = enroll(team)
    buy(team, member, 1000)
    for entry in (LedgerEntry.objects.get(member=member), CashbackEntry.objects.get()):
        with pytest.raises(RuntimeError, match="append-only"):
            entry.save()


@pytest.mark.postgres
def test_the_database_refuses_to_edit_or_delete_a_cashback_entry(team):
    enable_cashback(team)
    member = enroll(team)
    buy(team, member, 1000)
    for statement in (
        "UPDATE coupons_cashbackentry SET amount = 1",
        "DELETE FROM coupons_cashbackentry",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert CashbackEntry.objects.get().amount == 50


def test_one_check_covers_points_and_wallets(team):
    enable_cashback(team)
    member = enroll(team)
    buy(team, member, 1000)  # 100 points, 50 in the wallet
    out = StringIO()
    call_command("check_ledger", stdout=out)
    assert "Every balance equals its ledger" in out.getvalue()

    CashbackWallet.objects.filter(member=member).update(balance=7)
    assert ledger_balance_mismatches(account_model=PointsAccount) == []
    assert ledger_balance_mismatches(account_model=CashbackWallet) == [
        LedgerMismatch(member.pk, 7, 50, None)
    ]
    err = StringIO()
    with pytest.raises(CommandError, match="1 member account"):
        call_command("check_ledger", stdout=StringIO(), stderr=err)
    assert f"member {member.pk} (cashback wallet): balance 7, ledger 50" in err.getvalue()


def test_entries_without_an_account_do_not_add_up(team):
    enable_cashback(team)
    member = enroll(team)
    buy(team, member, 1000)
    CashbackWallet.objects.filter(member=member).delete()
    assert ledger_balance_mismatches(account_model=CashbackWallet) == [
        LedgerMismatch(member.pk, 0, 50, None)
    ]


def _writes_balances_or_entries(tree: ast.AST) -> list[int]:
    """Lines that assign a `.balance` or `.shortfall`, or create a `CashbackEntry`."""
    lines = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            for part in ast.walk(target):
                if isinstance(part, ast.Attribute) and part.attr in {"balance", "shortfall"}:
                    lines.append(node.lineno)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"create", "bulk_create"}
            and "CashbackEntry" in ast.unparse(node.func.value)
        ):
            lines.append(node.lineno)
    return lines


def test_only_the_ledger_writes_the_wallet():
    """The cashback code asks the ledger module: it never moves a balance or a
    shortfall, nor writes an entry, itself."""
    offending = []
    for path in sorted((ROOT / "apps" / "programs" / "coupons").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        offending += [
            f"{path.relative_to(ROOT)}:{line}" for line in _writes_balances_or_entries(tree)
        ]
    assert not offending, "write wallets through apps/programs/points/ledger.py:\n" + "\n".join(
        offending
    )
    ledger = ast.parse((ROOT / "apps" / "programs" / "points" / "ledger.py").read_text())
    assert _writes_balances_or_entries(ledger)  # the check sees such writes where they are
