"""Row locks of campaigns: the only place they are taken."""

from __future__ import annotations

from apps.campaigns.models import Campaign


def campaign_lock(campaign_id: int) -> Campaign:
    """The campaign, locked until the transaction ends: one status change or one freeze of
    its audience at a time."""
    return (
        Campaign.objects.select_for_update()
        .select_related("merchant", "segment")
        .get(pk=campaign_id)
    )
