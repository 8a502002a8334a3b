"""Ready-made segments: the audiences most campaigns start from, as rules a merchant can
use as they are or change in the builder."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from apps.analytics.selectors import analytics_settings_for
from apps.core.models import Merchant
from apps.programs.tiers.models import Tier

TURNED_WITHIN_DAYS = 7


@dataclass(frozen=True)
class ReadyMade:
    key: str
    name: Any
    description: Any
    rules: Callable[[Merchant], dict]


def _condition(field: str, op: str, value) -> Callable[[Merchant], dict]:
    return lambda merchant: {"field": field, "op": op, "value": value}


def _turned_at_risk(merchant: Merchant) -> dict:
    """At risk, and last seen (bought, or joined without buying since) between
    `at_risk_days` + 1 and + 7 days ago: turned at risk this week, the members
    `analytics.selectors.members_turned_count` counts on the home page."""
    settings = analytics_settings_for(merchant=merchant)
    days = [settings.at_risk_days + 1, settings.at_risk_days + TURNED_WITHIN_DAYS]
    return {
        "all": [
            {"field": "status", "op": "is", "value": "at_risk"},
            {
                "any": [
                    {"field": "days_since_last_purchase", "op": "between", "value": days},
                    {"field": "enrolled_days_ago", "op": "between", "value": days},
                ]
            },
        ]
    }


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
            "turned_at_risk",
            _("Turned at risk this week"),
            _("Members who became at risk in the last 7 days: the moment for a win-back."),
            _turned_at_risk,
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
