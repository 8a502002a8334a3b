"""Announcing points about to expire: the `POINTS_EXPIRING` event, and its
`points.expiring` webhook (the campaigns app's reminder messages will use the same list,
`selectors.points_expiring`).

Hourly (Celery beat): for each merchant with an endpoint that chose the event, every
member whose points expire within the program's `reminder_days` is announced once per
expiry date: an `ExpiryNotice` row, unique per member and date, is written in the same
transaction as the event's handlers (the webhook's delivery), so running twice (or at
once) announces once.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.events import POINTS_EXPIRING, PointsExpiring, publish
from apps.core.models import Merchant
from apps.core.webhooks.models import WebhookEndpoint, WebhookEvent
from apps.core.webhooks.services import webhook_emit
from apps.programs.points.models import ExpiryNotice
from apps.programs.points.selectors import points_expiring
from apps.programs.points.services import program_settings


def _merchants_listening() -> list[Merchant]:
    endpoints = WebhookEndpoint.objects.filter(is_active=True).select_related("merchant")
    listening = {
        e.merchant_id: e.merchant for e in endpoints if WebhookEvent.POINTS_EXPIRING in e.events
    }
    return list(listening.values())


def points_expiring_announce(*, now: datetime | None = None) -> int:
    """Announce what is newly due; returns how many members were announced."""
    now = now or timezone.now()
    announced = 0
    for merchant in _merchants_listening():
        days = program_settings(merchant=merchant).reminder_days
        for expiring in points_expiring(merchant=merchant, now=now, within_days=days):
            announced += _announce(merchant, expiring)
    return announced


def _announce(merchant: Merchant, expiring) -> int:
    try:
        with transaction.atomic():
            ExpiryNotice.objects.create(
                merchant=merchant,
                member=expiring.member,
                expires_at=expiring.first_expiry,
                points=expiring.points,
            )
            publish(
                POINTS_EXPIRING,
                PointsExpiring(merchant, expiring.member, expiring.points, expiring.first_expiry),
            )
    except IntegrityError:  # announced before (or by a run at the same moment)
        return 0
    return 1


def points_expiring_webhook(expiring: PointsExpiring) -> None:
    """`POINTS_EXPIRING`: the `points.expiring` webhook, queued with the notice."""
    webhook_emit(
        merchant=expiring.merchant,
        event=WebhookEvent.POINTS_EXPIRING,
        data={
            "member": expiring.member.public_id,
            "points": expiring.points,
            "expires_at": expiring.expires_at,
        },
    )
