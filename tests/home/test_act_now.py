"""The home page's "act now" card: each line appears when its condition holds and not
otherwise, links one click to its segment or report, and is for managers only.

"Today" is Tuesday 31 March 2026 in Madrid; at risk after 90 days without a visit (the
default): a member last seen on day D turns at risk on D + 91, so those last seen from 24
to 30 December 2025 turned at risk in the last 7 days (25–31 March)."""

from datetime import timedelta

import pytest
from django.urls import reverse

from apps.analytics.selectors import Status, members_turned_count
from apps.campaigns.automations.editing import automation_enable
from apps.campaigns.lift import more_members_needed
from apps.campaigns.models import AutomationKind, CampaignStatus
from apps.campaigns.ready_made import READY_MADE
from apps.campaigns.report import campaign_report
from apps.campaigns.selectors import segment_count
from apps.campaigns.services.sending import campaign_send
from apps.home import act_now
from apps.messaging.models import Delivery, State
from apps.programs.points.rules import program_settings_update
from apps.programs.points.selectors import points_expiring_totals
from apps.programs.points.services import points_adjust
from tests.analytics.factories import at, refresh
from tests.campaigns.factories import campaign
from tests.members.factories import enroll
from tests.programs.factories import buy

pytestmark = pytest.mark.django_db

NOW = at(2026, 3, 31, 12)
TODAY = NOW.date()


def switch_on(team, kind: str) -> None:
    automation_enable(merchant=team.merchant, kind=kind, actor=team.manager)


def _card(client) -> str:
    page = client.get(reverse("home:home")).text
    return page[page.index('id="act-now"') :] if 'id="act-now"' in page else ""


def test_nothing_to_act_on_leaves_the_card_out(team, client_as, clock):
    clock.set(NOW)
    enroll(team, enrolled_at=at(2026, 3, 30))  # active: nothing due
    refresh()
    switch_on(team, AutomationKind.BIRTHDAY)

    assert 'id="act-now"' not in client_as(team.manager).get(reverse("home:home")).text


# Members who turned at risk -------------------------------------------------------------


def test_members_turned_at_risk_this_week_by_their_last_visit(team, other_team, clock):
    clock.set(NOW)
    # Last seen on the day that makes them at risk today, and 7 days earlier: both in.
    buy(team, enroll(team, enrolled_at=at(2025, 11, 1)), 1000, at=at(2025, 12, 30))
    buy(team, enroll(team, enrolled_at=at(2025, 11, 1)), 1000, at=at(2025, 12, 24))
    enroll(team, enrolled_at=at(2025, 12, 27))  # joined then, never bought: in
    # At risk since 23 March (last seen 22 December), and active still (31 December): out.
    buy(team, enroll(team, enrolled_at=at(2025, 11, 1)), 1000, at=at(2025, 12, 22))
    buy(team, enroll(team, enrolled_at=at(2025, 11, 1)), 1000, at=at(2025, 12, 31))
    buy(other_team, enroll(other_team, enrolled_at=at(2025, 11, 1)), 1000, at=at(2025, 12, 28))
    refresh()

    turned = members_turned_count(
        merchant=team.merchant, status=Status.AT_RISK, days=7, today=TODAY
    )

    assert turned == 3
    # The ready-made segment the card links to holds exactly those members.
    rules = READY_MADE["turned_at_risk"].rules(team.merchant)
    assert segment_count(merchant=team.merchant, rules=rules) == 3


def test_the_turned_at_risk_line_links_to_its_segment(team, client_as, clock):
    clock.set(NOW)
    client = client_as(team.manager)
    member = enroll(team, enrolled_at=at(2025, 11, 1))
    buy(team, member, 1000, at=at(2025, 12, 28))
    refresh()

    card = _card(client)

    assert "1 member turned at risk in the last 7 days." in card
    # the win-back automation is off: the line leads to it, to switch it on
    automation = reverse("campaigns:automation_edit", args=[AutomationKind.WIN_BACK])
    assert f'href="{automation}"' in card
    assert client.get(automation).status_code == 200
    # on: to the segment, for a campaign on top
    switch_on(team, AutomationKind.WIN_BACK)
    card = _card(client)
    link = reverse("campaigns:segment_new") + "?ready=turned_at_risk"
    assert f'href="{link}"' in card
    builder = client.get(link)
    assert builder.status_code == 200
    assert "Turned at risk this week" in builder.text

    buy(team, member, 500, at=NOW - timedelta(hours=1))  # came back: no longer at risk
    refresh()
    assert 'id="act-turned-at-risk"' not in client.get(reverse("home:home")).text


# Points expiring ------------------------------------------------------------------------


def test_points_expiring_within_7_days_and_their_holders(team, client_as, clock):
    clock.set(at(2025, 3, 30, 12))
    program_settings_update(
        merchant=team.merchant, actor=team.manager, points_per_unit=10, expiry_months=12
    )
    ana, bea, eva = (enroll(team) for _ in range(3))
    buy(team, ana, 10_000, at=at(2025, 4, 2))  # 1,000 points expiring 2 April 2026
    buy(team, bea, 2_000, at=at(2025, 4, 7))  # 200 points expiring 7 April 2026
    buy(team, bea, 3_000, at=at(2025, 4, 20))  # 300 points expiring later: not counted
    buy(team, eva, 5_000, at=at(2025, 4, 1))  # 500 points, which eva has spent
    points_adjust(member=eva, points=-500, reason="test", actor=team.manager)
    clock.set(NOW)
    client = client_as(team.manager)

    assert points_expiring_totals(merchant=team.merchant, now=NOW, within_days=7) == (1200, 2)
    card = _card(client)
    assert "1,200 points expire in the next 7 days for 2 members." in card
    automation = reverse("campaigns:automation_edit", args=[AutomationKind.POINTS_EXPIRING])
    assert f'href="{automation}"' in card
    switch_on(team, AutomationKind.POINTS_EXPIRING)
    card = _card(client)
    link = reverse("campaigns:segment_new") + "?ready=points_expiring"
    assert f'href="{link}"' in card
    assert client.get(link).status_code == 200

    clock.set(at(2026, 4, 8, 12))  # expired or not yet due: no line
    assert 'id="act-points-expiring"' not in client.get(reverse("home:home")).text


# The last campaign's lift ----------------------------------------------------------------


def _sent_campaign(team, django_capture_on_commit_callbacks, *, holdout_percent: int):
    members = [enroll(team, email=f"lift{index}@example.com") for index in range(8)]
    for member in members:
        member.consent_email = True
        member.save(update_fields=["consent_email"])
    sent = campaign(team, name="Spring", holdout_percent=holdout_percent)
    with django_capture_on_commit_callbacks(execute=True):
        campaign_send(campaign=sent, actor=team.manager)
    sent.refresh_from_db()
    assert sent.status == CampaignStatus.SENT
    rows = list(Delivery.objects.filter(source=sent.source).order_by("pk"))
    if holdout_percent:  # a fixed split, whatever the hash chose: 6 treated, 2 held out
        for index, row in enumerate(rows):
            state = State.HOLDOUT if index < 2 else State.SENT
            Delivery.objects.filter(pk=row.pk).update(state=state)
        buy(team, rows[2].member, 2000, at=sent.started_at + timedelta(days=1))
        buy(team, rows[3].member, 2000, at=sent.started_at + timedelta(days=2))
    return sent


def test_an_inconclusive_lift_says_how_many_more_members_once_its_window_closed(
    team, client_as, clock, django_capture_on_commit_callbacks, monkeypatch
):
    clock.set(at(2026, 3, 26, 12))
    sent = _sent_campaign(team, django_capture_on_commit_callbacks, holdout_percent=25)
    client = client_as(team.manager)

    assert 'id="act-lift"' not in _card(client)  # its 7 days have not passed

    clock.set(NOW + timedelta(days=3))  # 7 days and a day after it started
    report = campaign_report(campaign=sent)
    assert not report.lift.conclusive
    more = more_members_needed(
        needed_per_group=report.lift.needed_per_group, treatment=6, holdout=2
    )
    card = _card(client)
    assert f"The lift of your last campaign, Spring, is inconclusive: {more:,} more members" in card
    link = reverse("campaigns:campaign_report", args=[sent.pk])
    assert f'href="{link}"' in card
    assert client.get(link).status_code == 200
    # Within the hour, the page reads the report's verdict from the cache.
    monkeypatch.setattr(act_now, "campaign_report", None)
    assert 'id="act-lift"' in _card(client)


def test_a_campaign_without_a_holdout_has_no_lift_line(
    team, client_as, clock, django_capture_on_commit_callbacks
):
    clock.set(at(2026, 3, 16, 12))
    _sent_campaign(team, django_capture_on_commit_callbacks, holdout_percent=0)
    clock.set(NOW)

    assert 'id="act-lift"' not in _card(client_as(team.manager))


def test_the_birthday_automation_off_is_a_line_until_it_is_switched_on(team, client_as, clock):
    clock.set(NOW)
    client = client_as(team.manager)

    card = _card(client)
    assert "The birthday automation is off" in card
    link = reverse("campaigns:automation_edit", args=[AutomationKind.BIRTHDAY])
    assert f'href="{link}"' in card
    assert client.get(link).status_code == 200

    switch_on(team, AutomationKind.BIRTHDAY)
    assert 'id="act-birthday-off"' not in client.get(reverse("home:home")).text


def test_staff_never_see_the_card(team, client_as, clock):
    clock.set(NOW)
    buy(team, enroll(team, enrolled_at=at(2025, 11, 1)), 1000, at=at(2025, 12, 28))
    refresh()

    assert 'id="act-now"' in client_as(team.manager).get(reverse("home:home")).text
    assert 'id="act-now"' not in client_as(team.staff).get(reverse("home:home")).text
