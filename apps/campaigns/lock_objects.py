"""Row locks of campaigns: the only place they are taken."""

from __future__ import annotations

from datetime import datetime

from apps.campaigns.models import Automation, AutomationOccurrence, Campaign


def campaign_lock(campaign_id: int) -> Campaign:
    """The campaign, locked until the transaction ends: one status change or one freeze of
    its audience at a time."""
    return (
        Campaign.objects.select_for_update()
        .select_related("merchant", "segment")
        .get(pk=campaign_id)
    )


def automation_lock(automation_id: int) -> Automation:
    """The automation, locked until the transaction ends: one switch or one scan at a
    time."""
    return Automation.objects.select_for_update().select_related("merchant").get(pk=automation_id)


def automations_lock(automation_ids) -> None:
    """The automations, locked in id order until the transaction ends: two runs processing
    occurrences of one automation take turns, so the second reads the first's rows for the
    cooldown and the cap (two occurrences of a member, claimed by different runs)."""
    list(
        Automation.objects.select_for_update()
        .filter(pk__in=automation_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def due_occurrences_lock(
    *, merchant_id: int, now: datetime, limit: int
) -> list[AutomationOccurrence]:
    """Up to `limit` of the merchant's occurrences due and not processed, locked until the
    transaction ends; those another run holds are skipped, so two runs at once process
    different ones."""
    return list(
        AutomationOccurrence.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(merchant_id=merchant_id, processed_at__isnull=True, due_at__lte=now)
        .select_related("automation")
        .order_by("due_at", "pk")[:limit]
    )
