"""Referrals: every member's code, who brought whom, and what each side got.

Amounts are integer minor units of the merchant's currency. A referral's rewards are
written under the members' points locks (`programs.lock_objects`): the new member's in
the transaction of the purchase that qualifies, the referrer's by a task that locks the
referrer's account alone (services/__init__.py explains why).
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.core.stored_text import render
from apps.core.tenancy import TenantModel


class RewardKind(models.TextChoices):
    NONE = "none", _("Nothing")
    POINTS = "points", _("Points")
    COUPON = "coupon", _("A coupon")


class ReferralSettings(TenantModel):
    """A merchant's referral terms. One row per merchant, created on first use; off until a
    manager turns it on."""

    is_enabled = models.BooleanField(_("run referrals"), default=False)
    min_purchase = models.BigIntegerField(
        _("first purchase of at least"),
        default=1000,
        help_text=_("Minor units: the first purchase must reach this."),
    )
    window_days = models.PositiveSmallIntegerField(
        _("within (days of enrolling)"),
        default=30,
        help_text=_("Days after enrolling in which the first purchase must happen."),
    )
    referrer_reward = models.CharField(
        _("the referrer gets"), max_length=8, choices=RewardKind.choices, default=RewardKind.POINTS
    )
    referrer_points = models.PositiveIntegerField(_("referrer's points"), default=0)
    referrer_coupon_value = models.BigIntegerField(
        _("referrer's coupon value"), default=0, help_text=_("Minor units.")
    )
    referred_reward = models.CharField(
        _("the new member gets"),
        max_length=8,
        choices=RewardKind.choices,
        default=RewardKind.POINTS,
    )
    referred_points = models.PositiveIntegerField(_("new member's points"), default=0)
    referred_coupon_value = models.BigIntegerField(
        _("new member's coupon value"), default=0, help_text=_("Minor units.")
    )
    coupon_days = models.PositiveSmallIntegerField(
        _("coupons valid for (days)"),
        default=90,
        help_text=_("A reward coupon is valid this many days."),
    )
    monthly_cap = models.PositiveSmallIntegerField(
        _("rewarded referrals per referrer per month"),
        null=True,
        blank=True,
        help_text=_("Rewarded referrals per referrer per calendar month; empty: no cap."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("referral terms")
        verbose_name_plural = _("referral terms")
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
        return gettext("Referrals on") if self.is_enabled else gettext("Referrals off")


class ReferralCode(TenantModel):
    """A member's code to share: six characters of Crockford's base 32, unique per merchant.
    Drawn at enrollment, or on first use for members who enrolled before (imports)."""

    member = models.OneToOneField(
        "members.Member",
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="referral_code",
    )
    code = models.CharField(_("code"), max_length=6)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("referral code")
        verbose_name_plural = _("referral codes")
        constraints = [
            models.UniqueConstraint(fields=["merchant", "code"], name="referrals_code_unique"),
        ]

    def __str__(self) -> str:
        return self.display

    @property
    def display(self) -> str:
        return f"{self.code[:3]}-{self.code[3:]}"


class ReferralStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a first purchase")
    REWARDED = "rewarded", _("Rewarded")
    EXPIRED = "expired", _("Expired (no purchase in time)")
    REVERSED = "reversed", _("Reversed")
    REJECTED = "rejected", _("Rejected")


class ReferrerState(models.TextChoices):
    """The referrer's side of a referral that converted."""

    NONE = "none", _("Not yet")
    DUE = "due", _("Being credited")
    PAID = "paid", _("Rewarded")
    CAPPED = "capped", _("Nothing: monthly cap reached")
    NOTHING = "nothing", _("Nothing")
    TAKE_BACK = "take_back", _("Being taken back")
    TAKEN_BACK = "taken_back", _("Taken back")


class Referral(TenantModel):
    """One new member brought by another. At most one per new member (`referred`)."""

    referrer = models.ForeignKey(
        "members.Member",
        verbose_name=_("referrer"),
        on_delete=models.PROTECT,
        related_name="referrals_made",
    )
    referred = models.OneToOneField(
        "members.Member",
        verbose_name=_("new member"),
        on_delete=models.PROTECT,
        related_name="referral",
    )
    code = models.CharField(_("code"), max_length=6, help_text=_("The code used."))
    channel = models.CharField(_("channel"), max_length=16)
    status = models.CharField(
        _("status"), max_length=16, choices=ReferralStatus.choices, default=ReferralStatus.PENDING
    )
    created_at = models.DateTimeField(_("enrolled"))
    window_ends_at = models.DateTimeField(_("first purchase by"))
    # Filled when the referral converts: the terms as they were then.
    qualifying_purchase = models.OneToOneField(
        "programs.Purchase",
        verbose_name=_("qualifying purchase"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    converted_at = models.DateTimeField(_("converted"), null=True, blank=True)
    min_purchase = models.BigIntegerField(_("minimum purchase"), null=True, blank=True)
    referred_reward = models.CharField(
        _("new member's reward"), max_length=8, choices=RewardKind.choices, blank=True
    )
    referred_points = models.PositiveIntegerField(_("new member's points"), default=0)
    referred_coupon_value = models.BigIntegerField(_("new member's coupon value"), default=0)
    referred_entry = models.ForeignKey(
        "programs.LedgerEntry",
        verbose_name=_("new member's ledger entry"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    referred_coupon = models.ForeignKey(
        "coupons.Coupon",
        verbose_name=_("new member's coupon"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    referrer_state = models.CharField(
        _("referrer's reward"),
        max_length=16,
        choices=ReferrerState.choices,
        default=ReferrerState.NONE,
    )
    referrer_reward = models.CharField(
        _("referrer's reward kind"), max_length=8, choices=RewardKind.choices, blank=True
    )
    referrer_points = models.PositiveIntegerField(_("referrer's points"), default=0)
    referrer_coupon_value = models.BigIntegerField(_("referrer's coupon value"), default=0)
    referrer_entry = models.ForeignKey(
        "programs.LedgerEntry",
        verbose_name=_("referrer's ledger entry"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    referrer_coupon = models.ForeignKey(
        "coupons.Coupon",
        verbose_name=_("referrer's coupon"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    referrer_settled_at = models.DateTimeField(_("referrer settled"), null=True, blank=True)
    # Filled when a refund or a merge undoes it.
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    end_reason = models.CharField(_("why it ended"), max_length=255, blank=True)
    end_reason_text = models.JSONField(_("why it ended, for translation"), default=dict, blank=True)
    coupons_lost = models.BigIntegerField(
        _("coupons lost"),
        default=0,
        help_text=_("Minor units of reward coupons already used when it was reversed."),
    )

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
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
        # Translators: an admin label, e.g. "Referral 12 (Rewarded)".
        return gettext("Referral %(number)s (%(status)s)") % {
            "number": self.pk,
            "status": self.get_status_display(),
        }

    @property
    def end_reason_shown(self) -> str:
        """Why it ended, in the reader's language (apps/core/stored_text.py)."""
        return render(self.end_reason_text, self.end_reason)
