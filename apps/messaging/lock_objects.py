"""Row locks of messaging (deliveries, the message settings): the only place they are
taken."""

from __future__ import annotations

from apps.core.models import Merchant
from apps.messaging.models import Delivery, MessagingSettings, State


def queued_deliveries_lock(
    *, source: str, limit: int, exclude_channels: tuple[str, ...] = ()
) -> list[int]:
    """Up to `limit` of the source's queued rows, oldest first, locked until the
    transaction ends; rows another transaction holds are skipped, not waited for: two
    workers claiming at once get different rows."""
    queued = Delivery.objects.filter(source=source, state=State.QUEUED)
    if exclude_channels:
        queued = queued.exclude(channel__in=exclude_channels)
    locked = queued.order_by("id").select_for_update(skip_locked=True)
    return list(locked.values_list("id", flat=True)[:limit])


def messaging_settings_lock(*, merchant: Merchant) -> MessagingSettings:
    """The merchant's message settings, written with the defaults the first time, locked
    until the transaction ends: two switches at once each see the other's change."""
    MessagingSettings.objects.get_or_create(merchant=merchant)
    return MessagingSettings.objects.select_for_update().get(merchant=merchant)
