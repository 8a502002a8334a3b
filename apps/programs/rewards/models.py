"""Rewards catalog and redemption: the models (services.py writes, selectors.py reads)."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from apps.core.tenancy import TenantModel
from apps.members.identifiers import CARD_ALPHABET


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
    app (`extensions.REWARD_REFUSALS`)."""

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
