import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from apps.core.stored_text import StoredText, choice_msgid, render, stored_plural, stored_text
from apps.core.tenancy import TenantModel
from apps.members.identifiers import CARD_ALPHABET


class ProgramSettings(TenantModel):
    """How a merchant's points work. One row per merchant, created on first use."""

    points_per_unit = models.PositiveIntegerField(
        _("points per unit of currency"),
        default=10,
        help_text=_("Points earned per whole unit of currency spent (e.g. per €1)."),
    )
    expiry_months = models.PositiveSmallIntegerField(
        _("points expire after (months)"),
        null=True,
        blank=True,
        help_text=_("Points expire this many months after they are earned."),
    )
    reminder_days = models.PositiveSmallIntegerField(
        _("reminder (days before expiry)"),
        default=30,
        help_text=_("Remind members this many days before their points expire."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("points program settings")
        verbose_name_plural = _("points program settings")
        constraints = [models.UniqueConstraint("merchant", name="programs_one_settings_row")]

    def __str__(self) -> str:
        return ngettext(
            "%(count)d point per unit", "%(count)d points per unit", self.points_per_unit
        ) % {"count": self.points_per_unit}


class PointsAccount(TenantModel):
    """A member's points: the balance (always the sum of the ledger) and any shortfall.

    The row is the lock every points operation of one member takes, so two tills can
    never spend the same points. A shortfall is what a refund could not take back because
    the points were already spent; future earnings settle it first.
    """

    member = models.OneToOneField(
        "members.Member",
        on_delete=models.PROTECT,
        related_name="points_account",
        verbose_name=_("member"),
    )
    balance = models.IntegerField(_("balance"), default=0)
    shortfall = models.IntegerField(_("shortfall"), default=0)

    class Meta:
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(balance__gte=0), name="programs_balance_never_negative"
            ),
            models.CheckConstraint(
                condition=Q(shortfall__gte=0), name="programs_shortfall_positive"
            ),
        ]

    def __str__(self) -> str:
        return ngettext("%(count)d point", "%(count)d points", self.balance) % {
            "count": self.balance
        }


class Purchase(TenantModel):
    """A sale to a member that earns points. `external_id` makes recording it idempotent."""

    member = models.ForeignKey(
        "members.Member",
        on_delete=models.PROTECT,
        related_name="purchases",
        verbose_name=_("member"),
    )
    external_id = models.CharField(_("ticket or order number"), max_length=100)
    amount = models.BigIntegerField(
        _("amount"), help_text=_("Minor units (cents) of the merchant's currency.")
    )
    currency = models.CharField(_("currency"), max_length=3)
    items = models.JSONField(_("items"), default=list, blank=True)
    location = models.ForeignKey(
        "core.Location",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("location"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    points_earned = models.IntegerField(_("points earned"), default=0)
    refunded_amount = models.BigIntegerField(_("amount refunded"), default=0)
    points_reversed = models.IntegerField(_("points taken back"), default=0)
    occurred_at = models.DateTimeField(_("when"))
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("purchase")
        verbose_name_plural = _("purchases")
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
        # Translators: %(id)s is the ticket or order number of the purchase.
        return gettext("Purchase %(id)s") % {"id": self.external_id}


class Refund(TenantModel):
    purchase = models.ForeignKey(
        Purchase, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("purchase")
    )
    external_id = models.CharField(_("refund number"), max_length=100)
    amount = models.BigIntegerField(_("amount"))
    points_reversed = models.IntegerField(_("points taken back"), default=0)
    shortfall = models.IntegerField(_("shortfall"), default=0)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [
            models.UniqueConstraint("merchant", "external_id", name="programs_refund_external_id"),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="programs_refund_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        # Translators: %(id)s is the refund's number, given by the till or storefront.
        return gettext("Refund %(id)s") % {"id": self.external_id}


class Lot(TenantModel):
    """Points earned together, which expire together. Spending takes from the oldest lot."""

    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="lots", verbose_name=_("member")
    )
    points = models.PositiveIntegerField(_("points"))
    remaining = models.PositiveIntegerField(_("remaining"))
    earned_at = models.DateTimeField(_("earned"))
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)

    class Meta:
        verbose_name = _("points lot")
        verbose_name_plural = _("points lots")
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
        # Translators: what is left of the points earned together, e.g. "40/100 points".
        return gettext("%(remaining)d/%(points)d points") % {
            "remaining": self.remaining,
            "points": self.points,
        }


class EntryKind(models.TextChoices):
    EARN = "earn", pgettext_lazy("points", "Earned")
    REFUND = "refund", _("Taken back (refund)")
    EXPIRE = "expire", pgettext_lazy("points", "Expired")
    ADJUST = "adjust", pgettext_lazy("points", "Adjusted")
    SHORTFALL = "shortfall", _("Shortfall settled")
    MERGE = "merge", _("Moved by a merge")
    BONUS = "bonus", pgettext_lazy("points", "Bonus")
    REDEEM = "redeem", pgettext_lazy("points", "Redeemed")
    VOID = "void", _("Redemption voided")


class LedgerEntry(TenantModel):
    """One movement of a member's points. Append-only: no code path updates or deletes a
    row, and the database refuses it (migration 0002's triggers). Corrections are new
    entries."""

    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="ledger", verbose_name=_("member")
    )
    kind = models.CharField(_("what"), max_length=16, choices=EntryKind.choices)
    points = models.IntegerField(
        _("points"), help_text=_("Positive when earned, negative when spent or lost.")
    )
    balance_after = models.IntegerField(_("balance after"))
    purchase = models.ForeignKey(
        Purchase,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("purchase"),
    )
    refund = models.ForeignKey(
        Refund,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("refund"),
    )
    lot = models.ForeignKey(
        Lot,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("points lot"),
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    reason_text = models.JSONField(_("reason, for translation"), default=dict, blank=True)
    # PROTECT, not SET_NULL: nulling the actor would be an update of an append-only row.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("when"))

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["member", "-created_at", "-id"], name="programs_ledger_member")
        ]

    def __str__(self) -> str:
        return f"{self.points:+d} ({self.kind})"

    @property
    def reason_shown(self) -> str:
        """The reason in the reader's language (its English text for older rows)."""
        return render(self.reason_text, self.reason)

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise RuntimeError("Ledger entries are append-only: record a correction instead.")
        super().save(*args, **kwargs)


class MultiplierTarget(models.TextChoices):
    CATEGORY = "category", _("Product category")
    SKU = "sku", _("Product (SKU)")


class EarnMultiplier(TenantModel):
    """Lines of a basket in a category or of a product earn a multiple of the base rate
    (to push own-brand or higher-margin products)."""

    target = models.CharField(_("applies to"), max_length=16, choices=MultiplierTarget.choices)
    value = models.CharField(
        _("category or SKU"), max_length=100, help_text=_("The category name or the SKU.")
    )
    percent = models.PositiveIntegerField(
        _("earns (%)"), help_text=_("200 earns double; 150 one and a half.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("product multiplier")
        verbose_name_plural = _("product multipliers")
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
        # Translators: a product multiplier, e.g. "Product category bakery: ×2".
        return gettext("%(target)s %(value)s: ×%(factor)s") % {
            "target": self.get_target_display(),
            "value": self.value,
            "factor": f"{self.percent / 100:g}",
        }

    def stored_name(self) -> StoredText:
        """`str(self)` as stored text, for a line written now and read later (msgid marked
        in __str__)."""
        return stored_text(
            "%(target)s %(value)s: ×%(factor)s",
            target=choice_msgid(MultiplierTarget, self.target),
            value=self.value,
            factor=f"{self.percent / 100:g}",
        )


class Promotion(TenantModel):
    """A time-boxed multiplier of everything earned (double points this weekend),
    optionally only at some locations."""

    name = models.CharField(_("name"), max_length=120)
    percent = models.PositiveIntegerField(_("earns (%)"), help_text=_("200 earns double points."))
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    locations = models.ManyToManyField(
        "core.Location", blank=True, related_name="+", verbose_name=_("only at")
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("promotion")
        verbose_name_plural = _("promotions")
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

    def stored_name(self) -> str:
        return self.name  # a name: data, the same in every language


# Rewards catalog and redemption (apps/programs/rewards.py) ---------------------------


def new_reward_id() -> str:
    """An opaque id for the API: no count of rewards leaks through it."""
    return "rwd_" + "".join(secrets.choice(CARD_ALPHABET.lower()) for _ in range(16))


class RewardKind(models.TextChoices):
    FIXED_DISCOUNT = "fixed_discount", _("Fixed discount")
    PERCENT_DISCOUNT = "percent_discount", _("Percentage discount")
    FREE_PRODUCT = "free_product", _("Free product")
    COUPON = "coupon", _("Coupon for a later visit")


class Reward(TenantModel):
    """What points buy. The value is in integers: a fixed discount in minor units of the
    merchant's currency, a percentage in whole percent. `stock` empty means unlimited;
    the validity dates are inclusive days in the merchant's time zone. A coupon reward's
    value is `discount_amount`, the coupon's face value. Tier restrictions live in the tiers
    app (`hooks.REWARD_CHECKS`)."""

    public_id = models.CharField(
        _("id"), max_length=24, unique=True, default=new_reward_id, editable=False
    )
    name = models.CharField(_("name"), max_length=120)
    description = models.CharField(_("description"), max_length=255, blank=True)
    kind = models.CharField(_("what it is"), max_length=20, choices=RewardKind.choices)
    points_cost = models.PositiveIntegerField(_("point cost"))
    discount_amount = models.BigIntegerField(
        _("discount amount"),
        null=True,
        blank=True,
        help_text=_("Minor units (cents) of the currency."),
    )
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    discount_percent = models.PositiveSmallIntegerField(_("discount (%)"), null=True, blank=True)
    product_name = models.CharField(_("free product"), max_length=120, blank=True)
    stock = models.PositiveIntegerField(
        _("stock"), null=True, blank=True, help_text=_("Empty: unlimited.")
    )
    valid_from = models.DateField(_("first day"), null=True, blank=True)
    valid_until = models.DateField(_("last day"), null=True, blank=True)
    is_active = models.BooleanField(_("offered"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
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
    ISSUED = "issued", pgettext_lazy("redemption", "Issued")
    VOIDED = "voided", pgettext_lazy("redemption", "Voided")


class Redemption(TenantModel):
    """A reward given to a member for points, with a code to show at the counter or
    type into the till. `external_id` makes a storefront's redemption idempotent."""

    member = models.ForeignKey(
        "members.Member",
        on_delete=models.PROTECT,
        related_name="redemptions",
        verbose_name=_("member"),
    )
    reward = models.ForeignKey(
        Reward, on_delete=models.PROTECT, related_name="redemptions", verbose_name=_("reward")
    )
    reward_name = models.CharField(
        _("reward name"), max_length=120, help_text=_("The reward's name when redeemed.")
    )
    points = models.PositiveIntegerField(_("points"))
    code = models.CharField(_("code"), max_length=8)
    external_id = models.CharField(_("redemption id"), max_length=100, blank=True)
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=RedemptionStatus.choices,
        default=RedemptionStatus.ISSUED,
    )
    location = models.ForeignKey(
        "core.Location",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("location"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("redeemed by"),
    )
    created_at = models.DateTimeField(_("when"))
    voided_at = models.DateTimeField(_("voided"), null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("voided by"),
    )
    void_reason = models.CharField(_("reason for voiding"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
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
    JOIN = "join", _("Joining")
    BIRTHDAY = "birthday", _("Birthday")
    PROFILE = "profile", _("Completing the profile")
    REVIEW = "review", _("Writing a review")
    SOCIAL_SHARE = "social_share", _("Sharing on social media")
    CUSTOM = "custom", _("Custom event (from the storefront)")


class CapPeriod(models.TextChoices):
    # Translators: how often a bonus may be given, shown after "1×" ("1× per day").
    DAY = "day", _("per day")
    WEEK = "week", _("per week")
    MONTH = "month", _("per month")
    YEAR = "year", _("per year")
    # Translators: a bonus given at most N times in total ("1× ever").
    EVER = "ever", pgettext_lazy("bonus cap", "ever")


class BonusRule(TenantModel):
    """Points for an action, at most `cap_count` times per member and period, so bonuses
    cannot be farmed."""

    action = models.CharField(_("for"), max_length=16, choices=BonusAction.choices)
    event_type = models.CharField(
        _("event type"),
        max_length=64,
        blank=True,
        help_text=_("For custom events: the type the storefront sends."),
    )
    points = models.PositiveIntegerField(_("points"))
    cap_count = models.PositiveSmallIntegerField(_("at most (times)"), default=1)
    cap_period = models.CharField(
        _("per"), max_length=8, choices=CapPeriod.choices, default=CapPeriod.EVER
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("bonus rule")
        verbose_name_plural = _("bonus rules")
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
        return ngettext(
            # Translators: a bonus rule, e.g. "Birthday: 100 points, 1× per year".
            "%(what)s: %(points)d point, %(count)d× %(period)s",
            "%(what)s: %(points)d points, %(count)d× %(period)s",
            self.points,
        ) % {
            "what": what,
            "points": self.points,
            "count": self.cap_count,
            "period": self.get_cap_period_display(),
        }

    def stored_name(self) -> StoredText:
        """`str(self)` as stored text, for a line written now and read later (msgids marked
        in __str__)."""
        what = (
            self.event_type
            if self.action == BonusAction.CUSTOM
            else choice_msgid(BonusAction, self.action)
        )
        return stored_plural(
            "%(what)s: %(points)d point, %(count)d× %(period)s",
            "%(what)s: %(points)d points, %(count)d× %(period)s",
            self.points,
            what=what,
            points=self.points,
            count=self.cap_count,
            period=choice_msgid(CapPeriod, self.cap_period),
        )


class BonusAward(TenantModel):
    """One bonus given (or refused by its cap, with 0 points), by its external id, so a
    retried event has the same answer and no second effect."""

    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="+", verbose_name=_("member")
    )
    rule = models.ForeignKey(
        BonusRule, on_delete=models.PROTECT, related_name="awards", verbose_name=_("bonus rule")
    )
    external_id = models.CharField(_("event id"), max_length=100)
    points = models.PositiveIntegerField(_("points"))
    occurred_at = models.DateTimeField(_("when"))

    class Meta:
        verbose_name = _("bonus given")
        verbose_name_plural = _("bonuses given")
        constraints = [
            models.UniqueConstraint("merchant", "external_id", name="programs_bonus_external_id")
        ]
        indexes = [
            models.Index(fields=["member", "rule", "occurred_at"], name="programs_bonus_cap_idx")
        ]

    def __str__(self) -> str:
        return ngettext(
            # Translators: %(id)s is the id of the event that earned the bonus.
            "%(points)d bonus point (%(id)s)",
            "%(points)d bonus points (%(id)s)",
            self.points,
        ) % {"points": self.points, "id": self.external_id}


class ExpiryNotice(TenantModel):
    """That a member's points expiring on a date were announced (the `points.expiring`
    webhook, reminders.py): once per member and expiry, however often the task runs."""

    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="+", verbose_name=_("member")
    )
    expires_at = models.DateTimeField(_("expires"))
    points = models.PositiveIntegerField(_("points"))
    created_at = models.DateTimeField(_("announced"), auto_now_add=True)

    class Meta:
        verbose_name = _("expiry notice")
        verbose_name_plural = _("expiry notices")
        constraints = [
            models.UniqueConstraint(
                fields=["member", "expires_at"], name="programs_expiry_notice_once"
            )
        ]
