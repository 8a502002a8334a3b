"""The merchant's thresholds, point value and monthly marketing spend."""

from datetime import date

import pytest

from apps.analytics.models import MarketingSpend
from apps.analytics.selectors import (
    analytics_settings_for,
    derived_point_value_per_thousand,
    point_value_per_thousand,
)
from apps.analytics.services import analytics_settings_update, marketing_spend_set
from apps.core.errors import DomainError
from apps.core.models import AuditLog
from apps.programs.points.rules import program_settings_update
from apps.programs.rewards.services import reward_create

pytestmark = pytest.mark.django_db


def test_the_thresholds_default_to_90_and_180_days(team):
    settings = analytics_settings_for(merchant=team.merchant)
    assert (settings.at_risk_days, settings.lapsed_days) == (90, 180)
    assert settings.thousand_points_value is None


def test_a_manager_sets_the_thresholds_and_the_point_value(team):
    analytics_settings_update(
        merchant=team.merchant,
        actor=team.manager,
        at_risk_days=60,
        lapsed_days=120,
        thousand_points_value=500,
    )
    settings = analytics_settings_for(merchant=team.merchant)
    assert (settings.at_risk_days, settings.lapsed_days) == (60, 120)
    assert point_value_per_thousand(merchant=team.merchant) == 500
    audit = AuditLog.objects.for_merchant(team.merchant).get(action="analytics.settings_updated")
    assert audit.actor == team.manager


@pytest.mark.parametrize(
    ("at_risk", "lapsed", "field"),
    [(0, 180, "at_risk_days"), (90, 90, "lapsed_days"), (90, 4000, "lapsed_days")],
)
def test_thresholds_out_of_order_are_refused(team, at_risk, lapsed, field):
    with pytest.raises(DomainError) as refused:
        analytics_settings_update(
            merchant=team.merchant, actor=team.manager, at_risk_days=at_risk, lapsed_days=lapsed
        )
    assert refused.value.field == field


def test_the_point_value_comes_from_the_rewards_worth_money(team):
    for name, cost, amount in [("A", 500, 500), ("B", 1000, 1500), ("C", 200, 100)]:
        reward_create(
            merchant=team.merchant,
            actor=team.manager,
            name=name,
            kind="fixed_discount",
            points_cost=cost,
            discount_amount=amount,
        )
    reward_create(
        merchant=team.merchant,
        actor=team.manager,
        name="Free coffee",
        kind="free_product",
        points_cost=50,
        product_name="Coffee",
    )
    # Per 1,000 points: 1,000, 1,500 and 500 cents: the median.
    assert derived_point_value_per_thousand(merchant=team.merchant) == 1000


def test_without_such_rewards_a_point_is_one_percent_of_what_earned_it(team):
    program_settings_update(
        merchant=team.merchant, actor=team.manager, points_per_unit=10, expiry_months=None
    )
    # 10 points per euro: a point came from 10 cents of spend, 1 % of which is 0.1 cent.
    assert derived_point_value_per_thousand(merchant=team.merchant) == 100


def test_marketing_spend_is_one_amount_per_month(team):
    marketing_spend_set(
        merchant=team.merchant, actor=team.owner, month=date(2026, 3, 17), amount=12_000
    )
    spend = marketing_spend_set(
        merchant=team.merchant, actor=team.owner, month=date(2026, 3, 2), amount=15_000
    )
    assert (spend.month, spend.amount) == (date(2026, 3, 1), 15_000)
    assert MarketingSpend.objects.for_merchant(team.merchant).count() == 1
    assert (
        AuditLog.objects.for_merchant(team.merchant).filter(action="analytics.spend_set").count()
        == 2
    )
    with pytest.raises(DomainError):
        marketing_spend_set(
            merchant=team.merchant, actor=team.owner, month=date(2026, 3, 1), amount=-1
        )
