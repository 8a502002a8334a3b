"""The home page's "this week" card: the last 7 of the merchant's days against the 7
before, on a week built by hand.

Café in Madrid; "today" is Tuesday 31 March 2026, so this week is 25–31 March and the
week before 18–24 March. 10 points per euro; a reward of 500 points.

member  enrolled          purchases (cents)
A       2026-02-01        03-20 1000 (week before, its first) · 03-27 2000
B       2026-01-10        01-15 2500 · 03-19 3000 (week before); redeems 500 points 03-30
C       2026-03-26        03-26 1500 · 03-29 500 (new: both this week)
D       2026-03-20        none
E       2026-02-01        02-10 800 · 03-24 23:30 UTC 700, which is 25 March in Madrid
G       03-24 23:30 UTC   none (25 March in Madrid: this week)

This week: enrolled C, G = 2; returning A, E = 2 (C's first purchase is this week);
revenue 2000 + 1500 + 500 + 700 = 4700; points issued 470, redeemed 500.
Week before: enrolled D = 1; returning B = 1 (A's first purchase was that week);
revenue 1000 + 3000 = 4000; points issued 400, redeemed 0.
"""

from datetime import date

import pytest
from django.urls import reverse

from apps.analytics.periods import Period
from apps.analytics.selectors import returning_buyers_count
from apps.campaigns.services.sending import campaign_send
from apps.home.selectors import Pair, week_figures
from apps.programs.points.rules import program_settings_update
from apps.programs.rewards.services import reward_create, reward_redeem
from tests.analytics.factories import at, refresh
from tests.campaigns.factories import campaign
from tests.members.factories import enroll
from tests.programs.factories import buy

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 31)


def _trade(team) -> None:
    program_settings_update(
        merchant=team.merchant, actor=team.manager, points_per_unit=10, expiry_months=None
    )
    reward = reward_create(
        merchant=team.merchant,
        actor=team.manager,
        name="5 € off",
        kind="fixed_discount",
        points_cost=500,
        discount_amount=500,
    )
    a = enroll(team, enrolled_at=at(2026, 2, 1))
    buy(team, a, 1000, at=at(2026, 3, 20))
    buy(team, a, 2000, at=at(2026, 3, 27))
    b = enroll(team, enrolled_at=at(2026, 1, 10))
    buy(team, b, 2500, at=at(2026, 1, 15))
    buy(team, b, 3000, at=at(2026, 3, 19))
    reward_redeem(merchant=team.merchant, member=b, reward=reward, now=at(2026, 3, 30))
    c = enroll(team, enrolled_at=at(2026, 3, 26))
    buy(team, c, 1500, at=at(2026, 3, 26))
    buy(team, c, 500, at=at(2026, 3, 29))
    enroll(team, enrolled_at=at(2026, 3, 20))  # D
    e = enroll(team, enrolled_at=at(2026, 2, 1))
    buy(team, e, 800, at=at(2026, 2, 10))
    buy(team, e, 700, at=at(2026, 3, 24, 23).replace(minute=30))
    enroll(team, enrolled_at=at(2026, 3, 24, 23).replace(minute=30))  # G


@pytest.fixture
def week(team, other_team, clock):
    clock.set(at(2026, 3, 30, 12))
    _trade(team)
    _trade(other_team)  # the same trade elsewhere: none of it may show
    clock.set(at(2026, 3, 31, 12))
    refresh()
    return team


def test_the_week_against_the_week_before_by_hand(week):
    figures = week_figures(merchant=week.merchant, today=TODAY)

    assert figures.week == Period(date(2026, 3, 25), TODAY)
    assert figures.previous == Period(date(2026, 3, 18), date(2026, 3, 24))
    assert figures.enrolled == Pair(2, 1)
    assert figures.returning == Pair(2, 1)
    assert figures.revenue == Pair(4700, 4000)
    assert figures.points_issued == Pair(470, 400)
    assert figures.points_redeemed == Pair(500, 0)
    assert figures.campaigns == []


def test_a_member_who_bought_both_weeks_returns_in_the_second_only(team, clock):
    clock.set(at(2026, 3, 31, 12))
    both = enroll(team, enrolled_at=at(2026, 3, 1))
    buy(team, both, 1000, at=at(2026, 3, 20))
    buy(team, both, 1000, at=at(2026, 3, 27))
    refresh()

    week = Period.last_days(7, today=TODAY)
    # Their first purchase was in the week before: new then, returning now.
    assert returning_buyers_count(merchant=team.merchant, periods=[week, week.previous()]) == [
        1,
        0,
    ]


def test_the_week_is_the_merchants_days_where_its_today_is_already_tomorrow(team, clock):
    # Kiritimati is UTC+14: at noon UTC on 31 March it is 1 April there, so this week is
    # 26 March – 1 April and the week before 19–25 March, in the merchant's days.
    team.merchant.timezone = "Pacific/Kiritimati"
    team.merchant.save(update_fields=["timezone"])
    clock.set(at(2026, 3, 31, 12))
    old = enroll(team, enrolled_at=at(2026, 3, 1))
    buy(team, old, 1000, at=at(2026, 3, 2))
    buy(team, old, 2500, at=at(2026, 3, 25, 11))  # 26 March, 01:00 there: this week
    enroll(team, enrolled_at=at(2026, 3, 18, 11))  # 19 March there: the week before
    refresh()

    figures = week_figures(merchant=team.merchant, today=date(2026, 4, 1))

    assert figures.week == Period(date(2026, 3, 26), date(2026, 4, 1))
    assert figures.revenue == Pair(2500, 0)
    assert figures.returning == Pair(1, 0)
    assert figures.enrolled == Pair(0, 1)


def test_campaigns_started_this_week_with_their_sent_counts(
    team, clock, django_capture_on_commit_callbacks
):
    clock.set(at(2026, 3, 20, 12))
    members = [enroll(team, email=f"m{index}@example.com") for index in range(3)]
    for member in members:
        member.consent_email = True
        member.save(update_fields=["consent_email"])
    earlier = campaign(team, name="Old news")
    with django_capture_on_commit_callbacks(execute=True):
        campaign_send(campaign=earlier, actor=team.manager)
    clock.set(at(2026, 3, 30, 12))
    spring = campaign(team, name="Spring")
    with django_capture_on_commit_callbacks(execute=True):
        campaign_send(campaign=spring, actor=team.manager)
    clock.set(at(2026, 3, 31, 12))

    figures = week_figures(merchant=team.merchant, today=TODAY)

    assert [(row.campaign.name, row.sent, row.targeted) for row in figures.campaigns] == [
        ("Spring", 3, 3)
    ]


def test_each_automation_on_with_its_messages_sent_this_week_and_the_week_before(
    team, other_team, client_as, clock
):
    from apps.campaigns.automations.editing import automation_enable
    from apps.campaigns.models import AutomationKind
    from apps.home.selectors import Pair
    from apps.messaging.models import Delivery, State

    def sent(automation, member, day: int, state=State.SENT):
        Delivery.objects.create(
            merchant=automation.merchant,
            member=member,
            source=automation.source,
            occurrence=f"d{day}",
            channel="email",
            purpose="marketing",
            state=state,
            created_at=at(2026, 3, day),
        )

    clock.set(at(2026, 3, 31, 12))
    win_back = automation_enable(
        merchant=team.merchant, kind=AutomationKind.WIN_BACK, actor=team.manager
    )
    elsewhere = automation_enable(
        merchant=other_team.merchant, kind=AutomationKind.WIN_BACK, actor=other_team.manager
    )
    member, stranger = enroll(team), enroll(other_team)
    for day in (25, 30, 31):  # this week: 25–31 March
        sent(win_back, member, day)
    sent(win_back, member, 20)  # the week before: 18–24 March
    sent(win_back, member, 29, state=State.HOLDOUT)  # held out: not sent
    sent(win_back, member, 10)  # earlier
    sent(elsewhere, stranger, 30)

    figures = week_figures(merchant=team.merchant, today=TODAY)

    [row] = figures.automations
    assert (row.automation.pk, row.sent) == (win_back.pk, Pair(3, 1))
    page = client_as(team.manager).get(reverse("home:week")).text
    assert "3 messages sent (1 the week before)" in page


def test_the_card_loads_its_figures_with_htmx_or_as_a_page(week, client_as):
    client = client_as(week.manager)

    home = client.get(reverse("home:home")).text
    assert 'hx-get="/week/"' in home
    assert '<a href="/week/">' in home  # without JavaScript, the link
    partial = client.get(reverse("home:week"), headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert "<h1>" not in partial.text  # the card's content only
    assert 'id="week-revenue"' in partial.text
    assert "47,00" in partial.text
    assert "40,00" in partial.text
    page = client.get(reverse("home:week"))
    assert page.status_code == 200
    assert "<h1>This week</h1>" in page.text
    assert 'id="week-returning"' in page.text


def test_another_merchants_trade_never_reaches_the_figures(week, other_team, client_as):
    # The same trade twice over in the other business: every figure would double.
    page = client_as(week.manager).get(reverse("home:week")).text

    assert "47,00" in page
    assert "94,00" not in page
    ours = week_figures(merchant=week.merchant, today=TODAY)
    theirs = week_figures(merchant=other_team.merchant, today=TODAY)
    assert ours.revenue == theirs.revenue == Pair(4700, 4000)


def test_staff_see_neither_the_card_nor_the_figures(week, client_as):
    client = client_as(week.staff)

    assert 'id="week-card"' not in client.get(reverse("home:home")).text
    assert client.get(reverse("home:week")).status_code == 403
