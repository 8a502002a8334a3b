"""Clicks on a campaign email's links, through our signed redirect (rendering.py)."""

from __future__ import annotations

from django.db import transaction

from apps.campaigns.models import Campaign, Click
from apps.messaging.models import Delivery


@transaction.atomic(savepoint=False)
def click_record(*, delivery_id: int, url: str) -> Click | None:
    """Note the click when the delivery is still a campaign's (an erased member's
    delivery is gone: the redirect still works, nothing is noted)."""
    delivery = Delivery.objects.filter(pk=delivery_id).only("source", "merchant_id").first()
    if delivery is None or not delivery.source.startswith("campaign:"):
        return None
    campaign_id = int(delivery.source.partition(":")[2])
    if not Campaign.objects.filter(pk=campaign_id).exists():
        return None
    return Click.objects.create(
        merchant_id=delivery.merchant_id, delivery_id=delivery_id, campaign_id=campaign_id, url=url
    )
