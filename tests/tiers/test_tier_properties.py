"""Any sequence of purchases, refunds and reviews keeps the tier history consistent: up
only on a purchase, down only at a review, never below what a purchase's window holds."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.core.merchant_config import merchant_config_changed
from apps.programs.services import refund_record
from apps.programs.tiers.models import MemberTier, Tier, TierChange
from apps.programs.tiers.selectors import qualifying_total, tier_for_total, tiers_active
from apps.programs.tiers.services import tiers_review
from tests.members.factories import enroll
from tests.programs.factories import buy
from tests.tiers.factories import set_up_tiers

pytestmark = pytest.mark.django_db

OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(["buy", "buy", "refund", "review"]),
        st.integers(min_value=1, max_value=60_000),
        st.integers(min_value=0, max_value=200),  # days that pass first
    ),
    max_size=14,
)


def _threshold(tier):
    return tier.threshold if tier else 0


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations=OPERATIONS, calendar=st.booleans(), grace=st.sampled_from([0, 30]))
def test_any_sequence_keeps_the_tier_history_consistent(team, operations, calendar, grace):
    if not Tier.objects.for_merchant(team.merchant).exists():
        set_up_tiers(team)
    from apps.programs.tiers.models import TierSettings

    TierSettings.objects.filter(merchant=team.merchant).update(
        window="calendar_year" if calendar else "rolling_12", grace_days=grace
    )
    merchant_config_changed(team.merchant.pk)  # a bulk update: purchases must see it
    tiers = tiers_active(merchant=team.merchant)
    member = enroll(team)
    clock = datetime(2025, 1, 1, 9, tzinfo=UTC)
    purchases = []
    for step, (operation, value, days) in enumerate(operations):
        clock += timedelta(days=days)
        if operation == "buy":
            purchases.append(buy(team, member, value, at=clock).purchase)
            status = MemberTier.objects.select_related("tier").filter(member=member).first()
            reached = tier_for_total(tiers=tiers, total=qualifying_total(member=member, end=clock))
            assert _threshold(status.tier if status else None) >= _threshold(reached)
        elif operation == "refund" and purchases:
            purchase = purchases[value % len(purchases)]
            purchase.refresh_from_db()
            left = purchase.amount - purchase.refunded_amount
            if left:
                refund_record(
                    purchase=purchase, external_id=f"r{member.pk}-{step}", amount=1 + value % left
                )
        elif operation == "review":
            tiers_review(now=clock)
            assert tiers_review(now=clock) == 0  # twice: nothing more

    changes = list(TierChange.objects.filter(member=member).order_by("occurred_at", "id"))
    previous = ""
    for change in changes:
        assert change.from_name == previous
        assert change.direction == (
            "up" if _threshold(change.to_tier) > _threshold(change.from_tier) else "down"
        )
        assert change.cause == ("purchase" if change.direction == "up" else "review")
        previous = change.to_name
    status = MemberTier.objects.filter(member=member).select_related("tier").first()
    current = status.tier.name if status and status.tier else ""
    assert current == previous
    if status is not None:
        assert (status.tier is None) == (status.review_at is None)
