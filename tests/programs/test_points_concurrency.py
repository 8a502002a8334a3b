"""Races on one member's points, with real parallel transactions on PostgreSQL."""

import pytest

from apps.programs.models import Purchase
from apps.programs.points.models import LedgerEntry
from apps.programs.points.selectors import ledger_mismatches, points_balance
from tests.concurrency import all_at_once
from tests.conftest import make_team
from tests.members.factories import enroll
from tests.programs.factories import buy

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 20


def test_twenty_retries_of_one_purchase_earn_once():
    team = make_team()
    member = enroll(team)

    results = all_at_once(
        THREADS,
        lambda n: buy(team, member, 1000, external_id="T-1"),
    )

    assert sum(result.created for result in results) == 1
    assert {result.purchase.pk for result in results} == {Purchase.objects.get().pk}
    assert LedgerEntry.objects.filter(member=member).count() == 1
    assert points_balance(member=member) == 100


def test_twenty_tills_earning_for_one_member_at_once_add_up():
    team = make_team()
    member = enroll(team)

    all_at_once(
        THREADS,
        lambda n: buy(team, member, 1000, external_id=f"T-{n}"),
    )

    assert points_balance(member=member) == THREADS * 100
    balances = sorted(
        LedgerEntry.objects.filter(member=member).values_list("balance_after", flat=True)
    )
    assert balances == [100 * (n + 1) for n in range(THREADS)]  # each saw the one before
    assert not ledger_mismatches(merchant=team.merchant)


def test_a_profile_change_locks_the_points_account_before_the_member_row():
    """The project's one lock order (members/lock_objects.py): a purchase locks the account
    then updates the member row, so a profile change (which may credit a bonus) must lock
    the account first too, or the two could deadlock."""
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    from apps.members.services import member_update

    team = make_team()
    member = enroll(team)
    with CaptureQueriesContext(db) as queries:
        member_update(
            member=member,
            actor=team.staff,
            source="counter",
            first_name="Renamed",
            last_name=member.last_name,
            email=member.email or "",
            phone=member.phone or "",
            birthday=member.birthday,
            language=member.language,
            consent_email=member.consent_email,
            consent_sms=member.consent_sms,
        )
    locks = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    assert "programs_pointsaccount" in locks[0]
    assert any("members_member" in sql for sql in locks[1:])
