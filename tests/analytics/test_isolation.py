"""Another merchant's rows are never counted, listed or rebuilt: every KPI of a merchant
is the same with or without a busier merchant trading on the same days."""

from datetime import date

import pytest

from apps.analytics import kpis, program_kpis
from apps.analytics.models import (
    CohortActivity,
    DailyRollup,
    EnrollmentDay,
    MemberMonth,
    MemberStats,
)
from apps.analytics.periods import Period
from apps.analytics.selectors import Status, members_enrolled, members_with_status
from apps.analytics.services import marketing_spend_set
from apps.programs.services import refund_record
from tests.analytics.factories import at, refresh
from tests.coupons.factories import enable_cashback, give_coupon
from tests.members.factories import enroll
from tests.programs.factories import buy
from tests.tiers.factories import set_up_tiers

pytestmark = pytest.mark.django_db

MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))
PERIOD_KPIS = [
    kpis.kpi_retention_rate,
    kpis.kpi_repeat_purchase_rate,
    kpis.kpi_purchase_frequency,
    kpis.kpi_average_order_value,
    kpis.kpi_revenue_from_members,
    kpis.kpi_customer_lifetime_value,
    kpis.kpi_member_statuses,
    kpis.kpi_cohort_retention,
    program_kpis.kpi_points,
    program_kpis.kpi_cashback_and_coupons,
    program_kpis.kpi_members_per_tier,
    program_kpis.kpi_referral_funnel,
    kpis.kpi_acquisition_cost,
    kpis.kpi_enrollments,
]


def _all_kpis(merchant) -> dict:
    return {kpi.__name__: kpi(merchant=merchant, period=MARCH) for kpi in PERIOD_KPIS}


def _busy_other_merchant(other_team):
    set_up_tiers(other_team)
    enable_cashback(other_team)
    marketing_spend_set(
        merchant=other_team.merchant, actor=other_team.owner, month=date(2026, 3, 1), amount=9
    )
    for n in range(3):
        member = enroll(other_team, enrolled_at=at(2026, 3, 1 + n))
        purchase = buy(
            other_team, member, 60_000, at=at(2026, 3, 2), location=other_team.merchant_location
        ).purchase
        buy(other_team, member, 5_000, at=at(2026, 3, 9))
        refund_record(purchase=purchase, external_id=f"O-{n}", amount=1000)
        give_coupon(other_team, member)


def test_a_merchants_figures_ignore_another_merchant_entirely(team, other_team, clock):
    clock.set(at(2026, 3, 31, 12))
    member = enroll(team, enrolled_at=at(2026, 3, 1))
    buy(team, member, 1000, at=at(2026, 3, 2), location=team.merchant_location)
    refresh()
    alone = _all_kpis(team.merchant)

    _busy_other_merchant(other_team)
    refresh()

    assert _all_kpis(team.merchant) == alone
    assert alone["kpi_revenue_from_members"].revenue == 1000
    assert alone["kpi_member_statuses"].members == 1
    assert alone["kpi_points"].outstanding == 100
    assert alone["kpi_enrollments"].total == 1
    assert _all_kpis(other_team.merchant)["kpi_revenue_from_members"].revenue == 195_000


def test_the_lists_behind_the_numbers_hold_only_the_merchants_members(team, other_team, clock):
    clock.set(at(2026, 3, 31, 12))
    mine = enroll(team, enrolled_at=at(2026, 3, 1))
    theirs = enroll(other_team, enrolled_at=at(2026, 3, 1))
    buy(team, mine, 1000, at=at(2026, 3, 2))
    buy(other_team, theirs, 1000, at=at(2026, 3, 2))
    refresh()
    active = members_with_status(
        merchant=team.merchant, status=Status.ACTIVE, at_risk_days=90, lapsed_days=180
    )
    assert list(active) == [mine]
    assert list(members_enrolled(merchant=team.merchant, period=MARCH)) == [mine]


def test_every_rollup_row_belongs_to_its_members_merchant(team, other_team, clock):
    clock.set(at(2026, 3, 31, 12))
    _busy_other_merchant(other_team)
    buy(team, enroll(team, enrolled_at=at(2026, 3, 1)), 1000, at=at(2026, 3, 2))
    refresh()
    for model in (MemberStats, MemberMonth):
        for row in model.objects.select_related("member"):
            assert row.merchant_id == row.member.merchant_id
    for model in (DailyRollup, EnrollmentDay, CohortActivity, MemberStats):
        assert set(model.objects.values_list("merchant", flat=True)) == {
            team.merchant.pk,
            other_team.merchant.pk,
        }
