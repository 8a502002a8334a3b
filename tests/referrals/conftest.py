"""Referral terms and refunds made the way the app makes them: through the services."""

import pytest

from apps.programs.referrals.models import ReferralSettings
from apps.programs.referrals.services import referral_code_for, referral_settings_update
from apps.programs.services import refund_record


def referrals_on(team, **terms) -> ReferralSettings:
    """100 points each after a first purchase of 10.00 within 30 days, unless told."""
    defaults = {
        "is_enabled": True,
        "min_purchase": 1000,
        "window_days": 30,
        "referrer_reward": "points",
        "referrer_points": 100,
        "referred_reward": "points",
        "referred_points": 100,
        "coupon_days": 90,
        "monthly_cap": None,
    }
    return referral_settings_update(merchant=team.merchant, actor=team.manager, **defaults | terms)


def code_of(member) -> str:
    return referral_code_for(member=member).code


@pytest.fixture
def refund(django_capture_on_commit_callbacks):
    def record(purchase, amount, ticket):
        with django_capture_on_commit_callbacks(execute=True):
            return refund_record(purchase=purchase, external_id=ticket, amount=amount)

    return record
