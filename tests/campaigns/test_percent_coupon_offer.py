"""A campaign's percent coupon: each recipient gets a single-use coupon for 15 % off, the
message says "15 %", a sale takes 15 % of the basket off, and the campaign's report counts
what it took off."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.campaigns.report import offer_cost
from apps.campaigns.services.sending import campaign_send
from apps.programs.coupons.models import Coupon
from apps.programs.sale import sale_record
from tests.campaigns.factories import campaign
from tests.members.factories import enroll

pytestmark = pytest.mark.django_db

OFFER = {"type": "coupon", "percent": 15, "valid_days": 30, "min_spend": 2000}


def test_a_percent_offer_issues_each_recipient_a_coupon_for_15_percent_off(
    team, django_capture_on_commit_callbacks, mailoutbox
):
    ana = enroll(team, first_name="Ana", email="ana@example.com", consent_email=True)
    target = campaign(
        team,
        body={
            "es": "<p>{{ coupon_value }}: {{ coupon_code }}</p>",
            "en": "<p>{{ coupon_value }}: {{ coupon_code }}</p>",
        },
        offer=OFFER,
    )
    with django_capture_on_commit_callbacks(execute=True):
        campaign_send(campaign=target, actor=team.manager)

    coupon = Coupon.objects.get(member=ana, source="campaign")
    assert (coupon.percent, coupon.value, coupon.min_spend) == (15, 0, 2000)
    assert coupon.expires_at - coupon.issued_at == timedelta(days=30)
    assert f"15 %: {coupon.code}" in mailoutbox[0].body

    sale = sale_record(
        merchant=team.merchant,
        member=ana,
        external_id="T-1",
        amount=2999,
        coupon_code=coupon.code,
        occurred_at=timezone.now(),
    )

    assert (sale.discount, sale.paid) == (449, 2550)  # 449.85 rounded down
    assert offer_cost(campaign=target) == 449
