"""Referrals: every member's code, who brought whom, and what each side got.

Amounts are integer minor units of the merchant's currency. A referral's rewards are
written under the members' points locks (`programs.lock_objects`): the new member's in
the transaction of the purchase that qualifies, the referrer's by a task that locks the
referrer's account alone (services.py explains why).
"""

from django.db import models
from django.db.models import Q

from apps.core.tenancy import TenantModel


class RewardKind(models.TextChoices):
    NONE = "none", "Nothing"
    POINTS = "points", "Points"
    COUPON = "coupon", "A coupon"


class ReferralSettings(TenantModel):
    """A merchant's referral terms. One row per merchant, created on first use; off until a
    manager turns it on."""

    is_enabled = models.BooleanField(default=False)
    min_purchase = models.BigIntegerField(
        default=1000, help_text="Minor units: the first purchase must reach this."
    )
    window_days = models.PositiveSmallIntegerField(
        default=30, help_text="Days after enrolling in which the first purchase must happen."
    )
    referrer_reward = models.CharField(
        max_length=8, choices=RewardKind.choices, default=RewardKind.POINTS
    )
    referrer_points = models.PositiveIntegerField(default=0)
    referrer_coupon_value = models.BigIntegerField(default=0, help_text="Minor units.")
    referred_reward = models.CharField(
        max_length=8, choices=RewardKind.choices, default=RewardKind.POINTS
    )
    referred_points = models.PositiveIntegerField(default=0)
    referred_coupon_value = models.BigIntegerField(default=0, help_text="Minor units.")
    coupon_days = models.PositiveSmallIntegerField(
        default=90, help_text="A reward coupon is valid this many days."
    )
    monthly_cap = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Rewarded referrals per referrer per calendar month; empty: no cap.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["merchant"], name="referrals_settings_one_per_merchant"
            ),
            models.CheckConstraint(
                condition=Q(min_purchase__gte=0), name="referrals_min_purchase_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(referrer_coupon_value__gte=0) & Q(referred_coupon_value__gte=0),
                name="referrals_coupon_values_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(window_days__gte=1), name="referrals_window_at_least_a_day"
            ),
        ]

    def __str__(self) -> str:
        return "Referrals on" if self.is_enabled else "Referrals off"


class ReferralCode(TenantModel):
    """A member's code to share: six characters of Crockford's base 32, unique per merchant.
    Drawn at enrollment, or on first use for members who enrolled before (imports)."""

    member = models.OneToOneField(
        "members.Member", on_delete=models.PROTECT, related_name="referral_code"
    )
    code = models.CharField(max_length=6)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "code"], name="referrals_code_unique"),
        ]

    def __str__(self) -> str:
        return self.display

    @property
    def display(self) -> str:
        return f"{self.code[:3]}-{self.code[3:]}"


class ReferralStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a first purchase"
    REWARDED = "rewarded", "Rewarded"
    EXPIRED = "expired", "Expired (no purchase in time)"
    REVERSED = "reversed", "Reversed"
    REJECTED = "rejected", "Rejected"


class ReferrerState(models.TextChoices):
    """The referrer's side of a referral that converted."""

    NONE = "none", "Not yet"
    DUE = "due", "Being credited"
    PAID = "paid", "Rewarded"
    CAPPED = "capped", "Nothing: monthly cap reached"
    NOTHING = "nothing", "Nothing"
    TAKE_BACK = "take_back", "Being taken back"
    TAKEN_BACK = "taken_back", "Taken back"


class Referral(TenantModel):
    """One new member brought by another. At most one per new member (`referred`)."""

    referrer = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="referrals_made"
    )
    referred = models.OneToOneField(
        "members.Member", on_delete=models.PROTECT, related_name="referral"
    )
    code = models.CharField(max_length=6, help_text="The code used.")
    channel = models.CharField(max_length=16)
    status = models.CharField(
        max_length=16, choices=ReferralStatus.choices, default=ReferralStatus.PENDING
    )
    created_at = models.DateTimeField()
    window_ends_at = models.DateTimeField()
    # Filled when the referral converts: the terms as they were then.
    qualifying_purchase = models.OneToOneField(
        "programs.Purchase", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    converted_at = models.DateTimeField(null=True, blank=True)
    min_purchase = models.BigIntegerField(null=True, blank=True)
    referred_reward = models.CharField(max_length=8, choices=RewardKind.choices, blank=True)
    referred_points = models.PositiveIntegerField(default=0)
    referred_coupon_value = models.BigIntegerField(default=0)
    referred_entry = models.ForeignKey(
        "programs.LedgerEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    referred_coupon = models.ForeignKey(
        "coupons.Coupon", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    referrer_state = models.CharField(
        max_length=16, choices=ReferrerState.choices, default=ReferrerState.NONE
    )
    referrer_reward = models.CharField(max_length=8, choices=RewardKind.choices, blank=True)
    referrer_points = models.PositiveIntegerField(default=0)
    referrer_coupon_value = models.BigIntegerField(default=0)
    referrer_entry = models.ForeignKey(
        "programs.LedgerEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    referrer_coupon = models.ForeignKey(
        "coupons.Coupon", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    referrer_settled_at = models.DateTimeField(null=True, blank=True)
    # Filled when a refund or a merge undoes it.
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=255, blank=True)
    coupons_lost = models.BigIntegerField(
        default=0, help_text="Minor units of reward coupons already used when it was reversed."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(referrer=models.F("referred")), name="referrals_not_self"
            ),
            models.CheckConstraint(
                condition=~Q(status="rewarded") | Q(converted_at__isnull=False),
                name="referrals_rewarded_has_conversion",
            ),
        ]
        indexes = [
            models.Index(fields=["referrer", "-created_at"], name="referrals_by_referrer"),
            models.Index(fields=["merchant", "-created_at"], name="referrals_recent"),
            models.Index(
                fields=["merchant", "converted_at"],
                condition=Q(converted_at__isnull=False),
                name="referrals_conversions",
            ),
            models.Index(
                fields=["window_ends_at"],
                condition=Q(status="pending"),
                name="referrals_pending_window",
            ),
            models.Index(
                fields=["referrer_state"],
                condition=Q(referrer_state="due"),
                name="referrals_referrer_due",
            ),
        ]

    def __str__(self) -> str:
        return f"Referral {self.pk} ({self.status})"
