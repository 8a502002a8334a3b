"""The KPIs of the program's extras, each on a small known case: cashback and coupons,
referrals, tiers. "Today" is 31 March 2026 in Madrid."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from apps.analytics import program_kpis
from apps.analytics.periods import Period
from apps.programs.coupons.models import Coupon, CouponSource
from apps.programs.coupons.services import coupon_redeem
from apps.programs.services import refund_record
from tests.analytics.factories import at, refresh
from tests.coupons.factories import enable_cashback, give_coupon, give_percent_coupon
from tests.members.factories import enroll
from tests.programs.factories import buy
from tests.referrals.conftest import code_of, referrals_on
from tests.tiers.factories import set_up_tiers

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 31)
MARCH = Period(date(2026, 3, 1), TODAY)


@pytest.fixture
def today(clock):
    clock.set(at(2026, 3, 31, 12))


def test_cashback_and_coupons_issued_redeemed_and_outstanding(team, other_team, today):
    # 5 % back; 10.00 in the wallet becomes a coupon of 10.00.
    enable_cashback(team, rate_bp=500, threshold=1000)
    member = enroll(team, enrolled_at=at(2026, 3, 1))
    first = buy(team, member, 10_000, at=at(2026, 3, 2)).purchase  # 5.00 back
    buy(team, member, 20_000, at=at(2026, 3, 3))  # 10.00 more: a 10.00 coupon, 5.00 left
    refund_record(purchase=first, external_id="R-1", amount=10_000)  # takes 5.00 back
    cashback_coupon = Coupon.objects.get(source=CouponSource.CASHBACK)
    coupon_redeem(merchant=team.merchant, code=cashback_coupon.code, amount=800, member=member)
    give_coupon(team, member, value=300)
    enable_cashback(other_team)  # the other merchant's sales never count here
    buy(other_team, enroll(other_team), 50_000, at=at(2026, 3, 3))
    refresh()

    figures = program_kpis.kpi_cashback_and_coupons(merchant=team.merchant, period=MARCH)

    assert figures == program_kpis.CashbackAndCoupons(
        cashback_earned=1500,
        cashback_reversed=500,
        cashback_converted=1000,
        cashback_outstanding=0,
        coupons_issued=2,
        coupons_issued_value=1300,
        coupons_redeemed=1,
        coupons_redeemed_value=800,  # a 10.00 coupon on an 8.00 basket takes 8.00 off
        coupons_outstanding=1,
        coupons_outstanding_value=300,
        coupons_outstanding_percent=0,
    )


def test_percent_coupons_are_counted_apart_from_the_money_owed(team, today):
    member = enroll(team, enrolled_at=at(2026, 3, 1))
    used = give_percent_coupon(team, member, percent=15)
    coupon_redeem(merchant=team.merchant, code=used.code, amount=999)  # 1.49 off
    give_percent_coupon(team, member, percent=20)  # live: worth nothing yet
    give_coupon(team, member, value=300)  # live: 3.00 owed

    figures = program_kpis.kpi_cashback_and_coupons(merchant=team.merchant, period=MARCH)

    assert (figures.coupons_issued, figures.coupons_issued_value) == (3, 300)
    assert (figures.coupons_redeemed, figures.coupons_redeemed_value) == (1, 149)
    assert (figures.coupons_outstanding, figures.coupons_outstanding_value) == (2, 300)
    assert figures.coupons_outstanding_percent == 1


def test_the_cashback_card_says_percent_coupons_are_not_in_the_liability(team, today, client_as):
    give_percent_coupon(team, enroll(team), percent=15)
    client = client_as(team.manager)

    card = client.get(reverse("analytics:card", args=["cashback"])).text
    csv_text = client.get(reverse("analytics:card_csv", args=["cashback"])).content.decode()
    values = {row[0]: row[1] for row in csv.reader(io.StringIO(csv_text)) if row}

    assert "Live percent coupons" in card
    assert "Live percent coupons are not in it" in card
    assert (values["Live percent coupons"], values["Live coupons' value"]) == ("1", "0.00")


def test_referral_funnel_from_codes_used_to_rewarded(
    team, today, django_capture_on_commit_callbacks
):
    referrals_on(team)  # a first purchase of 10.00 within 30 days converts
    referrer = enroll(team, enrolled_at=at(2026, 1, 5))
    code = code_of(referrer)
    converted, waiting, small = (
        enroll(team, extras={"referral_code": code}, enrolled_at=at(2026, 3, 20)) for _ in range(3)
    )
    with django_capture_on_commit_callbacks(execute=True):
        buy(team, converted, 1500, at=at(2026, 3, 25))
        buy(team, small, 500, at=at(2026, 3, 25))  # below the minimum: still pending
    refresh()

    funnel = program_kpis.kpi_referral_funnel(merchant=team.merchant, period=MARCH)

    assert funnel == program_kpis.ReferralFunnel(
        codes_used=3,
        converted=1,
        rewarded=1,
        reversed=0,
        pending=2,
        expired=0,
        rejected=0,
        conversion_rate=Decimal("33.33"),
    )
    february = Period(date(2026, 2, 1), date(2026, 2, 28))
    assert program_kpis.kpi_referral_funnel(merchant=team.merchant, period=february).codes_used == 0


def test_members_per_tier_now_and_at_each_month_end(team, today):
    tiers = set_up_tiers(team)  # Bronze 100.00, Silver 500.00, Gold 1,000.00 spent
    bronze, silver = tiers["Bronze"].pk, tiers["Silver"].pk
    ana, bea = enroll(team, enrolled_at=at(2026, 1, 5)), enroll(team, enrolled_at=at(2026, 1, 5))
    buy(team, ana, 12_000, at=at(2026, 2, 10))  # Bronze in February
    buy(team, bea, 60_000, at=at(2026, 3, 12))  # straight to Silver in March
    buy(team, ana, 40_000, at=at(2026, 3, 15))  # Ana reaches Silver too
    refresh()

    per_tier = program_kpis.kpi_members_per_tier(
        merchant=team.merchant, period=Period(date(2026, 1, 1), TODAY)
    )

    assert per_tier.tiers == [
        {"id": bronze, "name": "Bronze", "members": 0},
        {"id": silver, "name": "Silver", "members": 2},
        {"id": tiers["Gold"].pk, "name": "Gold", "members": 0},
    ]
    assert per_tier.history == [
        {"day": date(2026, 1, 31), "members": {}},
        {"day": date(2026, 2, 28), "members": {bronze: 1}},
        {"day": TODAY, "members": {silver: 2}},
    ]
