"""The birthday automation: on the member's birthday in the merchant's time zone, once a
year (29 February on 28 February in the other years), only from the day it is switched
on."""

from datetime import UTC, date, datetime, timedelta

import pytest

from apps.campaigns.automations.editing import automation_enable
from apps.campaigns.automations.run import automations_run
from apps.campaigns.models import AutomationKind
from apps.messaging.models import Delivery
from tests.members.factories import enroll

pytestmark = pytest.mark.django_db


def member_born(team, name: str, birthday: date):
    return enroll(
        team,
        first_name=name,
        email=f"{name.lower()}@example.com",
        consent_email=True,
        language="en",
        birthday=birthday,
    )


def birthday_on(team, now: datetime):
    automation = automation_enable(
        merchant=team.merchant, kind=AutomationKind.BIRTHDAY, actor=team.manager, now=now
    )
    automation.holdout_percent = 0
    automation.save(update_fields=["holdout_percent"])
    return automation


@pytest.fixture
def run(team, django_capture_on_commit_callbacks):
    def run_at(now: datetime):
        with django_capture_on_commit_callbacks(execute=True):
            return automations_run(merchant=team.merchant, now=now)

    return run_at


def greeted(mailoutbox) -> list[str]:
    return [m.to[0] for m in mailoutbox if m.subject.startswith("Happy birthday")]


def test_switched_on_mid_month_it_greets_today_and_later_never_the_days_already_past(
    team, run, mailoutbox
):
    june_10 = datetime(2026, 6, 10, 10, tzinfo=UTC)  # noon in Madrid
    member_born(team, "Past", date(1990, 6, 9))
    member_born(team, "Today", date(1985, 6, 10))
    member_born(team, "Tomorrow", date(2001, 6, 11))
    birthday_on(team, june_10)

    run(june_10)
    assert greeted(mailoutbox) == ["today@example.com"]
    run(june_10 + timedelta(days=1))
    run(june_10 + timedelta(days=1, hours=1))  # again the same day: nothing new
    assert greeted(mailoutbox) == ["today@example.com", "tomorrow@example.com"]


def test_born_on_29_february_greeted_on_28_february_in_other_years_once_a_year(
    team, run, mailoutbox
):
    leap = member_born(team, "Leap", date(2000, 2, 29))
    birthday_on(team, datetime(2027, 2, 1, 10, tzinfo=UTC))

    run(datetime(2027, 2, 28, 10, tzinfo=UTC))
    run(datetime(2027, 3, 1, 10, tzinfo=UTC))
    assert greeted(mailoutbox) == ["leap@example.com"]

    run(datetime(2028, 2, 28, 10, tzinfo=UTC))  # a leap year: not yet
    assert len(greeted(mailoutbox)) == 1
    run(datetime(2028, 2, 29, 10, tzinfo=UTC))
    assert len(greeted(mailoutbox)) == 2
    occurrences = Delivery.objects.filter(member=leap, source__startswith="automation:")
    assert sorted(occurrences.values_list("occurrence", flat=True)) == ["2027", "2028"]


@pytest.mark.parametrize(
    ("zone", "moment", "greeted_then"),
    [
        # 11:00 UTC on 14 June is already 01:00 on the 15th in Kiritimati (UTC+14)
        ("Pacific/Kiritimati", datetime(2026, 6, 14, 11, tzinfo=UTC), True),
        # 03:00 UTC on 15 June is still 20:00 on the 14th in Los Angeles (UTC-7)
        ("America/Los_Angeles", datetime(2026, 6, 15, 3, tzinfo=UTC), False),
        ("America/Los_Angeles", datetime(2026, 6, 15, 8, tzinfo=UTC), True),
    ],
)
def test_the_birthday_is_the_merchants_day_not_utcs(
    team, run, mailoutbox, zone, moment, greeted_then
):
    team.merchant.timezone = zone
    team.merchant.save(update_fields=["timezone"])
    member_born(team, "June", date(1990, 6, 15))
    birthday_on(team, datetime(2026, 6, 1, 12, tzinfo=UTC))

    run(moment)

    assert greeted(mailoutbox) == (["june@example.com"] if greeted_then else [])


def test_the_birthday_message_says_happy_birthday_in_the_members_language(team, run, mailoutbox):
    rosa = member_born(team, "Rosa", date(1990, 6, 15))
    rosa.language = "es"
    rosa.save(update_fields=["language"])
    birthday_on(team, datetime(2026, 6, 1, 12, tzinfo=UTC))

    run(datetime(2026, 6, 15, 12, tzinfo=UTC))

    [message] = [m for m in mailoutbox if m.to == ["rosa@example.com"]][-1:]
    assert message.subject == "¡Feliz cumpleaños, Rosa!"


def test_the_message_says_the_programs_birthday_bonus_and_it_is_given_once(team, run, mailoutbox):
    from apps.programs.points.bonuses import birthday_bonuses
    from apps.programs.points.models import BonusAction, BonusRule, EntryKind, LedgerEntry

    BonusRule.objects.create(merchant=team.merchant, action=BonusAction.BIRTHDAY, points=100)
    june = member_born(team, "June", date(1990, 6, 15))
    birthday_on(team, datetime(2026, 6, 1, 12, tzinfo=UTC))
    birthday = datetime(2026, 6, 15, 12, tzinfo=UTC)

    run(birthday)
    birthday_bonuses(today_utc=birthday)  # the hourly task, the same day

    [message] = [m for m in mailoutbox if m.to == ["june@example.com"]][-1:]
    assert "Your birthday gift of 100 points is already on your card." in message.body
    bonuses = LedgerEntry.objects.filter(member=june, kind=EntryKind.BONUS)
    assert list(bonuses.values_list("points", flat=True)) == [100]
