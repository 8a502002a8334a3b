"""The only place rows are locked for update: one helper per model, in primary-key order.
And the one advisory lock of core: an API request's idempotency key."""

from django.db import connection
from django.db.models import QuerySet

from apps.core.models import Membership, Merchant


def memberships_lock(*, merchant: Merchant, role: str) -> list[Membership]:
    """Lock a merchant's seats of one role, e.g. to keep the last owner from leaving."""
    queryset: QuerySet[Membership] = (
        Membership.objects.for_merchant(merchant).filter(role=role).order_by("pk")
    )
    return list(queryset.select_for_update())


def idempotency_key_lock(*, merchant: Merchant, key: str) -> bool:
    """Take the merchant's idempotency key for this transaction (a transaction-scoped
    PostgreSQL advisory lock on the merchant and key, released at commit or rollback);
    False at once, without waiting, if another transaction holds it. One key at a time,
    so there is no order to keep. SQLite runs one writer at a time: always True."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_try_advisory_xact_lock(hashtextextended(%s, 0))",
            [f"idempotency:{merchant.pk}:{key}"],
        )
        return cursor.fetchone()[0]
