"""The suppression list: addresses a merchant never sends to again."""

from __future__ import annotations

from django.db import transaction

from apps.messaging.models import Delivery, Suppression


@transaction.atomic(savepoint=False)
def suppression_add(
    *, merchant_id: int, channel: str, address: str, reason: str, delivery: Delivery | None = None
) -> None:
    """Suppress the address, once: a second report of it changes nothing."""
    address = address.strip().lower()
    if not address:
        return
    Suppression.objects.bulk_create(
        [
            Suppression(
                merchant_id=merchant_id,
                channel=channel,
                address=address,
                reason=reason,
                delivery=delivery,
            )
        ],
        ignore_conflicts=True,
    )
