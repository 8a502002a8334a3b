"""Reads for points: balances, the ledger with its running balance, lots, and the check
that the three agree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Min, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from apps.core.models import Merchant
from apps.members.models import Member
from apps.programs.points.ledger import LedgerMismatch, ledger_balance_mismatches
from apps.programs.points.models import (
    BonusAward,
    BonusRule,
    EarnMultiplier,
    LedgerEntry,
    Lot,
    PointsAccount,
    Promotion,
)


def points_balance(*, member: Member) -> int:
    account = PointsAccount.objects.filter(member=member).only("balance").first()
    return account.balance if account else 0


def ledger_list(*, member: Member) -> QuerySet[LedgerEntry]:
    """Newest first; each entry carries the balance right after it (`balance_after`)."""
    return LedgerEntry.objects.filter(member=member).select_related("actor", "purchase")


def lots_open(*, member: Member) -> QuerySet[Lot]:
    """What the member holds, oldest first: what is spent or expires first."""
    return Lot.objects.filter(member=member, remaining__gt=0).order_by("earned_at", "id")


def ledger_mismatches(*, merchant: Merchant | None = None) -> list[LedgerMismatch]:
    """Members whose stored points balance differs from the sum of their ledger or of
    their lots' remaining points. Empty is the only right answer. (The one check of every
    ledger, points and money: `ledger.ledger_balance_mismatches`.)"""
    return ledger_balance_mismatches(account_model=PointsAccount, merchant=merchant)


@dataclass(frozen=True)
class ExpiringPoints:
    member: Member
    points: int
    first_expiry: object  # datetime of the soonest lot to expire


def points_expiring(*, merchant: Merchant, now: datetime, within_days: int) -> list[ExpiringPoints]:
    """Who has points expiring in the next `within_days` days, soonest first: the list a
    reminder goes to (the message itself is the campaigns app's)."""
    return _expiring(
        merchant, Q(expires_at__gt=now, expires_at__lte=now + timedelta(days=within_days))
    )


def points_expiring_before(
    *, merchant: Merchant, now: datetime, before: datetime
) -> list[ExpiringPoints]:
    """Who has points expiring after `now` and before `before` (a reminder stage's bound,
    the start of a day: `reminders.stage_due_before`), soonest first."""
    return _expiring(merchant, Q(expires_at__gt=now, expires_at__lt=before))


def _expiring(merchant: Merchant, window: Q) -> list[ExpiringPoints]:
    rows = (
        Lot.objects.for_merchant(merchant)
        .filter(window, remaining__gt=0)
        .values("member")
        .annotate(points=Sum("remaining"), first_expiry=Min("expires_at"))
        .order_by("first_expiry", "member")
    )
    members = Member.objects.in_bulk([row["member"] for row in rows])
    return [
        ExpiringPoints(members[row["member"]], row["points"], row["first_expiry"])
        for row in rows
        if members[row["member"]].is_active
    ]


def points_expiring_totals(*, merchant: Merchant, now, within_days: int) -> tuple[int, int]:
    """(points, members): the points that expire in the next `within_days` days and the
    members holding them (erased and merged records left out, as `points_expiring`
    does). One aggregate over a range of the lots' expiry index
    (`programs_lot_expiring`)."""
    totals = (
        Lot.objects.for_merchant(merchant)
        .filter(
            remaining__gt=0,
            expires_at__gt=now,
            expires_at__lte=now + timedelta(days=within_days),
            member__erased_at__isnull=True,
            member__merged_into__isnull=True,
        )
        .aggregate(points=Coalesce(Sum("remaining"), 0), members=Count("member", distinct=True))
    )
    return totals["points"], totals["members"]


def points_balances(*, member_ids) -> dict[int, int]:
    """Balances of several members in one query (a member without an account has none)."""
    rows = PointsAccount.objects.filter(member_id__in=member_ids)
    return dict(rows.values_list("member_id", "balance"))


# The earn rules, as the program page and the storefront API list them ------------------


def multiplier_list(*, merchant: Merchant, active_only: bool = False) -> QuerySet[EarnMultiplier]:
    rules = EarnMultiplier.objects.for_merchant(merchant)
    return rules.filter(is_active=True) if active_only else rules


def promotion_list(*, merchant: Merchant) -> QuerySet[Promotion]:
    return Promotion.objects.for_merchant(merchant).prefetch_related("locations")


def bonus_rule_list(*, merchant: Merchant, active_only: bool = False) -> QuerySet[BonusRule]:
    rules = BonusRule.objects.for_merchant(merchant)
    return rules.filter(is_active=True) if active_only else rules


def bonus_awarded_points(*, merchant: Merchant, external_id: str) -> int:
    """The points a bonus with this external id gave (0: none given, or capped)."""
    awarded = BonusAward.objects.for_merchant(merchant).filter(external_id=external_id)
    return awarded.values_list("points", flat=True).first() or 0
