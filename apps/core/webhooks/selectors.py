"""Reads for the webhook pages: endpoints and their deliveries."""

from django.db.models import QuerySet

from apps.core.models import Merchant
from apps.core.webhooks.models import WebhookDelivery, WebhookEndpoint


def webhook_endpoints(*, merchant: Merchant) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.for_merchant(merchant).order_by("-is_active", "-created_at")


def webhook_deliveries(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """Newest first (the index on endpoint and creation time)."""
    return WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-created_at", "-id")
