"""Reads for the sale: a purchase by the id its till or storefront gave it."""

from __future__ import annotations

from apps.core.models import Merchant
from apps.members.models import Member
from apps.programs.models import Purchase
from apps.programs.points.models import LedgerEntry


def purchase_by_external_id(*, merchant: Merchant, external_id: str) -> Purchase | None:
    """A purchase by the id its till or storefront gave it (unique per merchant)."""
    return (
        Purchase.objects.for_merchant(merchant)
        .select_related("member", "merchant")
        .filter(external_id=external_id)
        .first()
    )


def purchases_personal_data(member: Member) -> list[dict]:
    """`extensions.PERSONAL_DATA_PARTS`: the member's purchases."""
    return [
        {
            "at": purchase.occurred_at,
            "ticket": purchase.external_id,
            "amount": purchase.amount,
            "currency": purchase.currency,
        }
        for purchase in Purchase.objects.filter(member=member).order_by("occurred_at", "pk")
    ]


def points_personal_data(member: Member) -> list[dict]:
    """`extensions.PERSONAL_DATA_PARTS`: every movement of the member's points."""
    return [
        {"at": entry.created_at, "kind": entry.kind, "points": entry.points, "reason": entry.reason}
        for entry in LedgerEntry.objects.filter(member=member).order_by("created_at", "pk")
    ]
