"""Reading automations."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, QuerySet

from apps.campaigns.automations.kinds import KINDS
from apps.campaigns.campaign_selectors import PREVIEW_CHOICES, SENT_STATES
from apps.campaigns.models import Automation
from apps.campaigns.selectors import segment_sample
from apps.core.models import Merchant
from apps.members.models import Member
from apps.members.selectors import member_lookup
from apps.messaging.models import Delivery
from apps.portal.welcome import SOURCE as WELCOME_SOURCE


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


def automations_of(*, merchant: Merchant) -> list[Automation]:
    """One automation per kind, in `KINDS`' order: the merchant's row, else the defaults
    (unsaved, off)."""
    found = {row.kind: row for row in Automation.objects.for_merchant(merchant)}
    return [found.get(kind) or automation_defaults(merchant=merchant, kind=kind) for kind in KINDS]


def automations_sent_counts(
    *, automations: list[Automation], days: int, now: datetime
) -> dict[str, int]:
    """Messages each automation handed to the provider in the last `days` days, by kind:
    one query for the page."""
    sources = {automation.source: automation.kind for automation in automations if automation.pk}
    rows = (
        Delivery.objects.filter(
            source__in=sources, state__in=SENT_STATES, created_at__gte=now - timedelta(days=days)
        )
        .order_by()
        .values("source")
        .annotate(sent=Count("pk"))
        .values_list("source", "sent")
    )
    found = {sources[source]: sent for source, sent in rows}
    return {automation.kind: found.get(automation.kind, 0) for automation in automations}


def automation_preview_choices(*, merchant: Merchant, term: str = "") -> list[Member]:
    """Members a preview can be shown for: those a search finds, else a few of the most
    recently active."""
    if term.strip():
        return member_lookup(merchant=merchant, term=term)
    return segment_sample(merchant=merchant, rules={"all": []}, size=PREVIEW_CHOICES)


def merchants_with_automations() -> list[int]:
    """The merchants with an automation on (the beat's tick runs theirs)."""
    return list(
        Automation.objects.filter(enabled=True).values_list("merchant_id", flat=True).distinct()
    )


def welcome_sent_count(*, merchant: Merchant, days: int, now: datetime) -> int:
    """Welcomes handed to the provider in the last `days` days (resends too)."""
    return Delivery.objects.filter(
        merchant=merchant,
        source=WELCOME_SOURCE,
        state__in=SENT_STATES,
        created_at__gte=now - timedelta(days=days),
    ).count()
