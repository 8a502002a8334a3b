"""Ready-made segments: the audiences most campaigns start from, as rules a merchant can
use as they are or change in the builder."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from apps.core.models import Merchant
from apps.programs.tiers.models import Tier


@dataclass(frozen=True)
class ReadyMade:
    key: str
    name: Any
    description: Any
    rules: Callable[[Merchant], dict]


def _condition(field: str, op: str, value) -> Callable[[Merchant], dict]:
    return lambda merchant: {"field": field, "op": op, "value": value}


def _vips(merchant: Merchant) -> dict:
    top = Tier.objects.for_merchant(merchant).order_by("-threshold", "-pk").first()
    if top is None:
        return {"field": "monetary_score", "op": "is", "value": 5}
    return {"field": "tier", "op": "is", "value": top.pk}


READY_MADE: dict[str, ReadyMade] = {
    ready.key: ready
    for ready in [
        ReadyMade(
            "at_risk",
            _("At risk"),
            _("Members who have not come back for a while, and have not lapsed yet."),
            _condition("status", "is", "at_risk"),
        ),
        ReadyMade(
            "lapsed_90",
            _("Lapsed 90 days"),
            _("No purchase for 90 days or more."),
            _condition("days_since_last_purchase", "gte", 90),
        ),
        ReadyMade(
            "vips",
            _("VIPs"),
            _("Members of the highest tier; without tiers, the fifth of buyers who spent most."),
            _vips,
        ),
        ReadyMade(
            "birthdays",
            _("Birthdays this month"),
            _("Members whose birthday falls in the current month."),
            _condition("birthday_this_month", "is", True),
        ),
        ReadyMade(
            "points_expiring",
            _("Points expiring"),
            _("Members with points that expire within 30 days."),
            _condition("points_expiring_within_days", "lte", 30),
        ),
        ReadyMade(
            "one_purchase",
            _("One purchase only"),
            _("Members who bought once and never came back."),
            _condition("purchase_count", "is", 1),
        ),
        ReadyMade(
            "top_spenders",
            _("Top 10 % by spend"),
            _("The tenth of buyers who spent most."),
            _condition("top_spend_percent", "lte", 10),
        ),
    ]
}
