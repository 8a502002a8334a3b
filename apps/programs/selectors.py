"""Reads for the sale: a purchase by the id its till or storefront gave it."""

from __future__ import annotations

from apps.core.models import Merchant
from apps.programs.models import Purchase


def purchase_by_external_id(*, merchant: Merchant, external_id: str) -> Purchase | None:
    """A purchase by the id its till or storefront gave it (unique per merchant)."""
    return (
        Purchase.objects.for_merchant(merchant)
        .select_related("member", "merchant")
        .filter(external_id=external_id)
        .first()
    )
