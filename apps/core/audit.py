"""The activity log: one line per staff action, written in the action's transaction and
shown to each reader in their language (apps/core/stored_text.py)."""

from __future__ import annotations

from django.db.models import Model, QuerySet

from apps.accounts.models import User
from apps.core.models import AuditLog, Merchant
from apps.core.stored_text import StoredText, summary_and_data


def audit_record(
    *,
    merchant: Merchant,
    actor: User | None,
    action: str,
    summary: str | StoredText,
    target: Model | None = None,
    data: dict | None = None,
) -> AuditLog:
    """Append one line to the merchant's activity log, in the caller's transaction.

    `summary` is a `stored_text(...)`: kept in English in the summary column and shown to
    each reader in their language (apps/core/stored_text.py)."""
    summary, data = summary_and_data(summary, data)
    return AuditLog.objects.create(
        merchant=merchant,
        actor=actor,
        action=action,
        summary=summary[:255],
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        data=data,
    )


def audit_list(*, merchant: Merchant) -> QuerySet[AuditLog]:
    return AuditLog.objects.for_merchant(merchant).select_related("actor")
