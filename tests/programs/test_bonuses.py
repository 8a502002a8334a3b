from datetime import UTC, date, datetime, timedelta

import pytest

from apps.core.errors import Conflict
from apps.members.models import Channel
from apps.members.services import member_update
from apps.programs.points.bonuses import birthday_bonuses, bonus_award
from apps.programs.points.models import BonusRule, EntryKind, LedgerEntry
from apps.programs.points.selectors import ledger_mismatches, points_balance
from tests.conftest import refusal
from tests.members.factories import enroll

pytestmark = pytest.mark.django_db


def _rule(team, action, points=50, **fields):
    return BonusRule.objects.create(merchant=team.merchant, action=action, points=points, **fields)


def test_joining_earns_the_join_bonus_once_but_not_by_import(team):
    _rule(team, "join", points=100)
    member = enroll(team)
    imported = enroll(team, channel=Channel.IMPORT)
    assert points_balance(member=member) == 100
    assert points_balance(member=imported) == 0
    assert LedgerEntry.objects.get(member=member).kind == EntryKind.BONUS


def test_a_custom_event_is_capped_per_period_and_retries_answer_the_same(team):
    _rule(team, "custom", points=20, event_type="newsletter_read", cap_count=2, cap_period="day")
    member = enroll(team)
    at = datetime(2026, 11, 25, 12, tzinfo=UTC)

    def send(external_id, when=at):
        return bonus_award(
            merchant=team.merchant,
            member=member,
            action="custom",
            event_type="newsletter_read",
            external_id=external_id,
            at=when,
        )

    assert [send("e1").points, send("e2").points, send("e3").points] == [20, 20, 0]
    assert "cap of 2 per day" in send("e4").reason
    again = send("e1")
    assert (again.points, again.created) == (20, False)
    assert send("e5", at + timedelta(days=1)).points == 20  # a new day, a new allowance
    assert points_balance(member=member) == 60
    with refusal(Conflict, match="another member"):
        bonus_award(
            merchant=team.merchant,
            member=enroll(team),
            action="custom",
            event_type="newsletter_read",
            external_id="e1",
        )
    assert not ledger_mismatches(merchant=team.merchant)


def test_an_action_without_a_rule_gives_nothing_and_records_nothing(team):
    member = enroll(team)
    result = bonus_award(merchant=team.merchant, member=member, action="review", external_id="r1")
    assert (result.points, result.reason) == (0, "no bonus is set up for this action")
    assert not LedgerEntry.objects.exists()


def test_completing_the_profile_earns_its_bonus_once(team):
    _rule(team, "profile", points=30)
    member = enroll(team, email="", phone="611 000 555")
    fields = {
        "first_name": "Ana",
        "last_name": "Ruiz",
        "email": "ana@example.com",
        "phone": member.phone,
        "birthday": date(1990, 5, 4),
        "language": "es",
        "consent_email": False,
        "consent_sms": False,
    }
    member_update(member=member, actor=team.staff, source="counter", **fields)
    member_update(member=member, actor=team.staff, source="counter", **{**fields, "language": "en"})
    assert points_balance(member=member) == 30


def test_birthday_bonuses_go_out_once_on_the_day_in_the_merchants_time_zone(team):
    _rule(team, "birthday", points=75, cap_period="year")
    today = enroll(team, birthday=date(1990, 11, 26))
    other = enroll(team, birthday=date(1990, 11, 27))
    # 23:30 UTC on the 25th is already the 26th in Madrid.
    late = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)
    assert birthday_bonuses(today_utc=late) == 1
    assert birthday_bonuses(today_utc=late) == 0
    assert points_balance(member=today) == 75
    assert points_balance(member=other) == 0


@pytest.mark.parametrize(
    ("morning", "given"),
    [
        # 2027 is not a leap year: the 29 February birthday is on the 28th.
        (datetime(2027, 2, 28, 9, tzinfo=UTC), True),
        (datetime(2027, 3, 1, 9, tzinfo=UTC), False),
        # 2028 is: on the 29th, not on the 28th.
        (datetime(2028, 2, 28, 9, tzinfo=UTC), False),
        (datetime(2028, 2, 29, 9, tzinfo=UTC), True),
    ],
)
def test_a_29_february_birthday_bonus_is_given_on_28_february_in_other_years(team, morning, given):
    _rule(team, "birthday", points=75, cap_period="year")
    leapling = enroll(team, birthday=date(1992, 2, 29))

    assert birthday_bonuses(today_utc=morning) == given
    assert points_balance(member=leapling) == (75 if given else 0)


def test_a_29_february_birthday_bonus_comes_once_a_year(team):
    _rule(team, "birthday", points=75, cap_period="year")
    leapling = enroll(team, birthday=date(1992, 2, 29))

    days = [datetime(2027, 2, 27, 9, tzinfo=UTC) + timedelta(days=n) for n in range(367 + 3)]
    given_on = [day.date() for day in days if birthday_bonuses(today_utc=day)]

    assert given_on == [date(2027, 2, 28), date(2028, 2, 29)]
    assert points_balance(member=leapling) == 150


@pytest.mark.parametrize(
    ("zone", "birthday_given", "birthday_not_given"),
    [
        # 11:00 UTC on 31 January is already 1 February in Kiritimati (UTC+14)...
        ("Pacific/Kiritimati", date(1990, 2, 1), date(1990, 1, 31)),
        # ...and still 31 January (03:00) in Los Angeles (UTC-8).
        ("America/Los_Angeles", date(1990, 1, 31), date(1990, 2, 1)),
    ],
)
def test_birthday_bonuses_follow_the_day_of_the_merchant_s_zone_not_utc_s(
    team, zone, birthday_given, birthday_not_given
):
    team.merchant.timezone = zone
    team.merchant.save(update_fields=["timezone"])
    _rule(team, "birthday", points=75, cap_period="year")
    celebrating = enroll(team, birthday=birthday_given)
    waiting = enroll(team, birthday=birthday_not_given)

    assert birthday_bonuses(today_utc=datetime(2027, 1, 31, 11, tzinfo=UTC)) == 1

    assert points_balance(member=celebrating) == 75
    assert points_balance(member=waiting) == 0
