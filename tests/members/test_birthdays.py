"""Whose birthday is it: `members_with_birthday_on`, and the index that answers it."""

from datetime import date, timedelta

import pytest
from django.db import connection

from apps.members.models import Channel, Member
from apps.members.selectors import members_with_birthday_on
from apps.members.services import member_erase, member_merge
from tests.members.factories import enroll

pytestmark = pytest.mark.django_db


def _born(team, *days: date) -> list[Member]:
    return [enroll(team, birthday=day) for day in days]


def test_the_day_s_birthdays_are_the_active_members_born_on_that_month_and_day(team, other_team):
    ana, bea = _born(team, date(1990, 6, 14), date(2001, 6, 14))
    _born(team, date(1990, 6, 15), date(1990, 7, 14))
    enroll(team)  # no birthday given
    erased, duplicate, survivor = _born(
        team, date(1985, 6, 14), date(1985, 6, 14), date(1985, 1, 1)
    )
    member_erase(member=erased, actor=team.manager)
    member_merge(survivor=survivor, duplicate=duplicate, actor=team.manager)
    _born(other_team, date(1990, 6, 14))

    found = members_with_birthday_on(merchant=team.merchant, day=date(2027, 6, 14))

    assert list(found) == [ana, bea]


@pytest.mark.parametrize(
    ("day", "born_on"),
    [
        # Not a leap year: those born on 29 February celebrate on the 28th.
        (date(2027, 2, 28), {"28 Feb", "29 Feb"}),
        (date(2027, 3, 1), {"1 Mar"}),
        # A leap year: each on their own day.
        (date(2028, 2, 28), {"28 Feb"}),
        (date(2028, 2, 29), {"29 Feb"}),
        (date(2028, 3, 1), {"1 Mar"}),
    ],
)
def test_29_february_birthdays_fall_on_28_february_in_other_years(team, day, born_on):
    names = {
        "28 Feb": date(1990, 2, 28),
        "29 Feb": date(1992, 2, 29),
        "1 Mar": date(1990, 3, 1),
    }
    members = {name: enroll(team, first_name=name, birthday=day) for name, day in names.items()}

    found = set(members_with_birthday_on(merchant=team.merchant, day=day))

    assert found == {members[name] for name in born_on}


def test_every_day_of_a_year_finds_each_member_exactly_once(team):
    """Over a whole non-leap year, each member (29 February's too) is found on one day."""
    born = _born(team, date(1992, 2, 29), date(1990, 12, 31), date(1990, 1, 1), date(1970, 8, 9))
    seen: dict[int, list[date]] = {member.pk: [] for member in born}
    day = date(2027, 1, 1)
    while day.year == 2027:
        for member in members_with_birthday_on(merchant=team.merchant, day=day):
            seen[member.pk].append(day)
        day += timedelta(days=1)
    assert list(seen.values()) == [
        [date(2027, 2, 28)],
        [date(2027, 12, 31)],
        [date(2027, 1, 1)],
        [date(2027, 8, 9)],
    ]


@pytest.mark.postgres
def test_the_day_s_birthdays_are_read_from_the_birthday_index(team):
    """With enough members that a scan would cost, PostgreSQL probes `members_birthday`."""
    merchant = team.merchant
    Member.objects.bulk_create(
        Member(
            merchant=merchant,
            card_code=f"B{number:07d}",
            phone=f"+3461{number:07d}",
            birthday=date(1950, 1, 1) + timedelta(days=number % 3650),
            channel=Channel.IMPORT,
        )
        for number in range(20_000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE members_member")

    plan = members_with_birthday_on(merchant=merchant, day=date(2027, 2, 28)).explain()

    assert "members_birthday" in plan, plan
    assert "Seq Scan" not in plan, plan
