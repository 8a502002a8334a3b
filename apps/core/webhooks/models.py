"""Webhook endpoints an owner registered, and one delivery row per event sent to each."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from apps.core.tenancy import TenantModel


class WebhookEvent(models.TextChoices):
    MEMBER_ENROLLED = "member.enrolled", _("Member enrolled")
    PURCHASE_RECORDED = "purchase.recorded", _("Purchase recorded")
    TIER_CHANGED = "tier.changed", pgettext_lazy("loyalty tier", "Tier changed")
    COUPON_ISSUED = "coupon.issued", _("Coupon issued")
    REWARD_REDEEMED = "reward.redeemed", _("Reward redeemed")
    POINTS_EXPIRING = "points.expiring", _("Points expiring soon")


class WebhookEndpoint(TenantModel):
    """An owner's HTTPS address that receives the events it chose (apps/core/webhooks.py).
    The secret signs every delivery; it must be readable to sign, so it is stored as is."""

    url = models.URLField(_("address"), max_length=500)
    description = models.CharField(_("description"), max_length=120, blank=True)
    events = models.JSONField(_("events"), default=list, help_text="WebhookEvent values.")
    secret = models.CharField(_("signing secret"), max_length=64)
    is_active = models.BooleanField(_("on"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    # Translators: the state of a webhook delivery that is not delivered yet.
    PENDING = "pending", pgettext_lazy("webhook delivery", "Sending")
    DELIVERED = "delivered", pgettext_lazy("webhook delivery", "Delivered")
    FAILED = "failed", pgettext_lazy("webhook delivery", "Failed")


class WebhookDelivery(TenantModel):
    """One event to one endpoint, written in the transaction of the change it reports (an
    outbox): it exists exactly when the change committed, and a task sends it after."""

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        verbose_name=_("endpoint"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    event = models.CharField(_("event"), max_length=40, choices=WebhookEvent.choices)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next try"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(
        _("last status code"), null=True, blank=True
    )
    last_error = models.CharField(_("last error"), max_length=255, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    replay_of = models.ForeignKey(
        "self",
        verbose_name=_("replay of"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["endpoint", "-created_at"], name="core_delivery_recent"),
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="core_delivery_due",
            ),
        ]
