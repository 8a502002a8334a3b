"""Announcing points about to expire: the `POINTS_EXPIRING` event, with its
`points.expiring` webhook and (campaigns) the points-expiring automation's message.

Hourly (Celery beat): for each merchant whose points expire, every member with points
expiring is announced at two stages, `reminder_days` and `final_reminder_days` before the
soonest expiry. A stage is due from the start of its day in the merchant's time zone: the
30-day notice of points expiring on 31 March at 10:00 is due from midnight on 1 March. An
`ExpiryNotice` row, unique per member, expiry and stage, is written in the same
transaction as the event's handlers (the webhook's delivery, the automation's
occurrence), so running twice (or at once) announces each stage once.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.events import POINTS_EXPIRING, PointsExpiring, publish
from apps.core.models import Merchant
from apps.core.webhooks.models import WebhookEndpoint, WebhookEvent
from apps.core.webhooks.services import webhook_emit
from apps.programs.points.models import ExpiryNotice, ProgramSettings
from apps.programs.points.selectors import ExpiringPoints, points_expiring_before
from apps.programs.points.services import program_settings

_CHUNK = 2000


def _merchants_announcing() -> list[Merchant]:
    """Merchants whose points expire, and those listening to the webhook (lots earned
    while expiry was on still expire after it is turned off)."""
    merchants = {
        settings.merchant_id: settings.merchant
        for settings in ProgramSettings.objects.filter(expiry_months__isnull=False).select_related(
            "merchant"
        )
    }
    for endpoint in WebhookEndpoint.objects.filter(is_active=True).select_related("merchant"):
        if WebhookEvent.POINTS_EXPIRING in endpoint.events:
            merchants.setdefault(endpoint.merchant_id, endpoint.merchant)
    return list(merchants.values())


def stage_due_before(*, merchant: Merchant, now: datetime, days_before: int) -> datetime:
    """Points expiring before this instant are due for the stage `days_before` days
    ahead: the start of the day after `today + days_before`, in the merchant's zone."""
    zone = ZoneInfo(merchant.timezone)
    today = now.astimezone(zone).date()
    return datetime.combine(today + timedelta(days=days_before + 1), time.min, tzinfo=zone)


def points_expiring_announce(*, now: datetime | None = None) -> int:
    """Announce what is newly due; returns how many notices were written."""
    now = now or timezone.now()
    announced = 0
    for merchant in _merchants_announcing():
        terms = program_settings(merchant=merchant)
        stages = [terms.reminder_days]
        if terms.final_reminder_days is not None:
            stages.append(terms.final_reminder_days)
        for days_before, due in zip(stages, _due_by_stage(merchant, now, stages), strict=True):
            for expiring in _not_announced(due, days_before):
                announced += _announce(merchant, expiring, days_before)
    return announced


def _due_by_stage(
    merchant: Merchant, now: datetime, stages: list[int]
) -> list[list[ExpiringPoints]]:
    """Who is due at each stage (the first, then the final): a member due at a later
    stage is left out of the earlier one, so a program that just turned expiry on (or
    shortened its reminder) sends one message, the last, rather than both at once."""
    due = [
        points_expiring_before(
            merchant=merchant,
            now=now,
            before=stage_due_before(merchant=merchant, now=now, days_before=days_before),
        )
        for days_before in stages
    ]
    later: set[int] = set()
    for index in reversed(range(len(due))):
        due[index] = [expiring for expiring in due[index] if expiring.member.pk not in later]
        later.update(expiring.member.pk for expiring in due[index])
    return due


def _not_announced(due: list[ExpiringPoints], days_before: int) -> list[ExpiringPoints]:
    """Leave out the notices already written, read in chunks on the notices' unique index:
    an hourly run then tries only what is new, instead of failing an insert per member."""
    announced: set[tuple[int, datetime]] = set()
    for start in range(0, len(due), _CHUNK):
        chunk = due[start : start + _CHUNK]
        announced.update(
            ExpiryNotice.objects.filter(
                member_id__in=[expiring.member.pk for expiring in chunk],
                days_before=days_before,
            ).values_list("member_id", "expires_at")
        )
    return [e for e in due if (e.member.pk, e.first_expiry) not in announced]


def _announce(merchant: Merchant, expiring: ExpiringPoints, days_before: int) -> int:
    try:
        with transaction.atomic():
            notice = ExpiryNotice.objects.create(
                merchant=merchant,
                member=expiring.member,
                expires_at=expiring.first_expiry,
                days_before=days_before,
                points=expiring.points,
            )
            publish(
                POINTS_EXPIRING,
                PointsExpiring(
                    merchant=merchant,
                    member=expiring.member,
                    points=expiring.points,
                    expires_at=expiring.first_expiry,
                    days_before=days_before,
                    notice_id=notice.pk,
                ),
            )
    except IntegrityError:  # announced by a run at the same moment
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
            "days_before": expiring.days_before,
        },
    )
