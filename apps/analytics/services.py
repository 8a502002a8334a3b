"""Writes for analytics: a merchant's thresholds and point value, and its monthly
marketing spend. (The rollups are written by refresh.py and rebuild.py.)"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext, gettext_noop

from apps.accounts.models import User
from apps.analytics.models import AnalyticsSettings, MarketingSpend
from apps.analytics.periods import month_start
from apps.core.audit import audit_record
from apps.core.errors import DomainError
from apps.core.formatting import format_number
from apps.core.models import Merchant
from apps.core.stored_text import stored_text

MAX_DAYS = 3650
MAX_AMOUNT = 10**12


def _whole(value, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def analytics_settings_ensure(*, merchant: Merchant) -> AnalyticsSettings:
    """The merchant's settings row, created with the defaults if it has none yet
    (`INSERT … ON CONFLICT DO NOTHING`, so two first uses at once make one row). Reads do
    not create it: `selectors.analytics_settings_for` answers the defaults instead."""
    found = AnalyticsSettings.objects.for_merchant(merchant).first()
    if found is None:
        AnalyticsSettings.objects.bulk_create(
            [AnalyticsSettings(merchant=merchant)], ignore_conflicts=True
        )
        found = AnalyticsSettings.objects.for_merchant(merchant).get()
    return found


@transaction.atomic(savepoint=False)
def analytics_settings_update(
    *,
    merchant: Merchant,
    actor: User | None,
    at_risk_days: int,
    lapsed_days: int,
    thousand_points_value: int | None = None,
) -> AnalyticsSettings:
    """Set when a member counts as at risk and as lapsed (days without a purchase), and
    what 1,000 points are worth in minor units (None: derived from the rewards)."""
    if not _whole(at_risk_days, 1, MAX_DAYS - 1):
        raise DomainError(
            # Translators: "most" is the largest number of days allowed (3,649).
            gettext("Give 1 to %(most)s days.") % {"most": format_number(MAX_DAYS - 1)},
            field="at_risk_days",
        )
    if not _whole(lapsed_days, at_risk_days + 1, MAX_DAYS):
        raise DomainError(
            gettext("Lapsed comes after at risk: give more days than for at risk."),
            field="lapsed_days",
        )
    if thousand_points_value is not None and not _whole(thousand_points_value, 0, MAX_AMOUNT):
        raise DomainError(
            gettext("Give what 1,000 points are worth in cents (or leave it empty)."),
            field="thousand_points_value",
        )
    settings = analytics_settings_ensure(merchant=merchant)
    settings.at_risk_days = at_risk_days
    settings.lapsed_days = lapsed_days
    settings.thousand_points_value = thousand_points_value
    settings.save()
    audit_record(
        merchant=merchant,
        actor=actor,
        action="analytics.settings_updated",
        summary=(
            stored_text(
                gettext_noop(
                    # Translators: day counts; %(value)s is in cents of the currency.
                    "Analytics: at risk after %(at_risk)s days, lapsed after %(lapsed)s, "
                    "1,000 points worth %(value)s"
                ),
                at_risk=at_risk_days,
                lapsed=lapsed_days,
                value=thousand_points_value,
            )
            if thousand_points_value is not None
            else stored_text(
                gettext_noop(
                    # Translators: day counts; the points' value is then taken from the rewards.
                    "Analytics: at risk after %(at_risk)s days, lapsed after %(lapsed)s, "
                    "point value from the rewards"
                ),
                at_risk=at_risk_days,
                lapsed=lapsed_days,
            )
        ),
        target=settings,
        data={
            "at_risk_days": at_risk_days,
            "lapsed_days": lapsed_days,
            "thousand_points_value": thousand_points_value,
        },
    )
    return settings


@transaction.atomic(savepoint=False)
def marketing_spend_set(
    *, merchant: Merchant, actor: User | None, month: date, amount: int
) -> MarketingSpend:
    """Record what was spent on marketing in `month` (any day of it), replacing what was
    entered before for that month. Zero clears it."""
    if not isinstance(month, date):
        raise DomainError(gettext("Give the month."), field="month")
    if not _whole(amount, 0, MAX_AMOUNT):
        raise DomainError(gettext("Give the amount in cents, zero or more."), field="amount")
    first_day = month_start(month)
    MarketingSpend.objects.bulk_create(
        [MarketingSpend(merchant=merchant, month=first_day, amount=amount)],
        update_conflicts=True,
        unique_fields=["merchant", "month"],
        update_fields=["amount", "updated_at"],
    )
    spend = MarketingSpend.objects.get(merchant=merchant, month=first_day)
    audit_record(
        merchant=merchant,
        actor=actor,
        action="analytics.spend_set",
        summary=stored_text(
            # Translators: %(month)s is written 2026-05; %(amount)s is in cents.
            gettext_noop("Marketing spend of %(month)s: %(amount)s"),
            month=f"{first_day:%Y-%m}",
            amount=amount,
        ),
        target=spend,
        data={"month": first_day.isoformat(), "amount": amount},
    )
    return spend
