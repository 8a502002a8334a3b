"""The only place rows are locked for update: one helper per model, in primary-key order."""

from django.db.models import QuerySet

from .models import Membership, Merchant


def memberships_lock(*, merchant: Merchant, role: str) -> list[Membership]:
    """Lock a merchant's seats of one role, e.g. to keep the last owner from leaving."""
    queryset: QuerySet[Membership] = (
        Membership.objects.for_merchant(merchant).filter(role=role).order_by("pk")
    )
    return list(queryset.select_for_update())
