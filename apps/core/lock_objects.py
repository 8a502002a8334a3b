"""The only place rows are locked for update: one helper per model, in primary-key order.
And the one advisory lock of core: an API request's idempotency key."""

from typing import Any

from django.db import connection
from django.db.models import QuerySet

from apps.core.models import HeldTask, Membership, Merchant


def memberships_lock(*, merchant: Merchant, role: str) -> list[Membership]:
    """Lock a merchant's seats of one role, e.g. to keep the last owner from leaving."""
    queryset: QuerySet[Membership] = (
        Membership.objects.for_merchant(merchant).filter(role=role).order_by("pk")
    )
    return list(queryset.select_for_update())


def held_tasks_lock(*, limit: int) -> list[HeldTask]:
    """The oldest held tasks no other sweep is queuing (`SKIP LOCKED`), locked."""
    return list(
        HeldTask.objects.select_for_update(skip_locked=True).order_by("held_at", "pk")[:limit]
    )


def idempotency_key_lock(*, merchant: Merchant, key: str, also_read: QuerySet) -> tuple[bool, Any]:
    """Take the merchant's idempotency key for this transaction (a transaction-scoped
    PostgreSQL advisory lock on the merchant and key, released at commit or rollback);
    False at once, without waiting, if another transaction holds it. One key at a time,
    so there is no order to keep. SQLite runs one writer at a time: always True.

    `also_read` (one column) is read in the same statement, to save a round trip: its
    first value, or None. It sees what committed before the statement began, which may be
    just before the lock was free: a twin that committed in between is caught by the
    unique key of what it stored."""
    if connection.vendor != "postgresql":
        return True, also_read.first()
    sql, params = also_read[:1].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT pg_try_advisory_xact_lock(hashtextextended(%s, 0)), ({sql})",
            [f"idempotency:{merchant.pk}:{key}", *params],
        )
        return cursor.fetchone()
