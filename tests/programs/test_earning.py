"""What a basket earns: base rate, product multipliers, promotions; integers throughout."""

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.core.errors import DomainError
from apps.programs.points.earning import Line, basket_points
from apps.programs.points.models import EarnMultiplier, ProgramSettings, Promotion
from apps.programs.services import purchase_record
from tests.conftest import refusal
from tests.core.factories import LocationFactory
from tests.members.factories import enroll

pytestmark = pytest.mark.django_db


def _earn(team, amount, lines=(), at=None, location=None):
    return basket_points(
        merchant=team.merchant,
        amount=amount,
        lines=list(lines),
        at=at or timezone.now(),
        location=location,
    )


def test_own_brand_lines_earn_their_multiplier_and_the_rest_the_base_rate(team):
    EarnMultiplier.objects.create(
        merchant=team.merchant, target="category", value="Own brand", percent=300
    )
    EarnMultiplier.objects.create(merchant=team.merchant, target="sku", value="CAKE-1", percent=200)
    earning = _earn(team, 2000, [Line(500, category="own brand"), Line(300, sku="cake-1")])
    # 5.00 × 3 + 3.00 × 2 + 12.00 uncovered × 1 = 33 units → 330 points
    assert earning.points == 330
    assert [percent for _line, percent in earning.lines] == [300, 200]


def test_the_best_matching_multiplier_wins(team):
    EarnMultiplier.objects.create(
        merchant=team.merchant, target="category", value="bakery", percent=150
    )
    EarnMultiplier.objects.create(merchant=team.merchant, target="sku", value="B1", percent=250)
    assert _earn(team, 1000, [Line(1000, sku="B1", category="bakery")]).points == 250


def test_a_promotion_multiplies_everything_while_it_runs_and_where_it_applies(team):
    now = timezone.now()
    here, there = team.merchant_location, LocationFactory(merchant=team.merchant, name="Port")
    promo = Promotion.objects.create(
        merchant=team.merchant,
        name="Double weekend",
        percent=200,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=1),
    )
    promo.locations.add(here)
    assert _earn(team, 1000, location=here).points == 200
    assert _earn(team, 1000, location=there).points == 100
    assert _earn(team, 1000, location=here, at=now + timedelta(days=2)).points == 100


def test_a_discounted_basket_earns_on_what_was_paid(team):
    EarnMultiplier.objects.create(
        merchant=team.merchant, target="category", value="tea", percent=200
    )
    # Lines worth 20.00 paid 10.00 after a coupon: the tea half earns double on 5.00.
    assert _earn(team, 1000, [Line(1000, category="tea"), Line(1000)]).points == 150


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(amounts=st.lists(st.integers(min_value=1, max_value=10**7), min_size=1, max_size=8))
def test_splitting_a_basket_into_lines_never_earns_more_than_paying_it_whole(team, amounts):
    total = sum(amounts)
    split = _earn(team, total, [Line(amount) for amount in amounts]).points
    assert split == _earn(team, total).points == total * 10 // 100


def test_purchases_earn_by_their_items_and_refuse_bad_items(team):
    EarnMultiplier.objects.create(merchant=team.merchant, target="sku", value="X", percent=200)
    member = enroll(team)
    result = purchase_record(
        merchant=team.merchant,
        member=member,
        external_id="T-1",
        amount=1000,
        items=[{"sku": "X", "quantity": 2, "unit_amount": 250}],
    )
    assert result.points_earned == 150  # 5.00 double + 5.00 single
    for items in ([{"sku": "X", "quantity": 0, "unit_amount": 1}], [{"sku": "X"}], "nope"):
        with refusal(DomainError) as refused:
            purchase_record(
                merchant=team.merchant, member=member, external_id="T-2", amount=1000, items=items
            )
        assert refused.value.field == "items"


def test_the_base_rate_is_the_merchants(team):
    ProgramSettings.objects.create(merchant=team.merchant, points_per_unit=1)
    assert _earn(team, 1999).points == 19
