import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.core.tenancy import TenantModel
from apps.members.identifiers import CARD_ALPHABET


class ProgramSettings(TenantModel):
    """How a merchant's points work. One row per merchant, created on first use."""

    points_per_unit = models.PositiveIntegerField(
        default=10, help_text="Points earned per whole unit of currency spent (e.g. per €1)."
    )
    expiry_months = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Points expire this many months after they are earned."
    )
    reminder_days = models.PositiveSmallIntegerField(
        default=30, help_text="Remind members this many days before their points expire."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint("merchant", name="programs_one_settings_row")]

    def __str__(self) -> str:
        return f"{self.points_per_unit} points per unit"


class PointsAccount(TenantModel):
    """A member's points: the balance (always the sum of the ledger) and any shortfall.

    The row is the lock every points operation of one member takes, so two tills can
    never spend the same points. A shortfall is what a refund could not take back because
    the points were already spent; future earnings settle it first.
    """

    member = models.OneToOneField(
        "members.Member", on_delete=models.PROTECT, related_name="points_account"
    )
    balance = models.IntegerField(default=0)
    shortfall = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(balance__gte=0), name="programs_balance_never_negative"
            ),
            models.CheckConstraint(
                condition=Q(shortfall__gte=0), name="programs_shortfall_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.balance} points"


class Purchase(TenantModel):
    """A sale to a member that earns points. `external_id` makes recording it idempotent."""

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="purchases")
    external_id = models.CharField(max_length=100)
    amount = models.BigIntegerField(help_text="Minor units (cents) of the merchant's currency.")
    currency = models.CharField(max_length=3)
    items = models.JSONField(default=list, blank=True)
    location = models.ForeignKey(
        "core.Location", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    points_earned = models.IntegerField(default=0)
    refunded_amount = models.BigIntegerField(default=0)
    points_reversed = models.IntegerField(default=0)
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                "merchant", "external_id", name="programs_purchase_external_id"
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="programs_purchase_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=models.F("amount")),
                name="programs_refund_within_amount",
            ),
        ]
        indexes = [models.Index(fields=["member", "-occurred_at"], name="programs_purchase_member")]

    def __str__(self) -> str:
        return f"Purchase {self.external_id}"


class Refund(TenantModel):
    purchase = models.ForeignKey(Purchase, on_delete=models.PROTECT, related_name="refunds")
    external_id = models.CharField(max_length=100)
    amount = models.BigIntegerField()
    points_reversed = models.IntegerField(default=0)
    shortfall = models.IntegerField(default=0)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint("merchant", "external_id", name="programs_refund_external_id"),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="programs_refund_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"Refund {self.external_id}"


class Lot(TenantModel):
    """Points earned together, which expire together. Spending takes from the oldest lot."""

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="lots")
    points = models.PositiveIntegerField()
    remaining = models.PositiveIntegerField()
    earned_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["earned_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(remaining__lte=models.F("points")),
                name="programs_lot_remaining_le_points",
            ),
        ]
        indexes = [
            models.Index(
                fields=["merchant", "expires_at"],
                condition=Q(remaining__gt=0),
                name="programs_lot_expiring",
            )
        ]

    def __str__(self) -> str:
        return f"{self.remaining}/{self.points} points"


class EntryKind(models.TextChoices):
    EARN = "earn", "Earned"
    REFUND = "refund", "Taken back (refund)"
    EXPIRE = "expire", "Expired"
    ADJUST = "adjust", "Adjusted"
    SHORTFALL = "shortfall", "Shortfall settled"
    MERGE = "merge", "Moved by a merge"
    BONUS = "bonus", "Bonus"
    REDEEM = "redeem", "Redeemed"
    VOID = "void", "Redemption voided"


class LedgerEntry(TenantModel):
    """One movement of a member's points. Append-only: no code path updates or deletes a
    row, and the database refuses it (migration 0002's triggers). Corrections are new
    entries."""

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="ledger")
    kind = models.CharField(max_length=16, choices=EntryKind.choices)
    points = models.IntegerField(help_text="Positive when earned, negative when spent or lost.")
    balance_after = models.IntegerField()
    purchase = models.ForeignKey(
        Purchase, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    refund = models.ForeignKey(
        Refund, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reason = models.CharField(max_length=255, blank=True)
    # PROTECT, not SET_NULL: nulling the actor would be an update of an append-only row.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["member", "-created_at", "-id"], name="programs_ledger_member")
        ]

    def __str__(self) -> str:
        return f"{self.points:+d} ({self.kind})"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise RuntimeError("Ledger entries are append-only: record a correction instead.")
        super().save(*args, **kwargs)


class MultiplierTarget(models.TextChoices):
    CATEGORY = "category", "Product category"
    SKU = "sku", "Product (SKU)"


class EarnMultiplier(TenantModel):
    """Lines of a basket in a category or of a product earn a multiple of the base rate
    (to push own-brand or higher-margin products)."""

    target = models.CharField(max_length=16, choices=MultiplierTarget.choices)
    value = models.CharField(max_length=100, help_text="The category name or the SKU.")
    percent = models.PositiveIntegerField(help_text="200 earns double; 150 one and a half.")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["target", "value"]
        constraints = [
            models.UniqueConstraint(
                "merchant", "target", "value", name="programs_one_multiplier_per_target"
            ),
            models.CheckConstraint(
                condition=Q(percent__gte=100, percent__lte=1000), name="programs_multiplier_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_target_display()} {self.value}: ×{self.percent / 100:g}"


class Promotion(TenantModel):
    """A time-boxed multiplier of everything earned (double points this weekend),
    optionally only at some locations."""

    name = models.CharField(max_length=120)
    percent = models.PositiveIntegerField(help_text="200 earns double points.")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    locations = models.ManyToManyField("core.Location", blank=True, related_name="+")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="programs_promotion_ends_after"
            ),
            models.CheckConstraint(
                condition=Q(percent__gte=100, percent__lte=1000), name="programs_promotion_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name


# Rewards catalog and redemption (apps/programs/rewards.py) ---------------------------


def new_reward_id() -> str:
    """An opaque id for the API: no count of rewards leaks through it."""
    return "rwd_" + "".join(secrets.choice(CARD_ALPHABET.lower()) for _ in range(16))


class RewardKind(models.TextChoices):
    FIXED_DISCOUNT = "fixed_discount", "Fixed discount"
    PERCENT_DISCOUNT = "percent_discount", "Percentage discount"
    FREE_PRODUCT = "free_product", "Free product"
    COUPON = "coupon", "Coupon for a later visit"


class Reward(TenantModel):
    """What points buy. The value is in integers: a fixed discount in minor units of the
    merchant's currency, a percentage in whole percent. `stock` empty means unlimited;
    the validity dates are inclusive days in the merchant's time zone. A coupon reward's
    value is `discount_amount`, the coupon's face value. Tier restrictions live in the tiers
    app (`hooks.REWARD_CHECKS`)."""

    public_id = models.CharField(max_length=24, unique=True, default=new_reward_id, editable=False)
    name = models.CharField(max_length=120)
    description = models.CharField(max_length=255, blank=True)
    kind = models.CharField(max_length=20, choices=RewardKind.choices)
    points_cost = models.PositiveIntegerField()
    discount_amount = models.BigIntegerField(
        null=True, blank=True, help_text="Minor units (cents) of `currency`."
    )
    currency = models.CharField(max_length=3, blank=True)
    discount_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    product_name = models.CharField(max_length=120, blank=True)
    stock = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: unlimited.")
    valid_from = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["points_cost", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(points_cost__gt=0), name="programs_reward_cost_positive"
            ),
            models.CheckConstraint(
                condition=Q(stock__isnull=True) | Q(stock__gte=0),
                name="programs_reward_stock_never_negative",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind__in=["fixed_discount", "coupon"], discount_amount__gt=0)
                    | Q(kind="percent_discount", discount_percent__gte=1, discount_percent__lte=100)
                    | (Q(kind="free_product") & ~Q(product_name=""))
                ),
                name="programs_reward_value_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_until__gte=models.F("valid_from")),
                name="programs_reward_valid_until_after_from",
            ),
        ]
        indexes = [
            models.Index(
                fields=["merchant", "points_cost"],
                condition=Q(is_active=True),
                name="programs_reward_active",
            )
        ]

    def __str__(self) -> str:
        return self.name


class RedemptionStatus(models.TextChoices):
    ISSUED = "issued", "Issued"
    VOIDED = "voided", "Voided"


class Redemption(TenantModel):
    """A reward given to a member for points, with a code to show at the counter or
    type into the till. `external_id` makes a storefront's redemption idempotent."""

    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="redemptions"
    )
    reward = models.ForeignKey(Reward, on_delete=models.PROTECT, related_name="redemptions")
    reward_name = models.CharField(max_length=120, help_text="The reward's name when redeemed.")
    points = models.PositiveIntegerField()
    code = models.CharField(max_length=8)
    external_id = models.CharField(max_length=100, blank=True)
    status = models.CharField(
        max_length=8, choices=RedemptionStatus.choices, default=RedemptionStatus.ISSUED
    )
    location = models.ForeignKey(
        "core.Location", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    void_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint("merchant", "code", name="programs_redemption_code"),
            models.UniqueConstraint(
                "merchant",
                "external_id",
                condition=~Q(external_id=""),
                name="programs_redemption_external_id",
            ),
            models.CheckConstraint(
                condition=Q(points__gt=0), name="programs_redemption_points_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["member", "-created_at", "-id"], name="programs_redemption_member")
        ]

    def __str__(self) -> str:
        return f"{self.reward_name} ({self.code})"


class BonusAction(models.TextChoices):
    JOIN = "join", "Joining"
    BIRTHDAY = "birthday", "Birthday"
    PROFILE = "profile", "Completing the profile"
    REVIEW = "review", "Writing a review"
    SOCIAL_SHARE = "social_share", "Sharing on social media"
    CUSTOM = "custom", "Custom event (from the storefront)"


class CapPeriod(models.TextChoices):
    DAY = "day", "per day"
    WEEK = "week", "per week"
    MONTH = "month", "per month"
    YEAR = "year", "per year"
    EVER = "ever", "ever"


class BonusRule(TenantModel):
    """Points for an action, at most `cap_count` times per member and period, so bonuses
    cannot be farmed."""

    action = models.CharField(max_length=16, choices=BonusAction.choices)
    event_type = models.CharField(
        max_length=64, blank=True, help_text="For custom events: the type the storefront sends."
    )
    points = models.PositiveIntegerField()
    cap_count = models.PositiveSmallIntegerField(default=1)
    cap_period = models.CharField(max_length=8, choices=CapPeriod.choices, default=CapPeriod.EVER)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["action", "event_type"]
        constraints = [
            models.UniqueConstraint(
                "merchant", "action", "event_type", name="programs_one_bonus_rule_per_action"
            ),
            models.CheckConstraint(condition=Q(points__gt=0), name="programs_bonus_points"),
            models.CheckConstraint(condition=Q(cap_count__gt=0), name="programs_bonus_cap"),
        ]

    def __str__(self) -> str:
        what = self.event_type if self.action == BonusAction.CUSTOM else self.get_action_display()
        return f"{what}: {self.points} points, {self.cap_count}× {self.get_cap_period_display()}"


class BonusAward(TenantModel):
    """One bonus given (or refused by its cap, with 0 points), by its external id, so a
    retried event has the same answer and no second effect."""

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey(BonusRule, on_delete=models.PROTECT, related_name="awards")
    external_id = models.CharField(max_length=100)
    points = models.PositiveIntegerField()
    occurred_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint("merchant", "external_id", name="programs_bonus_external_id")
        ]
        indexes = [
            models.Index(fields=["member", "rule", "occurred_at"], name="programs_bonus_cap_idx")
        ]

    def __str__(self) -> str:
        return f"{self.points} bonus points ({self.external_id})"


class ExpiryNotice(TenantModel):
    """That a member's points expiring on a date were announced (the `points.expiring`
    webhook, reminders.py): once per member and expiry, however often the task runs."""

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    expires_at = models.DateTimeField()
    points = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["member", "expires_at"], name="programs_expiry_notice_once"
            )
        ]
