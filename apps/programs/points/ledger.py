"""The points ledger: the only writes of `LedgerEntry` rows, `Lot`s and account balances.

* Entries are append-only: a correction is a new entry, never an edited one (the model
  and a PostgreSQL trigger refuse updates and deletes).
* Points are held in lots: a credit adds a lot (first settling any shortfall), a debit
  takes from the oldest lots first (first in, first out).
* Each write moves the account's `balance` with its entry, so the balance always equals
  the sum of the ledger and of the lots' remaining points.

These functions run in the caller's transaction: the caller holds the member's points
account lock (`lock_objects.points_account_lock`) and passes that account in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dateutil.relativedelta import relativedelta
from django.utils.translation import gettext_noop

from apps.core.stored_text import StoredText, english, is_stored_text, stored_text
from apps.programs.points.models import LedgerEntry, Lot, PointsAccount

REASON_MAX = LedgerEntry._meta.get_field("reason").max_length


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
    `links` are the entry's other columns (lot, purchase, refund, actor...)."""
    account.balance += points
    account.save(update_fields=["balance", "shortfall"])
    return LedgerEntry.objects.create(
        merchant_id=account.merchant_id,
        member_id=account.member_id,
        kind=kind,
        points=points,
        balance_after=account.balance,
        created_at=at,
        **_reason_fields(reason),
        **links,
    )


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
    settle = min(account.shortfall, points)
    account.shortfall -= settle
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
