"""A program's settings read as their defaults until someone changes them: reading writes
nothing (no row, no savepoint); the service that changes them makes the row, once."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.programs.coupons.cashback import cashback_settings_update
from apps.programs.coupons.models import CashbackSettings
from apps.programs.coupons.selectors import cashback_settings
from apps.programs.points.models import ProgramSettings
from apps.programs.points.rules import program_settings_update
from apps.programs.points.services import program_settings
from apps.programs.referrals.models import ReferralSettings
from apps.programs.referrals.services import referral_settings
from tests.referrals.conftest import referrals_on

pytestmark = pytest.mark.django_db

READERS = [
    (program_settings, ProgramSettings, {"points_per_unit": 10, "expiry_months": None}),
    (cashback_settings, CashbackSettings, {"is_enabled": False, "rate_bp": 500}),
    (referral_settings, ReferralSettings, {"is_enabled": False, "window_days": 30}),
]


@pytest.mark.parametrize(
    ("read", "model", "defaults"), READERS, ids=[model.__name__ for _r, model, _d in READERS]
)
def test_reading_settings_no_one_has_set_answers_the_defaults_and_writes_nothing(
    team, read, model, defaults
):
    with CaptureQueriesContext(connection) as queries:
        settings = read(merchant=team.merchant)

    assert settings.pk is None
    assert {name: getattr(settings, name) for name in defaults} == defaults
    assert [query["sql"].split()[0] for query in queries] == ["SELECT"]
    assert not model.objects.exists()


def test_changing_settings_makes_the_row_once_and_reading_finds_it(team):
    for _ in range(2):
        program_settings_update(
            merchant=team.merchant, actor=team.manager, points_per_unit=5, expiry_months=12
        )
        cashback_settings_update(
            merchant=team.merchant,
            actor=team.manager,
            is_enabled=True,
            rate_bp=250,
            threshold=1000,
            coupon_days=60,
            coupon_min_spend=0,
        )
        referrals_on(team, window_days=14)

    assert ProgramSettings.objects.get().points_per_unit == 5
    assert CashbackSettings.objects.get().rate_bp == 250
    assert ReferralSettings.objects.get().window_days == 14
    assert program_settings(merchant=team.merchant).expiry_months == 12
    assert cashback_settings(merchant=team.merchant.pk).is_enabled
    assert referral_settings(merchant=team.merchant).window_days == 14
