"""Switching an automation on and off. Only the moments from the day it is switched on
count: switching the birthday on mails those whose birthday is today or later, never the
ones already past; switching win-back on does not mail everyone who lapsed last year."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from apps.accounts.models import User
from apps.analytics.selectors import merchant_today
from apps.campaigns.automations.kinds import KINDS
from apps.campaigns.automations.selectors import automation_defaults
from apps.campaigns.lock_objects import automation_lock
from apps.campaigns.models import Automation
from apps.core.audit import audit_record
from apps.core.models import Merchant
from apps.core.stored_text import stored_text


def _ensured(merchant: Merchant, kind: str) -> Automation:
    """The merchant's row of `kind`, written with the defaults the first time, locked."""
    row = automation_defaults(merchant=merchant, kind=kind)
    Automation.objects.bulk_create([row], ignore_conflicts=True)
    automation = Automation.objects.for_merchant(merchant).get(kind=kind)
    return automation_lock(automation.pk)


@transaction.atomic(savepoint=False)
def automation_enable(
    *, merchant: Merchant, kind: str, actor: User | None, now: datetime | None = None
) -> Automation:
    """On, from today (the merchant's day): a date kind's scan starts with today. Already
    on: unchanged."""
    if kind not in KINDS:
        raise ValueError(kind)
    automation = _ensured(merchant, kind)
    if automation.enabled:
        return automation
    now = now or timezone.now()
    automation.enabled = True
    automation.enabled_at = now
    automation.scanned_through = merchant_today(merchant=merchant, now=now) - timedelta(days=1)
    automation.save(update_fields=["enabled", "enabled_at", "scanned_through", "updated_at"])
    _audit(automation, actor, "enabled", gettext_noop("Switched on the automation %(name)s"))
    return automation


@transaction.atomic(savepoint=False)
def automation_disable(*, merchant: Merchant, kind: str, actor: User | None) -> Automation:
    """Off: nothing more is noticed, and what was noticed and not sent yet is not sent."""
    automation = _ensured(merchant, kind)
    if automation.enabled:
        automation.enabled = False
        automation.save(update_fields=["enabled", "updated_at"])
        _audit(automation, actor, "disabled", gettext_noop("Switched off the automation %(name)s"))
    return automation


def _audit(automation: Automation, actor: User | None, action: str, summary: str) -> None:
    audit_record(
        merchant=automation.merchant,
        actor=actor,
        action=f"automation.{action}",
        summary=stored_text(summary, name=automation.get_kind_display()),
        target=automation,
    )
