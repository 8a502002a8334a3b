"""The event kinds' moments: a domain event noticed by a handler, which writes one
`AutomationOccurrence` (unique per automation, member and occurrence: a retried event
writes nothing more) and asks for the due ones to be processed after the commit.

Handlers cost nothing on the sale path while the kind is off: which automations are on
is read once per merchant configuration (`automations_on`), not per event. An after-commit
handler can lose its occurrence if the process dies between the commit and the handler
(as the referrals' does); the points-expiring one writes in the notice's transaction and
loses nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from apps.campaigns.models import Automation, AutomationKind, AutomationOccurrence
from apps.core.events import PointsExpiring, PurchaseRecorded
from apps.core.merchant_config import merchant_config
from apps.core.models import Merchant
from apps.programs.models import Purchase


@dataclass(frozen=True)
class AutomationsOn:
    """The merchant's automations that are on: (kind, id) pairs."""

    kinds: tuple[tuple[str, int], ...]

    def get(self, kind: str) -> int | None:
        return next((pk for each, pk in self.kinds if each == kind), None)


@merchant_config(Automation)
def automations_on(*, merchant: Merchant) -> AutomationsOn:
    rows = Automation.objects.for_merchant(merchant).filter(enabled=True)
    return AutomationsOn(tuple(rows.values_list("kind", "pk")))


def occurrence_notice(
    *,
    merchant_id: int,
    automation_id: int,
    member_id: int,
    occurrence: str,
    now: datetime,
    due_at: datetime | None = None,
) -> None:
    """Note the moment (once), and process it after the commit."""
    AutomationOccurrence.objects.bulk_create(
        [
            AutomationOccurrence(
                merchant_id=merchant_id,
                automation_id=automation_id,
                member_id=member_id,
                occurrence=occurrence,
                due_at=due_at or now,
                created_at=now,
            )
        ],
        ignore_conflicts=True,
    )
    transaction.on_commit(lambda: _process_later(merchant_id))


def _process_later(merchant_id: int) -> None:
    from apps.campaigns.tasks import automations_process_task

    automations_process_task.delay(merchant_id)


def automations_on_points_expiring(payload: PointsExpiring) -> None:
    """`POINTS_EXPIRING` (in the notice's transaction): a reminder per notice, that is per
    expiry and stage (`days_before`)."""
    automation_id = automations_on(merchant=payload.merchant).get(AutomationKind.POINTS_EXPIRING)
    if automation_id is None:
        return
    occurrence_notice(
        merchant_id=payload.merchant.pk,
        automation_id=automation_id,
        member_id=payload.member.pk,
        occurrence=f"n{payload.notice_id}",
        now=timezone.now(),
    )


def automations_on_purchase(payload: PurchaseRecorded) -> None:
    """`PURCHASE_RECORDED`, after the commit: the thanks for a member's first purchase
    (the earliest of theirs, so of two racing first purchases only one is)."""
    purchase = payload.purchase
    on = automations_on(merchant=purchase.merchant)
    automation_id = on.get(AutomationKind.FIRST_PURCHASE)
    if automation_id is None:
        return
    earliest = (
        Purchase.objects.filter(member_id=purchase.member_id)
        .order_by("occurred_at", "pk")
        .values_list("pk", flat=True)
        .first()
    )
    if earliest == purchase.pk:
        occurrence_notice(
            merchant_id=purchase.merchant_id,
            automation_id=automation_id,
            member_id=purchase.member_id,
            occurrence="",
            now=timezone.now(),
        )
