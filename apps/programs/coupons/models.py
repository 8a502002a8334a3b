"""Cashback wallets and coupons.

Money is integer minor units of the merchant's currency. A member's wallet and its
entries change only under the member's points lock (`programs.lock_objects`), the one
lock of a member's money, so a purchase that earns points and cashback takes one lock.
A coupon is redeemed at most once: the flip issued → redeemed is a conditional UPDATE.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.core.tenancy import TenantModel


class CashbackSettings(TenantModel):
    """A merchant's cashback terms: the rate (basis points: 500 is 5 %), the wallet amount
    at which a coupon is issued (the coupon is worth exactly that), and the coupons'
    validity and minimum spend."""

    is_enabled = models.BooleanField(default=False)
    rate_bp = models.PositiveIntegerField(default=500, help_text="Basis points: 500 is 5 %.")
    threshold = models.BigIntegerField(default=1000, help_text="Minor units.")
    coupon_days = models.PositiveSmallIntegerField(default=90)
    coupon_min_spend = models.BigIntegerField(default=0, help_text="Minor units.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
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

    category = models.CharField(max_length=100, help_text="Lower case.")
    rate_bp = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "category"], name="coupons_category_rate_unique"
            ),
            models.CheckConstraint(
                condition=Q(rate_bp__lte=10_000), name="coupons_category_rate_at_most_100"
            ),
        ]


class CashbackWallet(TenantModel):
    """One per member: cashback accrued and not yet turned into a coupon. `shortfall` is
    cashback a refund took back after it had become a coupon, settled from later
    accruals first (as points do)."""

    member = models.OneToOneField(
        "members.Member", on_delete=models.PROTECT, related_name="cashback_wallet"
    )
    balance = models.BigIntegerField(default=0)
    shortfall = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(balance__gte=0), name="coupons_wallet_balance_never_negative"
            ),
            models.CheckConstraint(
                condition=Q(shortfall__gte=0), name="coupons_wallet_shortfall_never_negative"
            ),
        ]


class CashbackKind(models.TextChoices):
    ACCRUE = "accrue", "Cashback earned"
    REFUND = "refund", "Taken back by a refund"
    CONVERT = "convert", "Turned into a coupon"
    MERGE = "merge", "Moved by a merge"


class CashbackEntry(TenantModel):
    """Append-only, like the points ledger: the wallet's balance is the sum of these."""

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=CashbackKind.choices)
    amount = models.BigIntegerField(help_text="Minor units; negative when it leaves the wallet.")
    balance_after = models.BigIntegerField()
    purchase = models.ForeignKey(
        "programs.Purchase", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    refund = models.ForeignKey(
        "programs.Refund", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    coupon = models.ForeignKey(
        "Coupon", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["member", "-id"], name="coupons_entry_member_recent")]

    def __str__(self) -> str:
        return f"{self.amount:+d} ({self.kind})"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise RuntimeError("Cashback entries are append-only: record a correction instead.")
        super().save(*args, **kwargs)


class CouponSource(models.TextChoices):
    CASHBACK = "cashback", "Cashback"
    MANUAL = "manual", "Issued by hand"
    REWARD = "reward", "Reward"
    REFERRAL = "referral", "Referral"
    CAMPAIGN = "campaign", "Campaign"


class CouponStatus(models.TextChoices):
    ISSUED = "issued", "Live"
    REDEEMED = "redeemed", "Redeemed"
    VOID = "void", "Void"


class Coupon(TenantModel):
    """A fixed amount off one purchase at this business, usable once. Expiry is by date
    (`expires_at`), not by a status: an issued coupon past its date is expired."""

    code = models.CharField(max_length=12)
    member = models.ForeignKey(
        "members.Member",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="coupons",
        help_text="Empty: anyone may use it.",
    )
    value = models.BigIntegerField(help_text="Minor units of `currency`.")
    currency = models.CharField(max_length=3)
    min_spend = models.BigIntegerField(default=0)
    expires_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=16, choices=CouponSource.choices)
    reason = models.CharField(max_length=255, blank=True)
    status = models.CharField(
        max_length=16, choices=CouponStatus.choices, default=CouponStatus.ISSUED
    )
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source_purchase = models.ForeignKey(
        "programs.Purchase", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source_redemption = models.ForeignKey(
        "programs.Redemption", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    issue_key = models.CharField(
        max_length=120, blank=True, help_text="Makes an automatic issue idempotent."
    )
    redeemed_at = models.DateTimeField(null=True, blank=True)
    redeemed_amount = models.BigIntegerField(null=True, blank=True, help_text="The basket.")
    redeemed_purchase = models.ForeignKey(
        "programs.Purchase", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    redeemed_location = models.ForeignKey(
        "core.Location", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    redeemed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    redeem_key = models.CharField(
        max_length=100, blank=True, help_text="The redeemer's id: a retry answers the same."
    )
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "code"], name="coupons_code_unique"),
            models.UniqueConstraint(
                fields=["merchant", "issue_key"],
                condition=~Q(issue_key=""),
                name="coupons_issue_key_unique",
            ),
            models.CheckConstraint(condition=Q(value__gt=0), name="coupons_value_positive"),
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


class PurchaseCashback(TenantModel):
    """What one purchase earned in cashback and what its refunds took back so far, so
    several partial refunds take back exactly the refunded share (as `Purchase` keeps
    `points_earned` and `points_reversed` for points)."""

    purchase = models.OneToOneField(
        "programs.Purchase", on_delete=models.PROTECT, related_name="cashback"
    )
    earned = models.BigIntegerField(help_text="Minor units, before settling any shortfall.")
    reversed = models.BigIntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(earned__gt=0)
                & Q(reversed__gte=0)
                & Q(reversed__lte=models.F("earned")),
                name="coupons_purchase_cashback_within_earned",
            ),
        ]
