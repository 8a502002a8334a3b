"""What tiers add to the API: a member's tier and progress, the program's tiers, and the
tier in a retried purchase's answer (registered in apps.py)."""

from rest_framework import serializers

from apps.core.events import PurchaseReplayed, TierChanged
from apps.core.extensions import MemberApiExtension, ProgramApiExtension
from apps.members.read_once import NOT_JOINED, joined_row
from apps.programs.tiers.selectors import current_tier, member_progress, tier_settings, tiers_active


def _progress_data(member) -> dict:
    status = joined_row(member=member, relation="tier_status")
    progress = (
        member_progress(member=member)
        if status is NOT_JOINED
        else member_progress(member=member, status=status)
    )
    return {
        "tier": progress.tier.name if progress.tier else None,
        "tier_progress": {
            "measure": progress.measure,
            "total": progress.total,
            "next_tier": progress.next_tier.name if progress.next_tier else None,
            "needed": progress.needed,
        }
        if progress.any_tiers
        else None,
    }


MEMBER = MemberApiExtension(
    fields={
        "tier": serializers.CharField(allow_null=True),
        "tier_progress": serializers.DictField(
            allow_null=True,
            help_text="measure (spend: cents, or points), total in the window, next_tier, "
            "needed: how much more reaches it (0 at the top).",
        ),
    },
    data=_progress_data,
    joins=("tier_status__tier",),
)


def _tiers_data(merchant) -> dict:
    settings = tier_settings(merchant=merchant)
    return {
        "measure": settings.measure,
        "window": settings.window,
        "grace_days": settings.grace_days,
        "levels": [
            {
                "name": tier.name,
                "threshold": tier.threshold,
                "earn_percent": tier.earn_percent,
                "perks": tier.perks,
            }
            for tier in tiers_active(merchant=merchant)
        ],
    }


PROGRAM = ProgramApiExtension(
    name="tiers",
    field=serializers.DictField(help_text="measure, window, grace_days, levels (lowest first)."),
    data=_tiers_data,
)


def replayed_purchase_tier(replayed: PurchaseReplayed) -> dict:
    """`PURCHASE_REPLAYED`: the member's tier now (a retry moves nobody)."""
    tier = current_tier(member=replayed.purchase.member)
    return {"tier": tier.name if tier else None, "tier_changed": False}


def tier_changed_webhook(changed: TierChanged) -> None:
    """`TIER_CHANGED`: the `tier.changed` webhook, queued with the change."""
    from apps.core.webhooks.models import WebhookEvent
    from apps.core.webhooks.services import webhook_emit

    change = changed.change
    webhook_emit(
        merchant=change.merchant,
        event=WebhookEvent.TIER_CHANGED,
        data={
            "member": change.member.public_id,
            "from_tier": change.from_name or None,
            "to_tier": change.to_name or None,
            "direction": change.direction,
            "cause": change.cause,
            "reason": change.reason,
            "qualifying_total": change.qualifying_total,
            "occurred_at": change.occurred_at,
        },
    )
