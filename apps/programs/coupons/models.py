"""Cashback wallets and coupons.

Money is integer minor units of the merchant's currency. A member's wallet is a ledger in
money: `CashbackWallet` and `CashbackEntry` are the programs' `MoneyAccount` and
`AppendOnlyEntry`, written only by `apps/programs/points/ledger.py`, as points are. They change
only under the member's points lock (`programs.lock_objects`), the one lock of a member's
money, so a purchase that earns points and cashback takes one lock.
A coupon is redeemed at most once: the flip issued → redeemed is a conditional UPDATE.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from apps.core.stored_text import render
from apps.core.tenancy import TenantModel
from apps.programs.points.models.ledger import AppendOnlyEntry, MoneyAccount


class CashbackSettings(TenantModel):
    """A merchant's cashback terms: the rate (basis points: 500 is 5 %), the wallet amount
    at which a coupon is issued (the coupon is worth exactly that), and the coupons'
    validity and minimum spend."""

    is_enabled = models.BooleanField(_("cashback on"), default=False)
    rate_bp = models.PositiveIntegerField(
        _("cashback rate"), default=500, help_text=_("Basis points: 500 is 5 %.")
    )
    threshold = models.BigIntegerField(_("coupon value"), default=1000, help_text=_("Minor units."))
    coupon_days = models.PositiveSmallIntegerField(_("coupons valid for (days)"), default=90)
    coupon_min_spend = models.BigIntegerField(
        _("minimum basket to use a coupon"), default=0, help_text=_("Minor units.")
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("cashback settings")
        verbose_name_plural = _("cashback settings")
        constraints = [
            models.UniqueConstraint(fields=["merchant"], name="coupons_settings_one_per_merchant"),
            models.CheckConstraint(
                condition=Q(rate_bp__lte=10_000), name="coupons_settings_rate_at_most_100"
            ),
            models.CheckConstraint(condition=Q(threshold__gt=0), name="coupons_threshold_positive"),
            models.CheckConstraint(
                condition=Q(coupon_min_spend__gte=0), name="coupons_min_spend_not_negative"
            ),
        ]


class CashbackCategoryRate(TenantModel):
    """A rate for one category of product, instead of the merchant's rate (0: none)."""

    category = models.CharField(_("category"), max_length=100, help_text=_("Lower case."))
    rate_bp = models.PositiveIntegerField(_("cashback rate"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("category cashback rate")
        verbose_name_plural = _("category cashback rates")
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "category"], name="coupons_category_rate_unique"
            ),
            models.CheckConstraint(
                condition=Q(rate_bp__lte=10_000), name="coupons_category_rate_at_most_100"
            ),
        ]


class CashbackWallet(MoneyAccount):
    """One per member: cashback accrued and not yet turned into a coupon. `shortfall` is
    cashback a refund took back after it had become a coupon, settled from later
    accruals first (as points do)."""

    member = models.OneToOneField(
        "members.Member",
        on_delete=models.PROTECT,
        related_name="cashback_wallet",
        verbose_name=_("member"),
    )
    balance = models.BigIntegerField(_("balance"), default=0)
    shortfall = models.BigIntegerField(_("shortfall"), default=0)

    class Meta:
        verbose_name = _("cashback wallet")
        verbose_name_plural = _("cashback wallets")
        constraints = [
            models.CheckConstraint(
                condition=Q(balance__gte=0), name="coupons_wallet_balance_never_negative"
            ),
            models.CheckConstraint(
                condition=Q(shortfall__gte=0), name="coupons_wallet_shortfall_never_negative"
            ),
        ]

    @classmethod
    def entry_model(cls) -> type[CashbackEntry]:
        return CashbackEntry


class CashbackKind(models.TextChoices):
    ACCRUE = "accrue", _("Cashback earned")
    REFUND = "refund", _("Taken back by a refund")
    CONVERT = "convert", _("Turned into a coupon")
    MERGE = "merge", _("Moved by a merge")


class CashbackEntry(AppendOnlyEntry):
    """One movement of a wallet, in minor units: the wallet's balance is the sum of these.
    Append-only (`AppendOnlyEntry`; on PostgreSQL migration 0005's trigger)."""

    AMOUNT_FIELD = "amount"

    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="+", verbose_name=_("member")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=CashbackKind.choices)
    amount = models.BigIntegerField(
        _("amount"), help_text=_("Minor units; negative when it leaves the wallet.")
    )
    balance_after = models.BigIntegerField(_("balance after"))
    purchase = models.ForeignKey(
        "programs.Purchase",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("purchase"),
    )
    refund = models.ForeignKey(
        "programs.Refund",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("refund"),
    )
    coupon = models.ForeignKey(
        "Coupon",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("coupon"),
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("cashback entry")
        verbose_name_plural = _("cashback entries")
        indexes = [models.Index(fields=["member", "-id"], name="coupons_entry_member_recent")]


class CouponSource(models.TextChoices):
    CASHBACK = "cashback", _("Cashback")
    MANUAL = "manual", _("Issued by hand")
    REWARD = "reward", _("Reward")
    REFERRAL = "referral", _("Referral")
    CAMPAIGN = "campaign", _("Campaign")
    AUTOMATION = "automation", _("Automation")


class CouponStatus(models.TextChoices):
    # Translators: a coupon's status: issued and still usable.
    ISSUED = "issued", pgettext_lazy("coupon status", "Live")
    REDEEMED = "redeemed", pgettext_lazy("coupon status", "Redeemed")
    VOID = "void", pgettext_lazy("coupon status", "Void")


class Coupon(TenantModel):
    """An amount off one purchase at this business, usable once: a fixed `value`, or a
    `percent` of the basket (exactly one of the two). Expiry is by date (`expires_at`), not
    by a status: an issued coupon past its date is expired."""

    code = models.CharField(_("code"), max_length=12)
    member = models.ForeignKey(
        "members.Member",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="coupons",
        verbose_name=_("member"),
        help_text=_("Empty: anyone may use it."),
    )
    value = models.BigIntegerField(
        _("value"), help_text=_("Minor units of `currency`; 0 for a percent coupon.")
    )
    percent = models.PositiveSmallIntegerField(
        _("percent off"),
        default=0,
        help_text=_("Of the basket, 1 to 100; 0 for a coupon of a fixed value."),
    )
    currency = models.CharField(_("currency"), max_length=3)
    min_spend = models.BigIntegerField(_("minimum basket"), default=0)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=CouponSource.choices)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    reason_text = models.JSONField(_("reason, for translation"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=CouponStatus.choices, default=CouponStatus.ISSUED
    )
    issued_at = models.DateTimeField(_("issued"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    source_purchase = models.ForeignKey(
        "programs.Purchase",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("purchase that issued it"),
    )
    source_redemption = models.ForeignKey(
        "programs.Redemption",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reward redemption that issued it"),
    )
    issue_key = models.CharField(
        _("issue key"),
        max_length=120,
        blank=True,
        help_text=_("Makes an automatic issue idempotent."),
    )
    redeemed_at = models.DateTimeField(_("redeemed"), null=True, blank=True)
    redeemed_amount = models.BigIntegerField(
        _("basket total"), null=True, blank=True, help_text=_("The basket.")
    )
    redeemed_discount = models.BigIntegerField(
        _("discount given"),
        null=True,
        blank=True,
        help_text=_("What it took off the basket, in minor units."),
    )
    redeemed_purchase = models.ForeignKey(
        "programs.Purchase",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("purchase it paid part of"),
    )
    redeemed_location = models.ForeignKey(
        "core.Location",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("redeemed at location"),
    )
    redeemed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("redeemed by"),
    )
    redeem_key = models.CharField(
        _("redemption id"),
        max_length=100,
        blank=True,
        help_text=_("The redeemer's id: a retry answers the same."),
    )
    voided_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    void_reason = models.CharField(_("reason for cancelling"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        constraints = [
            models.UniqueConstraint(fields=["merchant", "code"], name="coupons_code_unique"),
            models.UniqueConstraint(
                fields=["merchant", "issue_key"],
                condition=~Q(issue_key=""),
                name="coupons_issue_key_unique",
            ),
            models.CheckConstraint(
                condition=Q(value__gt=0, percent=0) | Q(value=0, percent__gte=1, percent__lte=100),
                name="coupons_value_or_percent",
            ),
            models.CheckConstraint(
                condition=Q(min_spend__gte=0), name="coupons_coupon_min_spend_not_negative"
            ),
            models.CheckConstraint(
                condition=~Q(status="redeemed") | Q(redeemed_at__isnull=False),
                name="coupons_redeemed_has_time",
            ),
        ]
        indexes = [
            models.Index(
                fields=["member", "expires_at"],
                condition=Q(status="issued"),
                name="coupons_live_by_member",
            ),
            models.Index(fields=["merchant", "status", "-issued_at"], name="coupons_by_status"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def reason_shown(self) -> str:
        """The reason in the reader's language (apps/core/stored_text.py)."""
        return render(self.reason_text, self.reason)


class PurchaseCashback(TenantModel):
    """What one purchase earned in cashback and what its refunds took back so far, so
    several partial refunds take back exactly the refunded share (as `Purchase` keeps
    `points_earned` and `points_reversed` for points)."""

    purchase = models.OneToOneField(
        "programs.Purchase",
        on_delete=models.PROTECT,
        related_name="cashback",
        verbose_name=_("purchase"),
    )
    earned = models.BigIntegerField(
        _("cashback earned"), help_text=_("Minor units, before settling any shortfall.")
    )
    reversed = models.BigIntegerField(_("cashback taken back"), default=0)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("purchase cashback")
        verbose_name_plural = _("purchase cashback")
        constraints = [
            models.CheckConstraint(
                condition=Q(earned__gt=0)
                & Q(reversed__gte=0)
                & Q(reversed__lte=models.F("earned")),
                name="coupons_purchase_cashback_within_earned",
            ),
        ]
