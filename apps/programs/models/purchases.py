"""Purchases that earn points, and their refunds."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.core.tenancy import TenantModel


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
