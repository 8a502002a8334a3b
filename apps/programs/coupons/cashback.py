"""Writes for cashback: the manager's terms, accrual on purchases, take-back on refunds,
turning a full wallet into coupons, and moving a wallet when two members merge.

The purchase and refund handlers (`PURCHASE_RECORDED`, `REFUND_RECORDED`) run inside
`programs.services.purchase_record` and `refund_record`, with the member's points account
already locked, so a wallet is written by one transaction at a time and commits or rolls
back with its purchase or refund. A wallet is a ledger in money: its entries and balance
are written by the programs' ledger (`apps.programs.points.ledger`: `ledger_credit_money`,
`ledger_debit_money`...), as points are.

Rules (see docs/architecture/programs.md, "Cashback and coupons"):
* Each line earns its category's rate if one is set, else the merchant's rate; what the
  lines do not cover earns the merchant's rate; a basket whose lines add up to more than
  what was paid (a discount, a coupon) earns on what was paid, each line in proportion.
  One division for the basket, rounded down: a customer never earns a fraction of a cent.
* A shortfall (cashback a refund took back after it had become a coupon) is settled first
  from later cashback.
* While the wallet holds at least the threshold it becomes coupons worth exactly the
  threshold; the rest stays in the wallet.
* A refund takes back the refunded share of what the purchase earned, rounded half up on
  the running total, so several partial refunds take back exactly what one full refund
  would; what the wallet no longer holds becomes the shortfall. Coupons already issued
  stay valid.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from apps.accounts.models import User
from apps.core.audit import audit_record
from apps.core.errors import DomainError
from apps.core.events import MembersMerging, PurchaseRecorded, RefundRecorded
from apps.core.merchant_config import merchant_config
from apps.core.models import Merchant
from apps.core.money import Rounding, divide
from apps.core.stored_text import stored_plural, stored_text
from apps.members.models import Member
from apps.members.services import event_record
from apps.programs.coupons.lock_objects import cashback_settings_lock, wallet_lock
from apps.programs.coupons.models import (
    CashbackCategoryRate,
    CashbackKind,
    CashbackSettings,
    CashbackWallet,
    CouponSource,
    PurchaseCashback,
)
from apps.programs.coupons.services import MAX_VALUE, coupon_issue, coupons_restore_for_refund
from apps.programs.models import Purchase
from apps.programs.points.earning import Line
from apps.programs.points.ledger import (
    LedgerMismatch,
    ledger_balance_mismatches,
    ledger_credit_money,
    ledger_debit_money,
    ledger_merge_money,
    ledger_shortfall_add,
)
from apps.programs.points.lock_objects import points_accounts_lock

BASIS = 10_000  # basis points in a whole


def cashback_settings_ensure(*, merchant: Merchant) -> CashbackSettings:
    """The merchant's settings row, created with the defaults if it has none yet
    (`INSERT … ON CONFLICT DO NOTHING`, so two first uses at once make one row)."""
    found = CashbackSettings.objects.for_merchant(merchant).one_or_none()
    if found is None:
        CashbackSettings.objects.bulk_create(
            [CashbackSettings(merchant=merchant)], ignore_conflicts=True
        )
        found = CashbackSettings.objects.for_merchant(merchant).get()
    return found


@dataclass(frozen=True)
class CashbackTerms:
    """What purchases accrue under: read once per version of the merchant's configuration
    (apps/core/merchant_config.py), shared, never changed."""

    settings: CashbackSettings
    category_rates: dict[str, int]  # category -> basis points


@merchant_config(CashbackSettings, CashbackCategoryRate)
def cashback_terms(*, merchant: Merchant) -> CashbackTerms:
    # Reading writes nothing: without a settings row cashback is at its defaults (off).
    settings = CashbackSettings.objects.for_merchant(merchant).one_or_none() or CashbackSettings()
    return CashbackTerms(
        settings=settings,
        category_rates=dict(
            CashbackCategoryRate.objects.for_merchant(merchant).values_list("category", "rate_bp")
        ),
    )


@transaction.atomic(savepoint=False)
def cashback_settings_update(
    *,
    merchant: Merchant,
    actor: User,
    is_enabled: bool,
    rate_bp: int,
    threshold: int,
    coupon_days: int,
    coupon_min_spend: int,
) -> CashbackSettings:
    """The manager's cashback terms; they apply to purchases from now on (coupons already
    issued keep their value, expiry and minimum spend). Audited."""
    if not isinstance(rate_bp, int) or not 0 <= rate_bp <= BASIS:
        raise DomainError(gettext("The rate must be 0 to 100 %."), field="rate_bp")
    if not isinstance(threshold, int) or not 0 < threshold <= MAX_VALUE:
        raise DomainError(gettext("The coupon value must be more than zero."), field="threshold")
    if not isinstance(coupon_days, int) or not 1 <= coupon_days <= 3650:
        raise DomainError(gettext("Coupons must last 1 to 3,650 days."), field="coupon_days")
    if not isinstance(coupon_min_spend, int) or not 0 <= coupon_min_spend <= MAX_VALUE:
        raise DomainError(
            gettext("The minimum spend must be zero or more."), field="coupon_min_spend"
        )
    settings = cashback_settings_ensure(merchant=merchant)
    settings = cashback_settings_lock(settings_id=settings.pk)
    settings.is_enabled = bool(is_enabled)
    settings.rate_bp, settings.threshold = rate_bp, threshold
    settings.coupon_days, settings.coupon_min_spend = coupon_days, coupon_min_spend
    settings.save()
    if settings.is_enabled:
        summary = stored_plural(
            # Translators: activity log; %(rate)s is in basis points (500 is 5 %), %(threshold)s
            # and %(min_spend)s are in cents (minor units).
            "Cashback on: %(rate)s bp, coupon at %(threshold)s, %(count)s day, "
            "minimum spend %(min_spend)s",
            "Cashback on: %(rate)s bp, coupon at %(threshold)s, %(count)s days, "
            "minimum spend %(min_spend)s",
            coupon_days,
            rate=rate_bp,
            threshold=threshold,
            min_spend=coupon_min_spend,
        )
    else:
        summary = stored_plural(
            # Translators: activity log; %(rate)s is in basis points (500 is 5 %), %(threshold)s
            # and %(min_spend)s are in cents (minor units).
            "Cashback off: %(rate)s bp, coupon at %(threshold)s, %(count)s day, "
            "minimum spend %(min_spend)s",
            "Cashback off: %(rate)s bp, coupon at %(threshold)s, %(count)s days, "
            "minimum spend %(min_spend)s",
            coupon_days,
            rate=rate_bp,
            threshold=threshold,
            min_spend=coupon_min_spend,
        )
    audit_record(
        merchant=merchant,
        actor=actor,
        action="cashback.updated",
        summary=summary,
        target=settings,
        data={
            "is_enabled": settings.is_enabled,
            "rate_bp": rate_bp,
            "threshold": threshold,
            "coupon_days": coupon_days,
            "coupon_min_spend": coupon_min_spend,
        },
    )
    return settings


@transaction.atomic(savepoint=False)
def category_rate_set(
    *, merchant: Merchant, actor: User, category: str, rate_bp: int
) -> CashbackCategoryRate:
    """A rate for one category (lower case, as lines are matched), replacing its old one."""
    category = (category or "").strip().lower()
    if not category or len(category) > 100:
        raise DomainError(gettext("Name the category (up to 100 characters)."), field="category")
    if not isinstance(rate_bp, int) or not 0 <= rate_bp <= BASIS:
        raise DomainError(gettext("The rate must be 0 to 100 %."), field="rate_bp")
    rate, _created = CashbackCategoryRate.objects.update_or_create(
        merchant=merchant, category=category, defaults={"rate_bp": rate_bp}
    )
    audit_record(
        merchant=merchant,
        actor=actor,
        action="cashback.category_rate_set",
        summary=stored_text(
            gettext_noop("Cashback for %(category)s: %(rate)s bp"), category=category, rate=rate_bp
        ),
        target=rate,
        data={"category": category, "rate_bp": rate_bp},
    )
    return rate


@transaction.atomic(savepoint=False)
def category_rate_delete(*, rate: CashbackCategoryRate, actor: User) -> None:
    audit_record(
        merchant=rate.merchant,
        actor=actor,
        action="cashback.category_rate_deleted",
        summary=stored_text(
            gettext_noop("Cashback for %(category)s: back to the general rate"),
            category=rate.category,
        ),
        data={"category": rate.category},
    )
    rate.delete()


# Accrual ------------------------------------------------------------------------------


def basket_cashback(
    *, amount: int, lines: list[Line], rate_bp: int, category_rates: dict[str, int]
) -> int:
    """The cashback a basket paid `amount` earns, in minor units, rounded down once."""
    priced = [
        (line.amount, category_rates.get(line.category.strip().lower(), rate_bp))
        for line in lines
        if line.amount > 0
    ]
    covered = sum(line_amount for line_amount, _rate in priced)
    weighted = sum(line_amount * rate for line_amount, rate in priced)
    if covered > amount:
        # Lines worth more than was paid: each counts in proportion to what was paid.
        return divide(weighted * amount, covered * BASIS, rounding=Rounding.DOWN)
    return divide(weighted + (amount - covered) * rate_bp, BASIS, rounding=Rounding.DOWN)


def _convert(
    wallet: CashbackWallet,
    settings: CashbackSettings,
    *,
    member: Member,
    at: datetime,
    key: str,
    purchase: Purchase | None = None,
) -> list[str]:
    """Turn the wallet into coupons worth the threshold while it holds that much: each
    coupon is a debit of the wallet (a `convert` entry linked to the coupon)."""
    codes = []
    number = 0
    while wallet.balance >= settings.threshold:
        number += 1
        coupon = coupon_issue(
            merchant=member.merchant,
            member=member,
            value=settings.threshold,
            source=CouponSource.CASHBACK,
            min_spend=settings.coupon_min_spend,
            # from today, even for a purchase dated in the past (a storefront's late report)
            expires_at=timezone.now() + timedelta(days=settings.coupon_days),
            reason=stored_text(gettext_noop("Cashback")),
            issue_key=f"{key}-{number}",
            source_purchase=purchase,
        )
        ledger_debit_money(
            account=wallet,
            kind=CashbackKind.CONVERT,
            amount=settings.threshold,
            at=at,
            coupon=coupon,
        )
        codes.append(coupon.code)
    return codes


def on_purchase_recorded(recorded: PurchaseRecorded) -> dict:
    """`PURCHASE_RECORDED`: accrue the purchase's cashback and issue the coupons a full
    wallet makes. Answers `cashback_earned` (minor units) and `coupons_issued` (codes)."""
    purchase, account, lines, actor = (
        recorded.purchase,
        recorded.account,
        recorded.lines,
        recorded.actor,
    )
    terms = cashback_terms(merchant=purchase.merchant)
    settings = terms.settings
    if not settings.is_enabled:
        return {"cashback_earned": 0, "coupons_issued": []}
    earned = basket_cashback(
        amount=purchase.amount,
        lines=lines,
        rate_bp=settings.rate_bp,
        category_rates=terms.category_rates,
    )
    if earned <= 0:
        return {"cashback_earned": 0, "coupons_issued": []}
    at = purchase.occurred_at
    PurchaseCashback.objects.create(
        merchant_id=purchase.merchant_id, purchase=purchase, earned=earned, created_at=at
    )
    member = purchase.member
    wallet = wallet_lock(member, account=account)
    ledger_credit_money(
        account=wallet, kind=CashbackKind.ACCRUE, amount=earned, at=at, purchase=purchase
    )
    codes = _convert(
        wallet, settings, member=member, at=at, key=f"cashback-p{purchase.pk}", purchase=purchase
    )
    if codes:
        event_record(
            member=member,
            kind="coupon_issued",
            summary=stored_plural(
                "Cashback became %(count)s coupon: %(codes)s",
                "Cashback became %(count)s coupons: %(codes)s",
                len(codes),
                codes=", ".join(codes),
            ),
            actor=actor,
            data={"purchase": purchase.pk, "coupons": codes},
            occurred_at=at,
        )
    return {"cashback_earned": earned, "coupons_issued": codes}


def on_refund_recorded(recorded: RefundRecorded) -> dict:
    """`REFUND_RECORDED`: take back the refunded share of the purchase's cashback (what the
    wallet no longer holds becomes its shortfall), and restore a coupon used on the purchase
    when the purchase is refunded in full. Answers `cashback_reversed`,
    `cashback_shortfall` and `coupons_restored`."""
    refund, purchase, account, actor = (
        recorded.refund,
        recorded.purchase,
        recorded.account,
        recorded.actor,
    )
    extras = {"cashback_reversed": 0, "cashback_shortfall": 0}
    record = PurchaseCashback.objects.filter(purchase=purchase).first()
    if record is not None:
        owed_total = (
            record.earned
            if purchase.refunded_amount == purchase.amount  # in full: all of it, no division
            else divide(
                record.earned * purchase.refunded_amount, purchase.amount, rounding=Rounding.HALF_UP
            )
        )
        owed = owed_total - record.reversed
        if owed > 0:
            wallet = wallet_lock(purchase.member, account=account)
            taken = ledger_debit_money(
                account=wallet,
                kind=CashbackKind.REFUND,
                amount=owed,
                at=timezone.now(),
                purchase=purchase,
                refund=refund,
            )
            ledger_shortfall_add(account=wallet, amount=owed - taken)
            PurchaseCashback.objects.filter(pk=record.pk).update(reversed=owed_total)
            extras = {"cashback_reversed": owed, "cashback_shortfall": owed - taken}
    extras["coupons_restored"] = coupons_restore_for_refund(
        purchase=purchase, refund=refund, actor=actor
    )
    return extras


# Merge --------------------------------------------------------------------------------


def wallet_merge(merging: MembersMerging) -> None:
    """`MEMBERS_MERGING`: the duplicate's wallet moves as two entries (entries are
    append-only, their rows are not re-pointed), its shortfall with it. The survivor's
    wallet turns into coupons at its next purchase if it now holds the threshold."""
    survivor, duplicate = merging.survivor, merging.duplicate
    if not CashbackWallet.objects.filter(member=duplicate).exists():
        return
    accounts = points_accounts_lock(survivor, duplicate)  # the members' one lock, id order
    pairs = sorted(zip([survivor, duplicate], accounts, strict=True), key=lambda p: p[0].pk)
    locked = {member.pk: wallet_lock(member, account=account) for member, account in pairs}
    target, source = locked[survivor.pk], locked[duplicate.pk]
    at = timezone.now()
    ledger_merge_money(
        source=source,
        target=target,
        kind=CashbackKind.MERGE,
        at=at,
        reason=f"merge of {duplicate.card_code_display} into {survivor.card_code_display}",
    )


# Checks -------------------------------------------------------------------------------


def wallet_mismatches(*, merchant: Merchant | None = None) -> list[LedgerMismatch]:
    """Members whose wallet balance differs from the sum of its entries, or who have
    entries and no wallet: the ledger's one check (`ledger_balance_mismatches`), for
    wallets."""
    return ledger_balance_mismatches(account_model=CashbackWallet, merchant=merchant)
