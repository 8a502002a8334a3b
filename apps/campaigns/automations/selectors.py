"""Reading automations."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.campaigns.automations.kinds import KINDS
from apps.campaigns.models import Automation
from apps.core.models import Merchant


def automation_defaults(*, merchant: Merchant, kind: str) -> Automation:
    """An unsaved automation of `kind` with its defaults (off)."""
    return Automation(merchant=merchant, kind=kind, cooldown_days=KINDS[kind].cooldown_days)


def automation_for(*, merchant: Merchant, kind: str) -> Automation:
    """The merchant's automation of `kind`, or the defaults (unsaved): reading writes
    nothing."""
    found = Automation.objects.for_merchant(merchant).filter(kind=kind).first()
    return found if found is not None else automation_defaults(merchant=merchant, kind=kind)


def automations_enabled(*, merchant: Merchant) -> QuerySet[Automation]:
    return Automation.objects.for_merchant(merchant).filter(enabled=True)
