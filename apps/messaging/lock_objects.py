"""Row locks of deliveries: the only place they are taken."""

from __future__ import annotations

from apps.messaging.models import Delivery, State


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
