"""`automations_run`: what is due, now, for one merchant: the date kinds' scans of the
days whose moment has come, then the due occurrences turned into deliveries. Idempotent:
run twice in a row, the second finds nothing (each day is scanned once, each occurrence
processed once, each delivery row unique)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from apps.campaigns.automations.kinds import DATE_KINDS
from apps.campaigns.automations.processing import occurrences_process
from apps.campaigns.automations.scanning import days_to_scan, scan_day
from apps.campaigns.automations.selectors import automations_enabled
from apps.campaigns.lock_objects import automation_lock
from apps.campaigns.models import Automation
from apps.core.models import Merchant


@dataclass
class RunResult:
    days_scanned: int = 0
    outcomes: Counter = field(default_factory=Counter)


def automations_run(*, merchant: Merchant, now: datetime | None = None) -> RunResult:
    now = now or timezone.now()
    result = RunResult()
    for automation in automations_enabled(merchant=merchant).filter(kind__in=DATE_KINDS):
        result.days_scanned += _scan(automation.pk, now)
    result.outcomes = occurrences_process(merchant=merchant, now=now)
    return result


def _scan(automation_id: int, now: datetime) -> int:
    """The automation's days to look at, each in a transaction of its own under its lock
    (a run at the same time waits, then finds the day done)."""
    scanned = 0
    while True:
        with transaction.atomic():
            automation: Automation = automation_lock(automation_id)
            days = days_to_scan(automation, now=now) if automation.enabled else []
            if not days:
                return scanned
            scan_day(automation, days[0], now=now)
            # An update, not a save: the day looked at is no configuration, and a save
            # would make every process load the merchant's configuration again.
            Automation.objects.filter(pk=automation.pk).update(scanned_through=days[0])
            scanned += 1
