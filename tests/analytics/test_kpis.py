"""Each KPI on a small shop whose figures are worked out by hand below.

Café in Madrid, "today" is Tuesday 31 March 2026. Points: 10 per euro, expiring after 3
months; one reward, 5 € off for 500 points (so 1,000 points are worth 10 €). At risk
after 90 days without a purchase, lapsed after 180 (the defaults). Two shops: Main street
and Harbour. Another merchant trades on the same days: none of it may show.

member  enrolled (home)           purchases (amount in cents, where)
D       2025-06-01 Main street    06-10 800 Main
C       2025-09-01 Harbour        09-01 2500 Harbour · 10-15 1000 Harbour
A       2025-12-10 Main street    12-10 1000 Main · 01-15 2000 Main · 03-05 1500 Main ·
                                  03-05 500 Main (same day) · 03-20 3000 Harbour
B       2025-12-20 Main street    12-20 4000 Main
E       2026-03-10 Harbour        none (enrolled online, by nobody)
F       2026-03-15 Main street    03-16 1200 Main, 200 refunded on 03-25

A redeems the reward on 03-21 (500 points from its oldest lots); on 03-25 the lots past
their date expire: D 80, C 250 + 100, B 400 = 830 points.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from apps.analytics import kpis, program_kpis
from apps.analytics.periods import Period
from apps.analytics.selectors import Status, members_enrolled, members_with_status
from apps.analytics.services import analytics_settings_update, marketing_spend_set
from apps.members.models import Channel
from apps.members.services import member_enroll
from apps.programs.points.rules import program_settings_update
from apps.programs.points.services import lots_expire
from apps.programs.rewards.services import reward_create, reward_redeem
from apps.programs.services import refund_record
from tests.analytics.factories import at, refresh
from tests.core.factories import LocationFactory
from tests.members.factories import enroll
from tests.programs.factories import buy

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 31)
MARCH = Period(date(2026, 3, 1), TODAY)


class Shop:
    def __init__(self, team):
        self.team = team
        self.merchant = team.merchant
        self.main = team.merchant_location
        self.harbour = LocationFactory(merchant=team.merchant, name="Harbour")
        self.members = {}


def _trade(team, shop: Shop) -> None:
    merchant, main, harbour = team.merchant, shop.main, shop.harbour
    program_settings_update(
        merchant=merchant, actor=team.manager, points_per_unit=10, expiry_months=3
    )
    reward = reward_create(
        merchant=merchant,
        actor=team.manager,
        name="5 € off",
        kind="fixed_discount",
        points_cost=500,
        discount_amount=500,
    )
    m = shop.members
    m["D"] = enroll(team, enrolled_at=at(2025, 6, 1), location=main)
    buy(team, m["D"], 800, at=at(2025, 6, 10), location=main)
    m["C"] = enroll(team, enrolled_at=at(2025, 9, 1), location=harbour)
    buy(team, m["C"], 2500, at=at(2025, 9, 1), location=harbour)
    buy(team, m["C"], 1000, at=at(2025, 10, 15), location=harbour)
    m["A"] = enroll(team, enrolled_at=at(2025, 12, 10), location=main)
    buy(team, m["A"], 1000, at=at(2025, 12, 10), location=main)
    buy(team, m["A"], 2000, at=at(2026, 1, 15), location=main)
    m["B"] = enroll(team, enrolled_at=at(2025, 12, 20), location=main)
    buy(team, m["B"], 4000, at=at(2025, 12, 20), location=main)
    buy(team, m["A"], 1500, at=at(2026, 3, 5), location=main)
    buy(team, m["A"], 500, at=at(2026, 3, 5, 15), location=main)
    buy(team, m["A"], 3000, at=at(2026, 3, 20), location=harbour)
    m["E"] = member_enroll(
        merchant=merchant,
        actor=None,
        channel=Channel.ONLINE,
        first_name="Eva",
        email=f"eva{merchant.pk}@example.com",
        location=harbour,
        enrolled_at=at(2026, 3, 10),
    ).member
    m["F"] = enroll(team, enrolled_at=at(2026, 3, 15), location=main)
    f_purchase = buy(team, m["F"], 1200, at=at(2026, 3, 16), location=main).purchase
    reward_redeem(merchant=merchant, member=m["A"], reward=reward, now=at(2026, 3, 21))
    return f_purchase


@pytest.fixture
def shop(team, other_team, clock) -> Shop:
    clock.set(at(2026, 3, 21))
    shop = Shop(team)
    f_purchase = _trade(team, shop)
    _trade(other_team, Shop(other_team))  # the same again, elsewhere: must never count
    refresh()  # a first run mid-month: the rest arrives after it
    clock.set(at(2026, 3, 25))
    refund_record(purchase=f_purchase, external_id="R-1", amount=200)
    lots_expire(now=at(2026, 3, 25))
    clock.set(at(2026, 3, 31, 12))
    refresh()
    return shop


def test_revenue_from_members_counts_sales_on_their_day_and_refunds_on_theirs(shop):
    revenue = kpis.kpi_revenue_from_members(merchant=shop.merchant, period=MARCH)
    assert (revenue.revenue, revenue.refunded, revenue.net_revenue) == (6200, 200, 6000)
    assert (revenue.purchases, revenue.refunds) == (4, 1)
    assert revenue.series == [
        {"day": date(2026, 3, 5), "revenue": 2000, "refunded": 0},
        {"day": date(2026, 3, 16), "revenue": 1200, "refunded": 0},
        {"day": date(2026, 3, 20), "revenue": 3000, "refunded": 0},
        {"day": date(2026, 3, 25), "revenue": 0, "refunded": 200},
    ]
    at_harbour = kpis.kpi_revenue_from_members(
        merchant=shop.merchant, period=MARCH, location=shop.harbour
    )
    assert (at_harbour.revenue, at_harbour.refunded, at_harbour.purchases) == (3000, 0, 1)


def test_average_order_value_is_revenue_per_purchase(shop):
    value = kpis.kpi_average_order_value(merchant=shop.merchant, period=MARCH)
    assert value == kpis.AverageOrderValue(members=1550, purchases=4, revenue=6200)
    assert value.all_sales is None  # sales to non-members are not recorded
    nothing = kpis.kpi_average_order_value(
        merchant=shop.merchant, period=Period(date(2026, 2, 1), date(2026, 2, 28))
    )
    assert nothing.members is None


def test_purchase_frequency_and_repeat_rate_count_visits_not_tickets(shop):
    # A bought on 03-05 (twice, one visit) and on 03-20 at Harbour: a repeat buyer. F once.
    assert kpis.kpi_purchase_frequency(merchant=shop.merchant, period=MARCH) == (
        kpis.PurchaseFrequency(per_buyer=Decimal("2.00"), purchases=4, buyers=2)
    )
    assert kpis.kpi_repeat_purchase_rate(merchant=shop.merchant, period=MARCH) == (
        kpis.RepeatPurchaseRate(rate=Decimal("50.00"), repeat_buyers=1, buyers=2)
    )
    # At Main street alone A came on one day only: two tickets, one visit.
    at_main = {"merchant": shop.merchant, "period": MARCH, "location": shop.main}
    assert kpis.kpi_purchase_frequency(**at_main) == kpis.PurchaseFrequency(
        per_buyer=Decimal("1.50"), purchases=3, buyers=2
    )
    assert kpis.kpi_repeat_purchase_rate(**at_main) == kpis.RepeatPurchaseRate(
        rate=Decimal("0.00"), repeat_buyers=0, buyers=2
    )
    # From December to March A came back; B and F bought once.
    winter = Period(date(2025, 12, 1), TODAY)
    assert kpis.kpi_repeat_purchase_rate(merchant=shop.merchant, period=winter) == (
        kpis.RepeatPurchaseRate(rate=Decimal("33.33"), repeat_buyers=1, buyers=3)
    )
    # A range inside one month reads only its days of the month's mask.
    assert kpis.kpi_purchase_frequency(
        merchant=shop.merchant, period=Period(date(2026, 3, 6), date(2026, 3, 19))
    ) == kpis.PurchaseFrequency(per_buyer=Decimal("1.00"), purchases=1, buyers=1)


def test_member_statuses_at_the_end_of_the_period_and_the_lists_behind_them(shop):
    statuses = kpis.kpi_member_statuses(merchant=shop.merchant, period=MARCH)
    # Active: last seen on or after 2025-12-31 (A 03-20, E enrolled 03-10, F 03-16); at
    # risk back to 2025-10-02 (B 12-20, C 10-15); lapsed before (D 06-10). New: E and F.
    assert statuses == kpis.MemberStatuses(
        as_of=TODAY,
        members=6,
        active=3,
        at_risk=2,
        lapsed=1,
        new=2,
        at_risk_days=90,
        lapsed_days=180,
    )
    m = shop.members
    thresholds = {"at_risk_days": 90, "lapsed_days": 180}
    listed = {
        status: set(members_with_status(merchant=shop.merchant, status=status, **thresholds))
        for status in (Status.ACTIVE, Status.AT_RISK, Status.LAPSED)
    }
    assert listed == {
        Status.ACTIVE: {m["A"], m["E"], m["F"]},
        Status.AT_RISK: {m["B"], m["C"]},
        Status.LAPSED: {m["D"]},
    }
    assert set(members_enrolled(merchant=shop.merchant, period=MARCH)) == {m["E"], m["F"]}
    at_harbour = members_with_status(
        merchant=shop.merchant, status=Status.ACTIVE, location=shop.harbour, **thresholds
    )
    assert set(at_harbour) == {m["E"]}


def test_statuses_follow_the_merchants_thresholds(shop):
    analytics_settings_update(
        merchant=shop.merchant, actor=shop.team.manager, at_risk_days=30, lapsed_days=100
    )
    statuses = kpis.kpi_member_statuses(merchant=shop.merchant, period=MARCH)
    # Since 03-01 active: A, E, F; since 2025-12-21: at risk: none (B's 12-20 is one
    # day too early); lapsed: B, C, D.
    assert (statuses.active, statuses.at_risk, statuses.lapsed) == (3, 0, 3)


def test_statuses_of_a_past_period_are_counted_at_its_end(shop):
    comparison = kpis.compare(kpis.kpi_member_statuses, merchant=shop.merchant, period=MARCH)
    previous = comparison.previous
    # At the end of 2026-02-28: A (01-15) and B (12-20) active, C (10-15) at risk, D
    # lapsed; E and F had not enrolled.
    assert previous.as_of == date(2026, 2, 28)
    assert (previous.members, previous.active, previous.at_risk, previous.lapsed) == (4, 2, 1, 1)
    assert previous.new == 0
    active = comparison.changes["active"]
    assert (active.current, active.previous, active.difference, active.percent) == (
        3,
        2,
        1,
        Decimal("50.00"),
    )


def test_retention_rate_is_members_kept_over_members_at_the_start(shop):
    # Active at the end of 02-28: A and B. At the end of March: A, E, F, of whom E and F
    # are new. (3 − 2) ÷ 2: B was not kept.
    assert kpis.kpi_retention_rate(merchant=shop.merchant, period=MARCH) == (
        kpis.RetentionRate(
            rate=Decimal("50.00"), members_at_start=2, members_at_end=3, new_members=2
        )
    )
    at_harbour = kpis.kpi_retention_rate(
        merchant=shop.merchant, period=MARCH, location=shop.harbour
    )
    # Harbour's members: C (at risk at both ends) and E (new): nobody to keep.
    assert at_harbour == kpis.RetentionRate(None, 0, 1, 1)


def test_customer_lifetime_value_and_its_inputs(shop):
    clv = kpis.kpi_customer_lifetime_value(merchant=shop.merchant, period=MARCH)
    # Lifetimes (first to last purchase): A 100 days, C 44, B, D and F 0: 144 over 5.
    # 6,000 net × 144 ÷ (2 buyers × 31 days × 5 members) = 2,787.09…
    assert clv == kpis.CustomerLifetimeValue(
        value=2787,
        average_purchase_value=1500,
        purchases_per_year=Decimal("23.55"),
        average_lifetime_days=Decimal("28.8"),
        net_revenue=6000,
        purchases=4,
        buyers=2,
        period_days=31,
        lifetime_members=5,
    )


def test_cohort_retention_by_month_of_enrollment(shop):
    winter = Period(date(2025, 12, 1), TODAY)
    cohorts = kpis.kpi_cohort_retention(merchant=shop.merchant, period=winter)
    rows = {row.cohort: (row.members, row.active, row.shares) for row in cohorts.rows}
    hundred, half, none = Decimal("100.00"), Decimal("50.00"), Decimal("0.00")
    assert rows == {
        # A and B enrolled in December; A bought again in January and March.
        date(2025, 12, 1): (2, [2, 1, 0, 1], [hundred, half, none, half]),
        date(2026, 1, 1): (0, [0, 0, 0], [None, None, None]),
        date(2026, 2, 1): (0, [0, 0], [None, None]),
        # E and F enrolled in March; F bought.
        date(2026, 3, 1): (2, [1], [half]),
    }
    # Cohorts by home location: A's purchase at Harbour counts for Main street's cohort.
    at_main = kpis.kpi_cohort_retention(merchant=shop.merchant, period=MARCH, location=shop.main)
    assert [(row.cohort, row.members, row.active) for row in at_main.rows] == [
        (date(2026, 3, 1), 1, [1])
    ]


def test_points_issued_redeemed_expired_outstanding_and_liability(shop):
    points = program_kpis.kpi_points(merchant=shop.merchant, period=MARCH)
    assert points == program_kpis.PointsFigures(
        issued=620,  # A 150 + 50 + 300, F 120
        earned=620,
        bonus=0,
        redeemed=500,
        expired=830,
        taken_back=20,  # F's refund: 200 of 1,200 takes back 20 of its 120 points
        outstanding=400,  # A 300, F 100
        liability=400,  # 1,000 points are worth 1,000 cents (the reward's 500 for 500)
        thousand_points_value=1000,
        redemption_rate=Decimal("80.65"),  # 500 ÷ 620
        breakage=Decimal("62.41"),  # 830 ÷ (830 + 500)
    )
    at_harbour = program_kpis.kpi_points(
        merchant=shop.merchant, period=MARCH, location=shop.harbour
    )
    assert (at_harbour.issued, at_harbour.redeemed, at_harbour.expired) == (300, 0, 0)
    assert at_harbour.outstanding == 400  # balances belong to no location


def test_the_point_value_setting_replaces_the_derived_one(shop):
    analytics_settings_update(
        merchant=shop.merchant,
        actor=shop.team.manager,
        at_risk_days=90,
        lapsed_days=180,
        thousand_points_value=250,
    )
    points = program_kpis.kpi_points(merchant=shop.merchant, period=MARCH)
    assert (points.thousand_points_value, points.liability) == (250, 100)


def test_enrollments_by_channel_location_and_staff(shop):
    enrollments = kpis.kpi_enrollments(merchant=shop.merchant, period=MARCH)
    staff = shop.team.staff
    assert enrollments == kpis.Enrollments(
        total=2,
        by_channel=[
            {"channel": "counter", "label": "Counter", "members": 1},
            {"channel": "online", "label": "Online", "members": 1},
        ],
        by_location=[
            {"location_id": shop.harbour.pk, "name": "Harbour", "members": 1},
            {"location_id": shop.main.pk, "name": "Main street", "members": 1},
        ],
        by_staff=[
            {"user_id": staff.pk, "name": staff.get_full_name() or staff.email, "members": 1},
            {"user_id": None, "name": None, "members": 1},
        ],
    )
    everyone = kpis.kpi_enrollments(merchant=shop.merchant, period=Period(date(2025, 1, 1), TODAY))
    assert everyone.total == 6
    assert everyone.by_channel[0] == {"channel": "counter", "label": "Counter", "members": 5}


def test_acquisition_cost_is_the_months_spend_over_their_new_members(shop):
    unknown = kpis.kpi_acquisition_cost(merchant=shop.merchant, period=MARCH)
    assert (unknown.spend, unknown.new_members, unknown.cost_per_member) == (None, 2, None)
    marketing_spend_set(
        merchant=shop.merchant, actor=shop.team.owner, month=date(2026, 3, 17), amount=10_000
    )
    marketing_spend_set(
        merchant=shop.merchant, actor=shop.team.owner, month=date(2026, 2, 1), amount=5_000
    )
    assert kpis.kpi_acquisition_cost(merchant=shop.merchant, period=MARCH) == (
        kpis.AcquisitionCost(5000, 10_000, 2, date(2026, 3, 1), date(2026, 3, 1))
    )
    # A period across two months counts both months whole.
    across = Period(date(2026, 2, 20), date(2026, 3, 3))
    assert kpis.kpi_acquisition_cost(merchant=shop.merchant, period=across) == (
        kpis.AcquisitionCost(7500, 15_000, 2, date(2026, 2, 1), date(2026, 3, 1))
    )
    february = Period(date(2026, 2, 1), date(2026, 2, 28))
    assert kpis.kpi_acquisition_cost(merchant=shop.merchant, period=february).cost_per_member is (
        None
    )


def test_comparison_with_the_previous_period_reports_every_number(shop):
    comparison = kpis.compare(kpis.kpi_revenue_from_members, merchant=shop.merchant, period=MARCH)
    assert comparison.previous.revenue == 0  # 2026-01-29 to 02-28: nothing sold
    revenue = comparison.changes["revenue"]
    assert (revenue.current, revenue.previous, revenue.difference, revenue.percent) == (
        6200,
        0,
        6200,
        None,
    )
    assert "series" not in comparison.changes
    repeat = kpis.compare(
        kpis.kpi_repeat_purchase_rate,
        merchant=shop.merchant,
        period=Period(date(2026, 1, 15), date(2026, 3, 31)),
    )
    # The 76 days before (2025-10-31 to 2026-01-14): A on 12-10 and B on 12-20, once each.
    assert (repeat.previous.buyers, repeat.previous.repeat_buyers) == (2, 0)
    assert repeat.changes["rate"].previous == Decimal("0.00")


def test_a_period_in_the_future_counts_up_to_today(shop):
    april = Period(date(2026, 3, 1), date(2026, 4, 30))
    statuses = kpis.kpi_member_statuses(merchant=shop.merchant, period=april)
    assert statuses.as_of == TODAY
    cohorts = kpis.kpi_cohort_retention(merchant=shop.merchant, period=april)
    assert [row.cohort for row in cohorts.rows] == [date(2026, 3, 1)]


def test_periods_compare_with_the_same_number_of_days_just_before():
    assert MARCH.previous() == Period(date(2026, 1, 29), date(2026, 2, 28))
    assert MARCH.days == 31
    with pytest.raises(ValueError, match="ends on or after"):
        Period(TODAY, TODAY - timedelta(days=1))
