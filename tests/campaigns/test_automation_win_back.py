"""The win-back automation, tasks run inline: a member is mailed on the day they turn at
risk (and again when lapsed), in their language, with consent, once per occurrence; only
occurrences from the day it is switched on count; a member who came back before the
message is due gets none; the holdout, the cooldown and the cap apply."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.analytics.models import MemberStats
from apps.analytics.selectors import merchant_today
from apps.campaigns.audience import holdout_drawn
from apps.campaigns.automations.editing import automation_disable, automation_enable
from apps.campaigns.automations.run import automations_run
from apps.campaigns.models import AutomationKind, AutomationOccurrence, Outcome
from apps.members.models import Member
from apps.messaging.models import Delivery, State
from apps.messaging.services import suppression_add
from tests.analytics.factories import refresh
from tests.members.factories import enroll

pytestmark = pytest.mark.django_db

AT_RISK_DAYS, LAPSED_DAYS = 90, 180  # analytics' defaults


@pytest.fixture
def now() -> datetime:
    return timezone.now()


def last_visit(*members, days_ago: int, now: datetime) -> None:
    """The members' rollups (and their activity marker) say their last visit was
    `days_ago` days before today."""
    refresh()
    today = merchant_today(merchant=members[0].merchant, now=now)
    day = today - timedelta(days=days_ago)
    MemberStats.objects.filter(member__in=members).update(last_seen_on=day)
    noon = datetime.combine(day, time(12), tzinfo=ZoneInfo(members[0].merchant.timezone))
    Member.objects.filter(pk__in=[member.pk for member in members]).update(last_activity_at=noon)


def subscriber(team, name: str, **fields):
    defaults = {"email": f"{name.lower()}@example.com", "consent_email": True, "language": "en"}
    return enroll(team, first_name=name, **{**defaults, **fields})


def win_back_on(team, now, *, holdout: int = 0):
    automation = automation_enable(
        merchant=team.merchant, kind=AutomationKind.WIN_BACK, actor=team.manager, now=now
    )
    automation.holdout_percent = holdout
    automation.save(update_fields=["holdout_percent"])
    return automation


def sent_to(mailoutbox) -> list[str]:
    return sorted(address for message in mailoutbox for address in message.to)


def test_a_member_turning_at_risk_today_gets_one_message_and_running_again_sends_nothing(
    team, now, mailoutbox, django_capture_on_commit_callbacks
):
    ana, ben, cris = (subscriber(team, name) for name in ("Ana", "Ben", "Cris"))
    last_visit(ana, days_ago=AT_RISK_DAYS + 1, now=now)  # turns at risk today
    last_visit(ben, days_ago=AT_RISK_DAYS, now=now)  # tomorrow
    last_visit(cris, days_ago=LAPSED_DAYS + 1, now=now)  # turns lapsed today
    mailoutbox.clear()  # the welcomes
    automation = win_back_on(team, now - timedelta(minutes=1))

    with django_capture_on_commit_callbacks(execute=True):
        first = automations_run(merchant=team.merchant, now=now)
    with django_capture_on_commit_callbacks(execute=True):
        second = automations_run(merchant=team.merchant, now=now + timedelta(minutes=5))

    assert first.outcomes == {Outcome.QUEUED: 2}
    assert (second.days_scanned, sum(second.outcomes.values())) == (0, 0)
    assert sent_to(mailoutbox) == ["ana@example.com", "cris@example.com"]
    assert "We miss you, Ana" in mailoutbox[0].subject + mailoutbox[1].subject
    today = merchant_today(merchant=team.merchant, now=now)
    rows = Delivery.objects.filter(source=automation.source).order_by("occurrence")
    assert list(rows.values_list("member__first_name", "occurrence", "state")) == [
        ("Ana", f"at_risk:{today - timedelta(days=AT_RISK_DAYS + 1)}", State.SENT),
        ("Cris", f"lapsed:{today - timedelta(days=LAPSED_DAYS + 1)}", State.SENT),
    ]


def test_only_members_turning_at_risk_from_the_day_it_is_switched_on_count(
    team, now, mailoutbox, django_capture_on_commit_callbacks
):
    # given: one member turned at risk yesterday, one turns today; switched on today
    yesterday, today = (subscriber(team, name) for name in ("Yesterday", "Today"))
    last_visit(yesterday, days_ago=AT_RISK_DAYS + 2, now=now)
    last_visit(today, days_ago=AT_RISK_DAYS + 1, now=now)
    mailoutbox.clear()
    win_back_on(team, now)

    with django_capture_on_commit_callbacks(execute=True):
        automations_run(merchant=team.merchant, now=now)

    assert sent_to(mailoutbox) == ["today@example.com"]


def test_a_missed_day_is_caught_up_and_a_day_while_off_is_not(
    team, now, mailoutbox, django_capture_on_commit_callbacks
):
    # given: switched on two days ago, never run since; one member turned at risk each day
    members = {n: subscriber(team, f"Day{n}") for n in (0, 1, 2)}
    for days_back, member in members.items():
        last_visit(member, days_ago=AT_RISK_DAYS + 1 + days_back, now=now)
    mailoutbox.clear()
    win_back_on(team, now - timedelta(days=2))

    with django_capture_on_commit_callbacks(execute=True):
        result = automations_run(merchant=team.merchant, now=now)

    # then: the three days looked at, three messages
    assert result.days_scanned == 3
    assert len(mailoutbox) == 3

    # and: off, then on again later: the days in between are not looked at
    automation_disable(merchant=team.merchant, kind=AutomationKind.WIN_BACK, actor=team.manager)
    late = subscriber(team, "Late")
    last_visit(late, days_ago=AT_RISK_DAYS + 1 - 2, now=now)  # turns at risk in two days
    automation_enable(
        merchant=team.merchant,
        kind=AutomationKind.WIN_BACK,
        actor=team.manager,
        now=now + timedelta(days=3),
    )
    with django_capture_on_commit_callbacks(execute=True):
        automations_run(merchant=team.merchant, now=now + timedelta(days=3))
    assert len(mailoutbox) == 3


def test_a_member_who_came_back_before_the_message_was_due_gets_none(
    team, now, mailoutbox, django_capture_on_commit_callbacks
):
    ana = subscriber(team, "Ana")
    last_visit(ana, days_ago=AT_RISK_DAYS + 1, now=now)
    mailoutbox.clear()
    midnight = timezone.make_aware(
        datetime.combine(merchant_today(merchant=team.merchant, now=now), time(0, 30)),
        timezone=ZoneInfo(team.merchant.timezone),
    )
    # Switched on that day, whatever the hour the test runs at (just after the merchant's
    # midnight, an hour before now is the day before).
    automation = win_back_on(team, midnight)
    automation.send_hour = 23  # noticed at midnight, due late in the day
    automation.save(update_fields=["send_hour"])
    automation.enabled_at = midnight - timedelta(hours=1)
    automation.save(update_fields=["enabled_at"])

    # the day is looked at only once its send hour has come
    assert automations_run(merchant=team.merchant, now=midnight).days_scanned == 0
    late = midnight + timedelta(hours=23)
    AutomationOccurrence.objects.all().delete()
    last_visit(ana, days_ago=AT_RISK_DAYS + 1, now=now)
    with django_capture_on_commit_callbacks(execute=True):
        assert automations_run(merchant=team.merchant, now=late).days_scanned == 1
    assert len(mailoutbox) == 1

    # a second member noticed, who then bought before processing: stale
    ben = subscriber(team, "Ben")
    last_visit(ben, days_ago=AT_RISK_DAYS + 1, now=now)
    occurrence = AutomationOccurrence.objects.create(
        merchant=team.merchant,
        automation=automation,
        member=ben,
        occurrence=f"at_risk:{MemberStats.objects.get(member=ben).last_seen_on}",
        due_at=late,
    )
    MemberStats.objects.filter(member=ben).update(
        last_seen_on=merchant_today(merchant=team.merchant, now=now)
    )
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = automations_run(merchant=team.merchant, now=late)
    occurrence.refresh_from_db()
    assert (occurrence.outcome, result.outcomes) == (Outcome.STALE, {Outcome.STALE: 1})
    assert mailoutbox == []

    # a third, back this morning: their statistics are not refreshed yet, their activity is
    cleo = subscriber(team, "Cleo")
    last_visit(cleo, days_ago=AT_RISK_DAYS + 1, now=now)
    occurrence = AutomationOccurrence.objects.create(
        merchant=team.merchant,
        automation=automation,
        member=cleo,
        occurrence=f"at_risk:{MemberStats.objects.get(member=cleo).last_seen_on}",
        due_at=late,
    )
    Member.objects.filter(pk=cleo.pk).update(last_activity_at=late - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        automations_run(merchant=team.merchant, now=late)
    occurrence.refresh_from_db()
    assert occurrence.outcome == Outcome.STALE
    assert mailoutbox == []


def test_consent_suppression_holdout_cooldown_and_cap(
    team, now, mailoutbox, django_capture_on_commit_callbacks
):
    # given: members turning at risk today, one of each case
    names = ("Keen", "Noconsent", "Suppressed", "Phoneonly", *(f"M{n}" for n in range(12)))
    members = {}
    for name in names:
        fields = {"consent_email": False} if name == "Noconsent" else {}
        if name == "Phoneonly":
            members[name] = enroll(team, first_name=name, consent_sms=True, language="en")
        else:
            members[name] = subscriber(team, name, **fields)
        last_visit(members[name], days_ago=AT_RISK_DAYS + 1, now=now)
    suppression_add(
        merchant_id=team.merchant.pk,
        channel="email",
        address="suppressed@example.com",
        reason="bounced",
    )
    mailoutbox.clear()
    automation = win_back_on(team, now - timedelta(minutes=1), holdout=50)
    held = {
        name
        for name, member in members.items()
        if holdout_drawn(scope=f"automation-{automation.pk}", member_id=member.pk, percent=50)
    }
    reachable = set(names) - {"Noconsent", "Suppressed", "Phoneonly"}
    assert held & reachable  # both groups have someone
    assert reachable - held

    with django_capture_on_commit_callbacks(execute=True):
        result = automations_run(merchant=team.merchant, now=now)

    expected = reachable - held
    assert sent_to(mailoutbox) == sorted(f"{name.lower()}@example.com" for name in expected)
    assert result.outcomes == {
        Outcome.QUEUED: len(expected),
        Outcome.HOLDOUT: len(held & reachable),
        Outcome.UNREACHABLE: 3,
    }
    holdout_rows = Delivery.objects.filter(source=automation.source, state=State.HOLDOUT)
    assert holdout_rows.count() == len(held & reachable)

    # and: the same member noticed again within the cooldown (a new last visit) gets none
    keen = next(iter(expected))
    AutomationOccurrence.objects.create(
        merchant=team.merchant,
        automation=automation,
        member=members[keen],
        occurrence="at_risk:2000-01-01",
        due_at=now,
    )
    MemberStats.objects.filter(member=members[keen]).update(last_seen_on="2000-01-01")
    Member.objects.filter(pk=members[keen].pk).update(
        last_activity_at=datetime(2000, 1, 1, 12, tzinfo=ZoneInfo(team.merchant.timezone))
    )
    with django_capture_on_commit_callbacks(execute=True):
        again = automations_run(merchant=team.merchant, now=now + timedelta(minutes=1))
    assert again.outcomes == {Outcome.COOLDOWN: 1}


def test_over_the_frequency_cap_a_member_is_skipped_and_stays_in_the_treatment(
    team, now, mailoutbox, django_capture_on_commit_callbacks
):
    ana = subscriber(team, "Ana")
    last_visit(ana, days_ago=AT_RISK_DAYS + 1, now=now)
    for n in range(2):  # two promotions this week already: the default cap
        Delivery.objects.create(
            merchant=team.merchant,
            member=ana,
            source=f"campaign:{900 + n}",
            channel="email",
            purpose="marketing",
            state=State.SENT,
            created_at=now - timedelta(days=2 + n),
        )
    mailoutbox.clear()
    automation = win_back_on(team, now - timedelta(minutes=1))

    with django_capture_on_commit_callbacks(execute=True):
        result = automations_run(merchant=team.merchant, now=now)

    assert result.outcomes == {Outcome.CAPPED: 1}
    row = Delivery.objects.get(source=automation.source)
    assert (row.state, row.reason) == (State.SKIPPED, "frequency_cap")
    assert mailoutbox == []


def test_the_message_speaks_the_members_language(
    team, now, mailoutbox, django_capture_on_commit_callbacks
):
    rosa = subscriber(team, "Rosa")
    rosa.language = "es"
    rosa.save(update_fields=["language"])
    ioana = subscriber(team, "Ioana")
    ioana.language = "ro"
    ioana.save(update_fields=["language"])
    for member in (rosa, ioana):
        last_visit(member, days_ago=AT_RISK_DAYS + 1, now=now)
    mailoutbox.clear()
    win_back_on(team, now - timedelta(minutes=1))

    with django_capture_on_commit_callbacks(execute=True):
        automations_run(merchant=team.merchant, now=now)

    subjects = {message.to[0]: message.subject for message in mailoutbox}
    assert subjects["rosa@example.com"] == "Te echamos de menos, Rosa"
    assert subjects["ioana@example.com"] == "Ne e dor de dumneavoastră, Ioana"


def test_the_command_runs_what_is_due_and_twice_sends_nothing_new(
    team, now, mailoutbox, capsys, django_capture_on_commit_callbacks
):
    ana = subscriber(team, "Ana")
    last_visit(ana, days_ago=AT_RISK_DAYS + 1, now=now)
    mailoutbox.clear()
    win_back_on(team, timezone.now() - timedelta(minutes=1))

    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            call_command("run_automations", team.merchant.slug)

    slug = team.merchant.slug
    assert capsys.readouterr().out.splitlines() == [
        f"{slug}: 1 day(s) looked at; queued 1",
        f"{slug}: 0 day(s) looked at; nothing due",
    ]
    assert sent_to(mailoutbox) == ["ana@example.com"]


def test_a_win_back_coupon_goes_with_its_message_and_never_to_the_holdout(
    team, now, mailoutbox, django_capture_on_commit_callbacks
):
    from apps.campaigns.models import OfferGrant
    from apps.programs.coupons.models import Coupon, CouponSource

    members = [subscriber(team, f"M{n}") for n in range(8)]
    last_visit(*members, days_ago=AT_RISK_DAYS + 1, now=now)
    mailoutbox.clear()
    automation = win_back_on(team, now - timedelta(minutes=1), holdout=50)
    automation.offer = {"type": "coupon", "amount": 500, "valid_days": 14}
    automation.save(update_fields=["offer"])
    held = {
        m.pk
        for m in members
        if holdout_drawn(scope=f"automation-{automation.pk}", member_id=m.pk, percent=50)
    }
    assert held
    assert len(held) < len(members)

    with django_capture_on_commit_callbacks(execute=True):
        automations_run(merchant=team.merchant, now=now)
    with django_capture_on_commit_callbacks(execute=True):
        automations_run(merchant=team.merchant, now=now + timedelta(minutes=5))

    coupons = dict(
        Coupon.objects.filter(source=CouponSource.AUTOMATION).values_list("member_id", "code")
    )
    assert set(coupons) == {m.pk for m in members} - held  # one each, none held out
    assert OfferGrant.objects.filter(automation=automation).count() == len(coupons)
    by_address = {message.to[0]: message for message in mailoutbox}
    assert len(by_address) == len(mailoutbox) == len(coupons)
    for member in members:
        if member.pk in coupons:
            text = by_address[member.email].body
            assert coupons[member.pk] in text
            assert "5,00 €" in text  # the coupon's value, as the shop writes money


def test_switched_off_after_its_rows_were_queued_nothing_goes_and_nothing_is_given(
    team, now, mailoutbox, django_capture_on_commit_callbacks
):
    from apps.campaigns.models import OfferGrant
    from apps.messaging.services.sending import delivery_send

    ana = subscriber(team, "Ana")
    last_visit(ana, days_ago=AT_RISK_DAYS + 1, now=now)
    mailoutbox.clear()
    automation = win_back_on(team, now - timedelta(minutes=1))
    automation.offer = {"type": "coupon", "amount": 500, "valid_days": 14}
    automation.save(update_fields=["offer"])
    with django_capture_on_commit_callbacks(execute=False):  # the sends wait
        automations_run(merchant=team.merchant, now=now)
    row = Delivery.objects.get(source=automation.source)
    assert row.state == State.QUEUED

    automation_disable(merchant=team.merchant, kind=AutomationKind.WIN_BACK, actor=team.manager)
    assert delivery_send(delivery_id=row.pk) == State.SKIPPED

    row.refresh_from_db()
    assert row.reason == "automation_off"
    assert mailoutbox == []
    assert not OfferGrant.objects.filter(automation=automation).exists()
