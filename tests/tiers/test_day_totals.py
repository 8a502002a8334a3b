"""The tier window's total comes from the members' day totals and the window's two edge
days: the same figure as adding up every purchase and bonus, at a cost that does not grow
with the member's history."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.core.merchant_config import merchant_config_changed
from apps.members.services import member_merge
from apps.programs.models import Purchase
from apps.programs.points.bonuses import bonus_award
from apps.programs.points.day_totals import day_totals_mismatches, day_totals_rebuild
from apps.programs.points.models import BonusAward, BonusRule, MemberDayTotal
from apps.programs.services import refund_record
from apps.programs.tiers.models import Tier, TierSettings
from apps.programs.tiers.selectors import qualifying_totals, tier_settings, window_start
from tests.members.factories import enroll
from tests.programs.factories import buy
from tests.tiers.factories import set_up_tiers

pytestmark = pytest.mark.django_db

START = datetime(2025, 12, 31, 22, 30, tzinfo=UTC)  # near a UTC midnight and a year's end

OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(["buy", "buy", "buy", "refund", "bonus", "merge"]),
        st.integers(min_value=1, max_value=50_000),
        st.integers(min_value=0, max_value=60 * 24 * 20),  # minutes that pass first
    ),
    min_size=1,
    max_size=16,
)


def _counted_one_by_one(team, members, end, tier_settings_now):
    """What the window holds, added up from every purchase and bonus (the old way)."""
    start = window_start(settings=tier_settings_now, merchant=team.merchant, end=end)
    calendar = tier_settings_now.window == "calendar_year"
    spend = tier_settings_now.measure == "spend"

    def inside(moment):
        return (start <= moment if calendar else start < moment) and moment <= end

    totals = {}
    for purchase in Purchase.objects.filter(member__in=members):
        if inside(purchase.occurred_at):
            net = (
                purchase.amount - purchase.refunded_amount
                if spend
                else purchase.points_earned - purchase.points_reversed
            )
            totals[purchase.member_id] = totals.get(purchase.member_id, 0) + net
    if not spend:
        for award in BonusAward.objects.filter(member__in=members, points__gt=0):
            if inside(award.occurred_at):
                totals[award.member_id] = totals.get(award.member_id, 0) + award.points
    return totals


def _nonzero(totals):
    return {member: total for member, total in totals.items() if total}


def _day_totals():
    return sorted(
        MemberDayTotal.objects.values_list("member_id", "day", "spend", "points").order_by()
    )


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    operations=OPERATIONS,
    measure=st.sampled_from(["spend", "points"]),
    window=st.sampled_from(["rolling_12", "calendar_year"]),
    probes=st.lists(st.integers(min_value=-60 * 24 * 400, max_value=60 * 24 * 800), max_size=6),
)
def test_the_window_total_is_the_sum_of_its_purchases_and_bonuses(
    team, operations, measure, window, probes
):
    if not Tier.objects.for_merchant(team.merchant).exists():  # once: examples share the db
        set_up_tiers(team)
        BonusRule.objects.create(merchant=team.merchant, action="review", points=40)
    TierSettings.objects.filter(merchant=team.merchant).update(measure=measure, window=window)
    merchant_config_changed(team.merchant.pk)  # a bulk update: the selectors must see it
    members = [enroll(team), enroll(team)]
    clock, moments, bought = START, [], []
    for step, (operation, value, minutes) in enumerate(operations):
        clock += timedelta(minutes=minutes)
        member = members[value % 2] if members[1].merged_into_id is None else members[0]
        if operation == "buy":
            bought.append(buy(team, member, value, at=clock).purchase)
        elif operation == "refund" and bought:
            purchase = Purchase.objects.get(pk=bought[value % len(bought)].pk)
            if left := purchase.amount - purchase.refunded_amount:
                refund_record(
                    purchase=purchase,
                    external_id=f"r-{members[0].pk}-{step}",
                    amount=1 + value % left,
                )
        elif operation == "bonus":
            bonus_award(
                merchant=team.merchant,
                member=member,
                action="review",
                external_id=f"b-{members[0].pk}-{step}",
                at=clock,
            )
        elif operation == "merge" and members[1].merged_into_id is None:
            member_merge(survivor=members[0], duplicate=members[1], actor=team.owner)
            members[1].refresh_from_db()
        moments.append(clock)
    settings_now = tier_settings(merchant=team.merchant)
    # Each moment something happened, a second either side, and moments drawn anywhere.
    ends = [m + timedelta(seconds=s) for m in moments for s in (-1, 0, 1)]
    ends += [START + timedelta(minutes=minutes) for minutes in probes]

    for end in ends:
        totals = qualifying_totals(
            merchant=team.merchant,
            member_ids=[m.pk for m in members],
            end=end,
            settings=settings_now,
        )
        expected = _counted_one_by_one(team, members, end, settings_now)
        assert _nonzero(totals) == _nonzero(expected), end  # absent means 0

    kept = _day_totals()
    day_totals_rebuild(member_ids=[m.pk for m in members])
    assert _day_totals() == kept  # what each write added equals what the rows add up to


def test_a_long_history_is_read_as_a_row_a_day(team):
    set_up_tiers(team)
    member = enroll(team)
    day = datetime(2026, 3, 1, 9, tzinfo=UTC)
    for number in range(60):  # 20 days, three purchases each
        buy(team, member, 1_000, at=day + timedelta(days=number // 3, hours=number % 3))
    end = day + timedelta(days=19, hours=5)
    terms = tier_settings(merchant=team.merchant)

    with CaptureQueriesContext(connection) as queries:
        totals = qualifying_totals(
            merchant=team.merchant, member_ids=[member.pk], end=end, settings=terms
        )

    assert totals == {member.pk: 60_000}
    assert len(queries) == 1
    assert MemberDayTotal.objects.filter(member=member).count() == 20


def test_check_ledger_finds_a_day_total_written_around_the_services_and_repairs_it(team):
    member = enroll(team)
    purchase = buy(team, member, 2_000, at=datetime(2026, 5, 4, 23, 59, tzinfo=UTC)).purchase
    call_command("check_ledger", stdout=StringIO())
    Purchase.objects.filter(pk=purchase.pk).update(amount=2_500)  # as a raw import might

    err = StringIO()
    with pytest.raises(CommandError, match="1 member account"):
        call_command("check_ledger", stdout=StringIO(), stderr=err)
    assert f"member {member.pk}: day total of 2026-05-04 differs" in err.getvalue()

    call_command("check_ledger", "--repair-day-totals", stdout=StringIO(), stderr=StringIO())
    assert day_totals_mismatches() == []
    assert MemberDayTotal.objects.get(member=member).spend == 2_500
