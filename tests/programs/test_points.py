from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.core.errors import Conflict, DomainError
from apps.core.models import AuditLog
from apps.members.services import member_merge
from apps.programs.points.models import EntryKind, LedgerEntry, PointsAccount, ProgramSettings
from apps.programs.points.selectors import ledger_mismatches, lots_open, points_balance
from apps.programs.points.services import lots_expire, points_adjust
from apps.programs.services import refund_record
from tests.conftest import refusal
from tests.members.factories import enroll
from tests.programs.factories import buy

pytestmark = pytest.mark.django_db


def test_a_purchase_earns_ten_points_per_euro_rounded_down(team):
    member = enroll(team)
    result = buy(team, member, 1299)  # €12.99
    assert result.points_earned == 129
    assert result.points_balance == 129
    [entry] = LedgerEntry.objects.filter(member=member)
    assert (entry.kind, entry.points, entry.balance_after) == (EntryKind.EARN, 129, 129)
    assert member.events.filter(kind="purchase").exists()


def test_currencies_without_cents_earn_per_whole_unit(team):
    team.merchant.currency = "JPY"
    team.merchant.save()
    ProgramSettings.objects.create(merchant=team.merchant, points_per_unit=1)
    assert buy(team, enroll(team), 1500).points_earned == 1500


def test_a_retried_purchase_earns_once_and_answers_the_same(team):
    member = enroll(team)
    first = buy(team, member, external_id="T-1")
    again = buy(team, member, external_id="T-1")
    assert again.created is False
    assert again.purchase == first.purchase
    assert again.points_balance == first.points_balance == 125
    assert LedgerEntry.objects.filter(member=member).count() == 1
    with refusal(Conflict, match="another member or amount"):
        buy(team, member, 999, external_id="T-1")


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"external_id": " "}, "external_id"), ({"amount": 0}, "amount"), ({"amount": -5}, "amount")],
)
def test_bad_purchases_are_refused_and_change_nothing(team, fields, field):
    member = enroll(team)
    with refusal(DomainError) as refused:
        buy(team, member, **fields)
    assert refused.value.field == field
    assert points_balance(member=member) == 0
    assert not LedgerEntry.objects.exists()


def test_partial_refunds_take_back_exactly_what_the_refunded_share_earned(team):
    member = enroll(team)
    purchase = buy(team, member, 1000).purchase  # 100 points
    taken = [
        refund_record(purchase=purchase, external_id=f"R-{n}", amount=333).points_reversed
        for n in range(3)
    ]
    last = refund_record(purchase=purchase, external_id="R-3", amount=1)
    assert sum(taken) + last.points_reversed == 100
    assert last.points_balance == 0
    with refusal(DomainError, match="left to refund"):
        refund_record(purchase=purchase, external_id="R-4", amount=1)


def test_a_refund_of_spent_points_records_a_shortfall_settled_by_future_earnings(team):
    member = enroll(team)
    purchase = buy(team, member, 1000).purchase  # 100 points
    points_adjust(member=member, points=-80, reason="gift card", actor=team.manager)

    refund = refund_record(purchase=purchase, external_id="R-1", amount=1000)

    assert (refund.points_reversed, refund.shortfall, refund.points_balance) == (100, 80, 0)
    assert PointsAccount.objects.get(member=member).shortfall == 80
    later = buy(team, member, 1000, external_id="T-2")  # earns 100: 80 settle
    assert later.points_balance == 20
    assert PointsAccount.objects.get(member=member).shortfall == 0
    assert not ledger_mismatches(merchant=team.merchant)


def test_a_retried_refund_takes_back_once(team):
    member = enroll(team)
    purchase = buy(team, member, 1000).purchase
    first = refund_record(purchase=purchase, external_id="R-1", amount=500)
    again = refund_record(purchase=purchase, external_id="R-1", amount=500)
    assert again.created is False
    assert again.refund == first.refund
    assert points_balance(member=member) == 50


def test_points_expire_by_lot_oldest_first_and_twice_is_harmless(team):
    ProgramSettings.objects.create(merchant=team.merchant, expiry_months=12)
    member = enroll(team)
    now = timezone.now()
    buy(team, member, 1000, external_id="old", at=now - timedelta(days=400))
    buy(team, member, 500, external_id="new", at=now - timedelta(days=10))
    points_adjust(member=member, points=-30, reason="sample", actor=team.manager)  # from "old"

    assert lots_expire(now=now) == 70
    assert lots_expire(now=now) == 0
    assert points_balance(member=member) == 50
    assert [lot.remaining for lot in lots_open(member=member)] == [50]
    assert LedgerEntry.objects.filter(member=member, kind=EntryKind.EXPIRE).get().points == -70


def test_adjustments_need_a_reason_cannot_go_negative_and_are_audited(team):
    member = enroll(team)
    with refusal(DomainError, match="why"):
        points_adjust(member=member, points=10, reason=" ", actor=team.manager)
    with refusal(Conflict, match="below zero"):
        points_adjust(member=member, points=-1, reason="oops", actor=team.manager)
    entry = points_adjust(member=member, points=25, reason="welcome back", actor=team.manager)
    assert (entry.points, entry.reason, entry.actor) == (25, "welcome back", team.manager)
    assert AuditLog.objects.filter(action="points.adjusted").exists()


def test_ledger_entries_cannot_be_edited_in_code(team):
    member = enroll(team)
    buy(team, member)
    entry = LedgerEntry.objects.get()
    entry.points = 1_000_000
    with pytest.raises(RuntimeError, match="append-only"):
        entry.save()


@pytest.mark.postgres
def test_the_database_refuses_to_edit_or_delete_a_ledger_entry(team):
    from django.db import DatabaseError, transaction

    member = enroll(team)
    buy(team, member)
    for statement in (
        "UPDATE programs_ledgerentry SET points = 1",
        "DELETE FROM programs_ledgerentry",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert LedgerEntry.objects.get().points == 125


def test_check_ledger_passes_then_catches_a_tampered_balance(team):
    member = enroll(team)
    buy(team, member)
    out = StringIO()
    call_command("check_ledger", stdout=out)
    assert "Every balance equals" in out.getvalue()
    PointsAccount.objects.filter(member=member).update(balance=999)
    with pytest.raises(CommandError, match="1 member"):
        call_command("check_ledger", stdout=StringIO(), stderr=StringIO())


def test_merging_two_records_moves_the_points_with_new_entries(team):
    survivor, duplicate = enroll(team), enroll(team)
    buy(team, survivor, 1000, external_id="A")
    buy(team, duplicate, 500, external_id="B")

    member_merge(survivor=survivor, duplicate=duplicate, actor=team.manager)

    assert points_balance(member=survivor) == 150
    assert points_balance(member=duplicate) == 0
    assert LedgerEntry.objects.filter(member=duplicate, kind=EntryKind.EARN).exists()  # kept
    assert survivor.purchases.count() == 2
    assert not ledger_mismatches(merchant=team.merchant)


OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("buy"), st.integers(min_value=1, max_value=50_000)),
        st.tuples(st.just("refund"), st.integers(min_value=1, max_value=50_000)),
        st.tuples(st.just("adjust"), st.integers(min_value=-3_000, max_value=3_000)),
        st.tuples(st.just("expire"), st.integers(min_value=0, max_value=800)),
    ),
    max_size=25,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations=OPERATIONS)
def test_any_sequence_keeps_balance_equal_to_ledger_and_lots_and_never_negative(team, operations):
    ProgramSettings.objects.update_or_create(merchant=team.merchant, defaults={"expiry_months": 12})
    member = enroll(team)
    purchases, now = [], timezone.now()
    for step, (operation, value) in enumerate(operations):
        try:
            with transaction.atomic():  # each step as a request would run it
                if operation == "buy":
                    result = buy(
                        team,
                        member,
                        value,
                        external_id=f"{member.pk}-{step}",
                        at=now - timedelta(days=value % 700),
                    )
                    purchases.append(result.purchase)
                elif operation == "refund" and purchases:
                    purchase = purchases[value % len(purchases)]
                    purchase.refresh_from_db()
                    left = purchase.amount - purchase.refunded_amount
                    if left:
                        refund_record(
                            purchase=purchase,
                            external_id=f"r{member.pk}-{step}",
                            amount=1 + value % left,
                        )
                elif operation == "adjust" and value:
                    points_adjust(member=member, points=value, reason="test", actor=team.manager)
                elif operation == "expire":
                    lots_expire(now=now + timedelta(days=value))
        except Conflict:
            pass  # a refused adjustment below zero: nothing changed
        account = PointsAccount.objects.filter(member=member).first()
        assert account is None or account.balance >= 0
        assert not ledger_mismatches(merchant=team.merchant)
