"""Purchases that earn points, and their refunds."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.core.tenancy import TenantModel


class Purchase(TenantModel):
    """A sale to a member that earns points. `external_id` makes recording it idempotent.

    `amount` is what the customer paid, what earns and what refunds give back; `discount`
    is what a coupon took off the basket (the basket was `amount + discount`). A coupon
    worth the whole basket leaves a sale paid 0: recorded all the same, so the history
    shows it and a refund can give the coupon back."""

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
    discount = models.BigIntegerField(
        _("coupon discount"),
        default=0,
        db_default=0,  # rows written outside the ORM (the demo's COPY) have none
        help_text=_("What a coupon took off the basket, in minor units (cents)."),
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
            # Something was paid, or a coupon paid the whole basket.
            models.CheckConstraint(
                condition=Q(amount__gt=0) | Q(amount=0, discount__gt=0),
                name="programs_purchase_paid_or_covered",
            ),
            models.CheckConstraint(
                condition=Q(discount__gte=0), name="programs_purchase_discount_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=models.F("amount")),
                name="programs_refund_within_amount",
            ),
        ]
        indexes = [
            models.Index(fields=["member", "-occurred_at"], name="programs_purchase_member"),
            # A merchant's purchases since a day, with who bought and for how much: the
            # segments' windowed counts and sums read this index alone (bench/segments.py).
            models.Index(
                fields=["merchant", "occurred_at"],
                include=["member", "amount"],
                name="programs_purchase_window",
            ),
        ]

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
            # 0 only for a sale a coupon paid in full (refund_record): its return gives the
            # coupon back.
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="programs_refund_amount_not_negative"
            ),
        ]

    def __str__(self) -> str:
        # Translators: %(id)s is the refund's number, given by the till or storefront.
        return gettext("Refund %(id)s") % {"id": self.external_id}
