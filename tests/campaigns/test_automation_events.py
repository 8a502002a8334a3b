"""The automations that react to the domain events: the points-expiring reminder (one per
notice: each stage once) and the thanks for a member's first purchase (only the first),
in the member's language, service messages (no marketing consent needed), never twice."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from apps.campaigns.automations.editing import automation_enable
from apps.campaigns.models import Automation, AutomationKind
from apps.messaging.models import Delivery, Purpose
from apps.programs.points.models import Lot
from apps.programs.points.reminders import points_expiring_announce
from apps.programs.points.rules import program_settings_update
from apps.programs.points.services import points_adjust
from apps.programs.rewards.models import RewardKind
from apps.programs.rewards.services import reward_create
from tests.members.factories import enroll
from tests.programs.factories import buy

pytestmark = pytest.mark.django_db

MADRID = ZoneInfo("Europe/Madrid")


def switched_on(team, kind: str, now: datetime | None = None):
    return automation_enable(
        merchant=team.merchant, kind=kind, actor=team.manager, now=now or datetime.now(UTC)
    )


def test_each_points_expiring_stage_sends_one_reminder_with_the_points_and_the_day(
    team, mailoutbox, django_capture_on_commit_callbacks
):
    program_settings_update(
        merchant=team.merchant,
        actor=team.manager,
        points_per_unit=10,
        expiry_months=12,
        reminder_days=30,
        final_reminder_days=7,
    )
    # no marketing consent: a reminder about their own points is a service message
    ana = enroll(team, first_name="Ana", email="ana@example.com", language="es")
    points_adjust(member=ana, points=120, reason="given", actor=team.manager)
    Lot.objects.filter(member=ana).update(expires_at=datetime(2027, 3, 31, 10, tzinfo=MADRID))
    switched_on(team, AutomationKind.POINTS_EXPIRING, datetime(2026, 1, 1, tzinfo=UTC))
    mailoutbox.clear()

    for day, month in ((1, 3), (2, 3), (24, 3), (25, 3)):  # each stage's day, and the next
        with django_capture_on_commit_callbacks(execute=True):
            points_expiring_announce(now=datetime(2027, month, day, 9, tzinfo=MADRID))

    subjects = [message.subject for message in mailoutbox]
    assert subjects == ["120 de tus puntos caducan el 31 mar 2027"] * 2
    rows = Delivery.objects.filter(member=ana, source__startswith="automation:")
    assert set(rows.values_list("purpose", flat=True)) == {Purpose.SERVICE}
    assert rows.count() == 2


def test_the_first_purchase_is_thanked_once_with_how_far_the_first_reward_is(
    team, mailoutbox, django_capture_on_commit_callbacks
):
    reward_create(
        merchant=team.merchant,
        actor=team.manager,
        name="Free coffee",
        kind=RewardKind.FREE_PRODUCT,
        product_name="Coffee",
        points_cost=200,
    )
    ben = enroll(team, first_name="Ben", email="ben@example.com", language="en")
    switched_on(team, AutomationKind.FIRST_PURCHASE)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        buy(team, ben, 1250)  # 125 points at the test program's rate
    with django_capture_on_commit_callbacks(execute=True):
        buy(team, ben, 1000)

    [thanks] = mailoutbox
    assert thanks.subject == "Thank you for your first visit, Ben"
    assert "Only 75 more points for Free coffee." in thanks.body
    assert Delivery.objects.filter(member=ben, source__startswith="automation:").count() == 1


def test_while_off_nothing_is_noticed(team, mailoutbox, django_capture_on_commit_callbacks):
    cris = enroll(team, first_name="Cris", email="cris@example.com")
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        buy(team, cris, 1250)
    assert mailoutbox == []
    assert not Delivery.objects.filter(member=cris, source__startswith="automation:").exists()


def test_moving_up_a_tier_by_purchases_is_congratulated_not_by_new_rules(
    team, mailoutbox, django_capture_on_commit_callbacks
):
    from apps.programs.tiers.services import tier_create
    from tests.tiers.factories import set_up_tiers

    set_up_tiers(team)
    dana = enroll(team, first_name="Dana", email="dana@example.com", language="en")
    switched_on(team, AutomationKind.TIER_UP)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        buy(team, dana, 12_000)  # past Bronze's 100.00
    with django_capture_on_commit_callbacks(execute=True):
        # a new, lower tier moves members by the rules: no message for that
        tier_create(
            merchant=team.merchant,
            actor=team.manager,
            name="Copper",
            threshold=5_000,
            earn_percent=100,
            perks="",
        )

    assert [m.subject for m in mailoutbox] == ["Welcome to Bronze, Dana!"]


def test_the_referral_nudge_goes_at_the_third_purchase_to_who_has_referred_nobody(
    team, mailoutbox, django_capture_on_commit_callbacks
):
    eva = enroll(team, first_name="Eva", email="eva@example.com", consent_email=True)
    switched_on(team, AutomationKind.REFERRAL_NUDGE)
    Automation.objects.filter(kind=AutomationKind.REFERRAL_NUDGE).update(holdout_percent=0)
    mailoutbox.clear()

    for n in range(4):
        with django_capture_on_commit_callbacks(execute=True):
            buy(team, eva, 500)
        if n < 2:
            assert mailoutbox == []

    assert [m.subject for m in mailoutbox] == ["Eva, invite a friend to " + team.merchant.name]


def test_a_balance_within_reach_of_a_reward_is_told_once_in_the_cooldown(
    team, mailoutbox, django_capture_on_commit_callbacks
):
    from apps.campaigns.automations.triggers import RewardCosts, reward_reached

    costs = RewardCosts(((7, 200), (8, 500)))
    assert (
        reward_reached(before=100, after=185, costs=costs, percent=10) == "near:7"
    )  # 180 is 10 % off
    assert reward_reached(before=185, after=210, costs=costs, percent=10) == "afford:7"
    assert (
        reward_reached(before=100, after=520, costs=costs, percent=10) == "afford:7"
    )  # the cheapest
    assert reward_reached(before=100, after=150, costs=costs, percent=10) == ""
    assert reward_reached(before=185, after=195, costs=costs, percent=10) == ""  # was near already
    assert reward_reached(before=100, after=150, costs=costs, percent=25) == "near:7"

    reward_create(
        merchant=team.merchant,
        actor=team.manager,
        name="Free coffee",
        kind=RewardKind.FREE_PRODUCT,
        product_name="Coffee",
        points_cost=200,
    )
    fede = enroll(team, first_name="Fede", email="fede@example.com", consent_email=True)
    switched_on(team, AutomationKind.REWARD_REACH)
    Automation.objects.filter(kind=AutomationKind.REWARD_REACH).update(holdout_percent=0)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        buy(team, fede, 1850)  # 185 points: within reach
    with django_capture_on_commit_callbacks(execute=True):
        buy(team, fede, 300)  # 215: affords it, but within the cooldown

    [message] = mailoutbox
    assert "Only 15 more points for Free coffee." in message.body


def test_a_member_who_would_drop_at_the_review_is_told_two_weeks_before(
    team, mailoutbox, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    from apps.analytics.selectors import merchant_today
    from apps.campaigns.automations.run import automations_run
    from apps.programs.tiers.models import MemberTier
    from tests.tiers.factories import set_up_tiers

    set_up_tiers(team)
    now = timezone.now()
    short = enroll(team, first_name="Short", email="short@example.com", language="en")
    kept = enroll(team, first_name="Kept", email="kept@example.com", language="en")
    with django_capture_on_commit_callbacks(execute=True):
        buy(team, short, 12_000, at=now - timedelta(days=360))  # Bronze, a year ago
        buy(team, kept, 12_000, at=now - timedelta(days=360))
        buy(team, kept, 11_000, at=now - timedelta(days=20))  # enough in the window
    today = merchant_today(merchant=team.merchant, now=now)
    review = datetime.combine(today + timedelta(days=14), time(12), tzinfo=MADRID)
    MemberTier.objects.filter(member__in=[short, kept]).update(review_at=review)
    switched_on(team, AutomationKind.TIER_AT_RISK, now - timedelta(minutes=1))
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        automations_run(merchant=team.merchant, now=now)

    [message] = mailoutbox
    assert message.to == ["short@example.com"]
    assert message.subject == "Short, keep your Bronze level"
    assert "to keep Bronze." in message.body


def test_a_reward_withdrawn_or_out_of_reach_before_the_message_is_stale(
    team, mailoutbox, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    from apps.campaigns.automations.run import automations_run
    from apps.campaigns.models import AutomationOccurrence, Outcome
    from apps.programs.rewards.models import Reward

    coffee = reward_create(
        merchant=team.merchant,
        actor=team.manager,
        name="Free coffee",
        kind=RewardKind.FREE_PRODUCT,
        product_name="Coffee",
        points_cost=200,
    )
    gil = enroll(team, first_name="Gil", email="gil@example.com", consent_email=True)
    automation = switched_on(team, AutomationKind.REWARD_REACH)
    Automation.objects.filter(pk=automation.pk).update(holdout_percent=0)
    with django_capture_on_commit_callbacks(execute=False):  # noticed, not yet processed
        buy(team, gil, 1850)
    now = timezone.now()
    AutomationOccurrence.objects.create(
        merchant=team.merchant,
        automation=automation,
        member=gil,
        occurrence=f"near:{coffee.pk}",
        due_at=now,
        created_at=now,
    )
    Reward.objects.filter(pk=coffee.pk).update(is_active=False)  # withdrawn meanwhile
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        result = automations_run(merchant=team.merchant, now=now)

    assert result.outcomes == {Outcome.STALE: 1}
    assert mailoutbox == []
