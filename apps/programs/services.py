"""The sale path: purchases and refunds that earn and take back.

Every operation locks the member's points account first (lock_objects.py), then appends
ledger entries and moves lots, so the balance always equals the sum of the ledger and of
the lots' remaining points, however many tills and storefronts write at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from apps.accounts.models import User
from apps.core.errors import Conflict, DomainError
from apps.core.events import (
    PURCHASE_RECORDED,
    PURCHASE_REPLAYED,
    REFUND_RECORDED,
    PurchaseRecorded,
    PurchaseReplayed,
    RefundRecorded,
    publish,
)
from apps.core.extensions import earn_percent
from apps.core.models import Location, Merchant
from apps.core.money import Rounding, divide
from apps.core.stored_text import stored_plural
from apps.core.webhooks.models import WebhookEvent
from apps.core.webhooks.services import webhook_emit
from apps.members.models import Member
from apps.members.services import event_record
from apps.programs.models import Purchase, Refund
from apps.programs.points.day_totals import day_totals_add
from apps.programs.points.earning import Line, basket_points, earn_terms, lines_from_items
from apps.programs.points.ledger import ledger_credit, ledger_debit
from apps.programs.points.lock_objects import points_account_lock
from apps.programs.points.models import EntryKind, PointsAccount

# Purchases and refunds ---------------------------------------------------------------


def _checked_lines(items: list) -> list[Line]:
    """The basket's lines, or a field error naming the first bad one."""
    if not isinstance(items, list) or len(items) > 500:
        raise DomainError(gettext("Items must be a list of at most 500 lines."), field="items")
    for number, item in enumerate(items, start=1):
        quantity = item.get("quantity", 1) if isinstance(item, dict) else None
        unit_amount = item.get("unit_amount") if isinstance(item, dict) else None
        if not (isinstance(quantity, int) and 1 <= quantity <= 10_000):
            raise DomainError(
                # Translators: %(number)s is the number of a line of the basket.
                gettext("Line %(number)s: the quantity must be 1 to 10,000.") % {"number": number},
                field="items",
            )
        if not (isinstance(unit_amount, int) and 0 <= unit_amount <= 10**10):
            raise DomainError(
                gettext("Line %(number)s: give the unit amount in cents.") % {"number": number},
                field="items",
            )
    return lines_from_items(items)


@dataclass(frozen=True)
class PurchaseResult:
    purchase: Purchase
    points_earned: int
    points_balance: int
    created: bool  # False when the external id was recorded before: a retry
    extras: dict[str, Any] = field(default_factory=dict)  # what PURCHASE_RECORDED answered


def purchase_check(
    *,
    merchant: Merchant,
    member: Member,
    external_id: str,
    amount: int,
    discount: int = 0,
    location: Location | None = None,
    currency: str | None = None,
) -> str:
    """What `purchase_record` refuses before it writes anything, each on its field; the
    external id as it will be stored. A sale with a coupon (`sale.sale_record`) asks first,
    so a purchase that would be refused never gets as far as using the coupon."""
    external_id = (external_id or "").strip()
    if not external_id:
        raise DomainError(
            gettext("Give the purchase an id (the ticket or order number)."), field="external_id"
        )
    if len(external_id) > 100:
        raise DomainError(gettext("Keep the id within 100 characters."), field="external_id")
    if not isinstance(discount, int) or discount < 0:
        raise ValueError("a discount is what a coupon took off: zero or more")
    # Nothing paid is a sale only when a coupon paid the whole basket.
    if not isinstance(amount, int) or amount < 0 or (amount == 0 and not discount):
        raise DomainError(gettext("The amount must be more than zero."), field="amount")
    if amount + discount > 10**12:
        raise DomainError(gettext("That amount is larger than any sale."), field="amount")
    if member.merchant_id != merchant.pk or not member.is_active:
        raise DomainError(gettext("This member cannot earn here."), field="member")
    if location is not None and location.merchant_id != merchant.pk:
        raise DomainError(gettext("That location belongs to another business."), field="location")
    if currency is not None and currency.upper() != merchant.currency:
        raise DomainError(
            # Translators: %(currency)s is a currency code, e.g. EUR.
            gettext("This program counts in %(currency)s.") % {"currency": merchant.currency},
            field="currency",
        )
    return external_id


@transaction.atomic(savepoint=False)
def purchase_record(
    *,
    merchant: Merchant,
    member: Member,
    external_id: str,
    amount: int,
    discount: int = 0,
    actor: User | None = None,
    location: Location | None = None,
    occurred_at: datetime | None = None,
    items: list | None = None,
    currency: str | None = None,
    account: PointsAccount | None = None,
) -> PurchaseResult:
    """Record a purchase and earn its points. The same external id again answers with the
    first result and earns nothing more, however many retries race. A `currency`, when
    the caller states one (a storefront), must be the program's.

    `amount` is what was paid, what earns; `discount` what a coupon took off the basket
    (given by `sale.sale_record`, which redeems the coupon: this module knows no coupons).
    A caller that holds the member's lock already passes its `account`, so a sale takes
    the lock once."""
    external_id = purchase_check(
        merchant=merchant,
        member=member,
        external_id=external_id,
        amount=amount,
        discount=discount,
        location=location,
        currency=currency,
    )

    member.merchant = merchant  # the same row (checked above): hooks need not fetch it again
    if account is None:
        account = points_account_lock(member)
    elif account.member_id != member.pk:
        raise ValueError("the account locked is another member's")
    existing = Purchase.objects.for_merchant(merchant).filter(external_id=external_id).one_or_none()
    if existing is not None:
        if (existing.member_id, existing.amount, existing.discount) != (
            member.pk,
            amount,
            discount,
        ):
            raise Conflict(
                gettext("This purchase id was already recorded with another member or amount."),
                field="external_id",
                code="purchase_id_reused",
            )
        extras = publish(PURCHASE_REPLAYED, PurchaseReplayed(existing))
        return PurchaseResult(
            existing, existing.points_earned, account.balance, created=False, extras=extras
        )

    at = occurred_at or timezone.now()
    lines = _checked_lines(items or [])
    earning = basket_points(
        merchant=merchant,
        amount=amount,
        lines=lines,
        at=at,
        location=location,
        member_percent=earn_percent(member, at),
    )
    points = earning.points
    purchase = Purchase.objects.create(
        merchant=merchant,
        member=member,
        external_id=external_id,
        amount=amount,
        discount=discount,
        currency=merchant.currency,
        items=items or [],
        location=location,
        actor=actor,
        points_earned=points,
        occurred_at=at,
    )
    if points:
        ledger_credit(
            account=account,
            kind=EntryKind.EARN,
            points=points,
            at=at,
            expiry_months=earn_terms(merchant=merchant).expiry_months,
            purchase=purchase,
            actor=actor,
        )
    day_totals_add(merchant_id=merchant.pk, member_id=member.pk, at=at, spend=amount, points=points)
    Member.objects.filter(pk=member.pk, last_activity_at__lt=at).update(last_activity_at=at)
    event_record(
        member=member,
        kind="purchase",
        summary=stored_plural(
            # Translators: %(purchase)s is the ticket or order number.
            "Purchase %(purchase)s: earned %(count)s point",
            "Purchase %(purchase)s: earned %(count)s points",
            points,
            purchase=external_id,
        ),
        actor=actor,
        data={"purchase": purchase.pk, "amount": amount, "points": points},
        occurred_at=at,
    )
    extras = publish(PURCHASE_RECORDED, PurchaseRecorded(purchase, account, lines, actor))
    webhook_emit(
        merchant=merchant,
        event=WebhookEvent.PURCHASE_RECORDED,
        data={
            "purchase": {
                "external_id": external_id,
                "member": member.public_id,
                "amount": amount,
                "currency": purchase.currency,
                "location": location.name if location else None,
                "occurred_at": at,
            },
            "points_earned": points,
            "points_balance": account.balance,
            **extras,
        },
    )
    return PurchaseResult(purchase, points, account.balance, created=True, extras=extras)


@dataclass(frozen=True)
class RefundResult:
    refund: Refund
    points_reversed: int
    shortfall: int
    points_balance: int
    created: bool
    extras: dict[str, Any] = field(default_factory=dict)  # what REFUND_RECORDED answered


@transaction.atomic(savepoint=False)
def refund_record(
    *, purchase: Purchase, external_id: str, amount: int, actor: User | None = None
) -> RefundResult:
    """Refund part or all of a purchase and take back its points in proportion.

    Over several partial refunds the points taken back add up exactly to what the
    refunded share earned (rounded half up on the running total). Points already spent
    cannot go below zero: what is missing becomes a shortfall, settled from future
    earnings first.

    A refund gives back at most what was paid. A sale a coupon paid in full (paid 0) is
    refunded once with an amount of 0: the goods come back, no money goes out, and being
    a full refund it gives the coupon back (`coupons_restore_for_refund`).
    """
    external_id = (external_id or "").strip()
    if not external_id:
        raise DomainError(gettext("Give the refund an id."), field="external_id")
    if not isinstance(amount, int) or amount < 0 or (amount == 0 and purchase.amount):
        raise DomainError(gettext("The amount must be more than zero."), field="amount")
    account = points_account_lock(purchase.member)
    existing = (
        Refund.objects.for_merchant(purchase.merchant_id).filter(external_id=external_id).first()
    )
    if existing is not None:
        if existing.purchase_id != purchase.pk or existing.amount != amount:
            raise Conflict(
                gettext("This refund id was already recorded for another purchase or amount."),
                field="external_id",
                code="refund_id_reused",
            )
        return RefundResult(
            existing, existing.points_reversed, existing.shortfall, account.balance, False
        )
    purchase = Purchase.objects.get(pk=purchase.pk)  # fresh, under the account lock
    if purchase.refunded_amount + amount > purchase.amount:
        raise DomainError(
            # Translators: %(amount)d is in minor units of the currency (cents).
            gettext("Only %(amount)d of this purchase is left to refund.")
            % {"amount": purchase.amount - purchase.refunded_amount},
            field="amount",
        )
    if purchase.amount == 0 and purchase.refunds.exists():
        raise DomainError(gettext("This purchase was refunded in full already."), field="amount")
    refunded_total = purchase.refunded_amount + amount
    owed_total = (
        purchase.points_earned  # all of it (and no division by a sale paid 0)
        if refunded_total == purchase.amount
        else divide(
            purchase.points_earned * refunded_total, purchase.amount, rounding=Rounding.HALF_UP
        )
    )
    owed = owed_total - purchase.points_reversed
    at = timezone.now()
    refund = Refund.objects.create(
        merchant_id=purchase.merchant_id,
        purchase=purchase,
        external_id=external_id,
        amount=amount,
        actor=actor,
    )
    taken = ledger_debit(
        account=account,
        kind=EntryKind.REFUND,
        points=owed,
        at=at,
        purchase=purchase,
        refund=refund,
        actor=actor,
    )
    shortfall = owed - taken
    if shortfall:
        account.shortfall += shortfall
        account.save(update_fields=["shortfall"])
    Refund.objects.filter(pk=refund.pk).update(points_reversed=owed, shortfall=shortfall)
    refund.points_reversed, refund.shortfall = owed, shortfall
    Purchase.objects.filter(pk=purchase.pk).update(
        refunded_amount=refunded_total, points_reversed=owed_total
    )
    day_totals_add(
        merchant_id=purchase.merchant_id,
        member_id=purchase.member_id,
        at=purchase.occurred_at,
        spend=-amount,
        points=-owed,
    )
    event_record(
        member=purchase.member,
        kind="refund",
        summary=stored_plural(
            # Translators: %(refund)s and %(purchase)s are the shop's numbers for them;
            # %(owed)s is the points the member still owes (spent before the refund).
            "Refund %(refund)s of purchase %(purchase)s: %(count)s point taken back, %(owed)s owed",
            "Refund %(refund)s of purchase %(purchase)s: %(count)s points taken back, "
            "%(owed)s owed",
            owed,
            refund=external_id,
            purchase=purchase.external_id,
            owed=shortfall,
        )
        if shortfall
        else stored_plural(
            # Translators: %(refund)s and %(purchase)s are the shop's numbers for them.
            "Refund %(refund)s of purchase %(purchase)s: %(count)s point taken back",
            "Refund %(refund)s of purchase %(purchase)s: %(count)s points taken back",
            owed,
            refund=external_id,
            purchase=purchase.external_id,
        ),
        actor=actor,
        data={"refund": refund.pk, "amount": amount, "points": owed, "shortfall": shortfall},
        occurred_at=at,
    )
    purchase.refunded_amount, purchase.points_reversed = refunded_total, owed_total
    extras = publish(REFUND_RECORDED, RefundRecorded(refund, purchase, account, actor))
    return RefundResult(refund, owed, shortfall, account.balance, True, extras=extras)
