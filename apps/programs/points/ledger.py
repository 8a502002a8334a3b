"""The ledger, for points and for money: the only writes of ledger entries, lots and
account balances, and the check that they agree.

A member holds points (`PointsAccount`, entries `LedgerEntry`) and, with cashback on,
money (a `MoneyAccount`: the cashback wallet, entries `CashbackEntry`). Both are one kind
of ledger (`LedgerAccount`, `AppendOnlyEntry` in models/ledger.py):

* Entries are append-only: a correction is a new entry, never an edited one (the models
  and PostgreSQL triggers refuse updates and deletes).
* Each write moves the account's `balance` with its entry (`_append`, the one place
  either is written), so the balance always equals the sum of the account's entries and
  each entry's `balance_after` is the balance right after it.
* A credit first settles the account's shortfall (what a take-back could not take
  because it was already spent); a debit takes at most what the account holds.
* Points are held in lots: a credit adds a lot, a debit takes from the oldest lots first
  (first in, first out), and the lots' remaining points add up to the balance. Money has
  no lots: it never expires.

Points: `ledger_append`, `ledger_credit`, `ledger_debit`. Money: `ledger_credit_money`,
`ledger_debit_money`, `ledger_merge_money`. Either: `ledger_shortfall_add`, and
`ledger_balance_mismatches` to check. The writes run in the caller's transaction: the
caller holds the member's points account lock (`lock_objects.points_account_lock`, which
a wallet's lock takes first) and passes the locked account in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from dateutil.relativedelta import relativedelta
from django.apps import apps
from django.db.models import Sum
from django.utils.translation import gettext_noop

from apps.core.events import POINTS_BALANCE_CHANGED, PointsBalanceChanged, publish
from apps.core.models import Merchant
from apps.core.stored_text import StoredText, english, is_stored_text, stored_text
from apps.programs.points.models.ledger import (
    AppendOnlyEntry,
    LedgerAccount,
    LedgerEntry,
    Lot,
    MoneyAccount,
    PointsAccount,
)

REASON_MAX = LedgerEntry._meta.get_field("reason").max_length


def _append(
    account: LedgerAccount, *, kind: str, amount: int, at: datetime, **columns: Any
) -> AppendOnlyEntry:
    """Append one entry of `amount` (signed, in the account's unit) and move the account's
    balance with it: the one write of an entry and of a balance, points or money.
    `columns` are the entry's other columns (reason, purchase, lot, coupon, actor...)."""
    account.balance += amount
    account.save(update_fields=["balance", "shortfall"])
    entries = account.entry_model()
    return entries.objects.create(
        merchant_id=account.merchant_id,
        member_id=account.member_id,
        kind=kind,
        balance_after=account.balance,
        created_at=at,
        **{entries.AMOUNT_FIELD: amount},
        **columns,
    )


def _shortfall_settle(account: LedgerAccount, amount: int) -> int:
    """Pay the account's shortfall first out of a credit of `amount`; returns what it
    paid (saved with the credit's entry, or by the caller when nothing is left)."""
    settled = min(account.shortfall, amount)
    account.shortfall -= settled
    return settled


def ledger_shortfall_add(*, account: LedgerAccount, amount: int) -> None:
    """What a take-back could not take (the account no longer holds it) becomes the
    account's shortfall, settled first from its later credits."""
    if amount:
        account.shortfall += amount
        account.save(update_fields=["shortfall"])


# Points -------------------------------------------------------------------------------


def _reason_fields(reason: str | StoredText | None) -> dict[str, Any]:
    """A ledger reason as its columns: a stored text keeps its English in `reason` and
    itself in `reason_text` (pages show it in the reader's language); a plain text (a
    manager's note) is kept as typed."""
    if is_stored_text(reason):
        return {"reason": english(reason)[:REASON_MAX], "reason_text": reason}
    return {"reason": str(reason or "")[:REASON_MAX]}


def ledger_append(
    *,
    account: PointsAccount,
    kind: str,
    points: int,
    at: datetime,
    reason: str | StoredText | None = "",
    **links: Any,
) -> LedgerEntry:
    """Append one entry of `points` (signed) and move the account's balance with it.
    `links` are the entry's other columns (lot, purchase, refund, actor...). Every points
    entry passes here, so this is where `POINTS_BALANCE_CHANGED` is published."""
    entry = _append(account, kind=kind, amount=points, at=at, **_reason_fields(reason), **links)
    publish(
        POINTS_BALANCE_CHANGED,
        PointsBalanceChanged(account=account, points=points, balance=account.balance),
    )
    return cast(LedgerEntry, entry)


def ledger_credit(
    *,
    account: PointsAccount,
    kind: str,
    points: int,
    at: datetime,
    expiry_months: int | None,
    reason: str | StoredText | None = "",
    **links: Any,
) -> int:
    """Add points as a new lot, first settling any shortfall. Returns the points credited.
    A `reason` may be a plain text or a `stored_text` (see `ledger_append`)."""
    settle = _shortfall_settle(account, points)
    credited = points - settle
    if credited <= 0:
        account.save(update_fields=["shortfall"])
        return 0
    expires_at = at + relativedelta(months=expiry_months) if expiry_months else None
    lot = Lot.objects.create(
        merchant_id=account.merchant_id,
        member_id=account.member_id,
        points=credited,
        remaining=credited,
        earned_at=at,
        expires_at=expires_at,
    )
    reason = reason or ""
    if settle and reason:
        reason = stored_text(
            # Translators: a ledger reason, then how many of its points paid back a shortfall.
            gettext_noop("%(reason)s (%(points)s settled a shortfall)"),
            reason=reason,
            points=settle,
        )
    elif settle:
        reason = stored_text(
            gettext_noop("(%(points)s settled a shortfall)"),
            points=settle,
        )
    ledger_append(
        account=account, kind=kind, points=credited, at=at, lot=lot, reason=reason, **links
    )
    return credited


def ledger_debit(
    *,
    account: PointsAccount,
    kind: str,
    points: int,
    at: datetime,
    reason: str | StoredText | None = "",
    **links: Any,
) -> int:
    """Take up to `points` from the oldest lots first. Returns the points taken."""
    taken = 0
    for lot in Lot.objects.filter(member_id=account.member_id, remaining__gt=0).order_by(
        "earned_at", "id"
    ):
        if taken == points:
            break
        part = min(lot.remaining, points - taken)
        lot.remaining -= part
        lot.save(update_fields=["remaining"])
        taken += part
    if taken:
        ledger_append(account=account, kind=kind, points=-taken, at=at, reason=reason, **links)
    return taken


# Money --------------------------------------------------------------------------------
# Money reasons are plain English text: a money entry has no `reason_text` column.


def ledger_credit_money(
    *,
    account: MoneyAccount,
    kind: str,
    amount: int,
    at: datetime,
    reason: str = "",
    **links: Any,
) -> int:
    """Add `amount` (minor units) to a money account, first settling any shortfall.
    Returns what reached the balance (no entry when the shortfall took it all)."""
    settled = _shortfall_settle(account, amount)
    credited = amount - settled
    if credited <= 0:
        account.save(update_fields=["shortfall"])
        return 0
    if settled:
        settling = f"{settled} settled a shortfall"
        reason = f"{reason} ({settling})" if reason else settling
    _append(account, kind=kind, amount=credited, at=at, reason=reason[:REASON_MAX], **links)
    return credited


def ledger_debit_money(
    *,
    account: MoneyAccount,
    kind: str,
    amount: int,
    at: datetime,
    reason: str = "",
    **links: Any,
) -> int:
    """Take up to `amount` (minor units) from a money account. Returns what was taken:
    what the account does not hold is the caller's to handle (a refund's shortfall,
    `ledger_shortfall_add`)."""
    taken = max(min(account.balance, amount), 0)
    if taken:
        _append(account, kind=kind, amount=-taken, at=at, reason=reason[:REASON_MAX], **links)
    return taken


def ledger_merge_money(
    *,
    source: MoneyAccount,
    target: MoneyAccount,
    kind: str,
    at: datetime,
    reason: str = "",
) -> int:
    """Move everything `source` holds to `target` when two members merge: its balance as
    two entries (entries are append-only: their rows are not re-pointed) and its
    shortfall with it. The target's shortfall is not settled by the move: it is settled
    by later credits, as the target's own would be. Returns the amount moved."""
    moved = source.balance
    if moved:
        _append(source, kind=kind, amount=-moved, at=at, reason=reason[:REASON_MAX])
        _append(target, kind=kind, amount=moved, at=at, reason=reason[:REASON_MAX])
    if source.shortfall:
        ledger_shortfall_add(account=target, amount=source.shortfall)
        source.shortfall = 0
        source.save(update_fields=["shortfall"])
    return moved


# The check ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerMismatch:
    """A member whose account does not add up. `lots_sum` is None for money."""

    member_id: int
    balance: int
    ledger_sum: int
    lots_sum: int | None = None


def ledger_account_models() -> list[type[LedgerAccount]]:
    """Every kind of ledger account installed: points, and the cashback wallet."""
    return [model for model in apps.get_models() if issubclass(model, LedgerAccount)]


def ledger_balance_mismatches(
    *, account_model: type[LedgerAccount], merchant: Merchant | None = None
) -> list[LedgerMismatch]:
    """Accounts of `account_model` whose balance differs from the sum of their entries
    (or, for points, of their lots' remaining points), and entries of a member without
    an account, by member id. Empty is the only right answer."""
    entry_model = account_model.entry_model()
    accounts = account_model.objects.all()
    entries = entry_model.objects.all()
    if merchant is not None:
        accounts, entries = accounts.for_merchant(merchant), entries.for_merchant(merchant)
    ledger = dict(entries.values_list("member_id").annotate(total=Sum(entry_model.AMOUNT_FIELD)))
    lots: dict[int, int] | None = None
    if issubclass(account_model, PointsAccount):
        held = Lot.objects.filter(remaining__gt=0)
        if merchant is not None:
            held = held.for_merchant(merchant)
        lots = dict(held.values_list("member_id").annotate(total=Sum("remaining")))
    mismatches = []
    for member_id, balance in accounts.values_list("member_id", "balance"):
        ledger_sum = ledger.pop(member_id, 0) or 0
        lots_sum = None if lots is None else lots.get(member_id, 0)
        if balance != ledger_sum or lots_sum not in (None, balance):
            mismatches.append(LedgerMismatch(member_id, balance, ledger_sum, lots_sum))
    mismatches += [
        LedgerMismatch(member_id, 0, total, None if lots is None else lots.get(member_id, 0))
        for member_id, total in ledger.items()
        if total
    ]
    return sorted(mismatches, key=lambda row: row.member_id)
