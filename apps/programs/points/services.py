"""Writes for points outside a sale: the program's settings row, adjustments, expiry and
merges. Every write locks the member's points account first (lock_objects.py)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from apps.accounts.models import User
from apps.core.audit import audit_record
from apps.core.errors import Conflict, DomainError
from apps.core.events import MembersMerging
from apps.core.formatting import format_number
from apps.core.models import Merchant
from apps.core.money import Rounding, divide, minor_digits
from apps.core.stored_text import StoredText, is_stored_text, stored_text
from apps.members.models import Member
from apps.programs.points.earning import earn_terms
from apps.programs.points.ledger import ledger_append, ledger_credit, ledger_debit
from apps.programs.points.lock_objects import points_account_lock, points_accounts_lock
from apps.programs.points.models import EntryKind, LedgerEntry, Lot, PointsAccount, ProgramSettings


def program_settings(*, merchant: Merchant) -> ProgramSettings:
    """The merchant's settings, or the defaults (an unsaved row) when it has none yet:
    reading writes nothing. `program_settings_ensure` makes the row."""
    found = ProgramSettings.objects.for_merchant(merchant).one_or_none()
    return found if found is not None else ProgramSettings(merchant=merchant)


def program_settings_ensure(*, merchant: Merchant) -> None:
    """Give the merchant its `ProgramSettings` row, with the defaults, if it has none yet
    (`INSERT … ON CONFLICT DO NOTHING`, so two first uses at once make one row)."""
    if not ProgramSettings.objects.for_merchant(merchant).exists():
        ProgramSettings.objects.bulk_create(
            [ProgramSettings(merchant=merchant)], ignore_conflicts=True
        )


def points_for_amount(*, merchant: Merchant, amount: int) -> int:
    """Base earning: `points_per_unit` per whole unit of currency, rounded down (a
    customer never earns for a fraction of a unit). What `earning.basket_points` gives a
    basket with no product multipliers and no promotion running."""
    rate = earn_terms(merchant=merchant).points_per_unit
    return divide(amount * rate, 10 ** minor_digits(merchant.currency), rounding=Rounding.DOWN)


# Adjustments and expiry --------------------------------------------------------------


@transaction.atomic(savepoint=False)
def points_adjust(
    *, member: Member, points: int, reason: str | StoredText, actor: User
) -> LedgerEntry | None:
    """A manager's correction, with a mandatory reason, audited. Cannot go below zero.
    The reason is the manager's note as typed, or a `stored_text` when code adjusts."""
    if not is_stored_text(reason):
        reason = (reason or "").strip()
    if not reason:
        raise DomainError(gettext("Say why the balance changes."), field="reason")
    if not isinstance(points, int) or points == 0:
        raise DomainError(gettext("Give a number of points other than zero."), field="points")
    account = points_account_lock(member)
    at = timezone.now()
    if points < 0 and account.balance < -points:
        raise Conflict(
            # Translators: %(balance)s is the member's points balance.
            gettext("The balance is %(balance)s: it cannot go below zero.")
            % {"balance": format_number(account.balance)},
            field="points",
            code="insufficient_points",
        )
    if points > 0:
        ledger_credit(
            account=account,
            kind=EntryKind.ADJUST,
            points=points,
            at=at,
            expiry_months=earn_terms(merchant=member.merchant).expiry_months,
            reason=reason,
            actor=actor,
        )
    else:
        ledger_debit(
            account=account,
            kind=EntryKind.ADJUST,
            points=-points,
            at=at,
            reason=reason,
            actor=actor,
        )
    audit_record(
        merchant=member.merchant,
        actor=actor,
        action="points.adjusted",
        summary=stored_text(
            # Translators: %(points)s is signed, e.g. +50 or -20; %(reason)s is a manager's note.
            gettext_noop("Adjusted member %(member)s by %(points)s points: %(reason)s"),
            member=member.public_id,
            points=f"{points:+d}",
            reason=reason,
        ),
        target=member,
        data={"points": points},
    )
    return LedgerEntry.objects.filter(member=member).order_by("-id").first()


def lots_expire(*, now: datetime | None = None, batch: int = 500) -> int:
    """Expire every lot past its date: one entry per lot, oldest first. Safe to run twice
    or concurrently: each lot is re-read under its member's lock. Returns points expired."""
    now = now or timezone.now()
    expired = 0
    while True:
        due = list(
            Lot.objects.filter(remaining__gt=0, expires_at__lte=now)
            .select_related("member")
            .order_by("expires_at", "id")[:batch]
        )
        if not due:
            return expired
        for lot in due:
            expired += _expire_lot(lot.pk, lot.member, now)


@transaction.atomic(savepoint=False)
def _expire_lot(lot_pk: int, member: Member, now: datetime) -> int:
    account = points_account_lock(member)
    lot = Lot.objects.get(pk=lot_pk)
    if lot.remaining == 0:
        return 0  # spent or expired by someone else meanwhile
    points = lot.remaining
    lot.remaining = 0
    lot.save(update_fields=["remaining"])
    ledger_append(
        account=account,
        kind=EntryKind.EXPIRE,
        points=-points,
        at=now,
        lot=lot,
        reason=stored_text(gettext_noop("expired")),
    )
    return points


def points_merge(merging: MembersMerging) -> None:
    """`MEMBERS_MERGING`: the duplicate's points move as two ledger entries (the ledger is
    append-only: its rows are not re-pointed) and its lots follow, keeping their dates."""
    survivor, duplicate, actor = merging.survivor, merging.duplicate, merging.actor
    if not PointsAccount.objects.filter(member=duplicate).exists():
        return
    target, source = points_accounts_lock(survivor, duplicate)
    at = timezone.now()
    points = source.balance
    if points:
        Lot.objects.filter(member=duplicate, remaining__gt=0).update(member=survivor)
        reason = stored_text(
            # Translators: a ledger reason; the two are membership card codes.
            gettext_noop("merge of %(duplicate)s into %(survivor)s"),
            duplicate=duplicate.card_code_display,
            survivor=survivor.card_code_display,
        )
        ledger_append(
            account=source,
            kind=EntryKind.MERGE,
            points=-points,
            at=at,
            reason=reason,
            actor=actor,
        )
        ledger_append(
            account=target, kind=EntryKind.MERGE, points=points, at=at, reason=reason, actor=actor
        )
    if source.shortfall:
        target.shortfall += source.shortfall
        source.shortfall = 0
        source.save(update_fields=["shortfall"])
        target.save(update_fields=["shortfall"])
