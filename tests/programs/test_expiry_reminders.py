"""Points about to expire are announced at two stages (30 and 7 days before, by default),
each from the start of its day in the merchant's time zone, once: `ExpiryNotice` rows,
the `POINTS_EXPIRING` event and its webhook (programs/points/reminders.py)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from apps.core.events import POINTS_EXPIRING, subscribe
from apps.core.webhooks.models import WebhookDelivery
from apps.core.webhooks.services import endpoint_create
from apps.programs.points.models import ExpiryNotice, Lot
from apps.programs.points.reminders import points_expiring_announce, stage_due_before
from apps.programs.points.rules import program_settings_update
from apps.programs.points.services import points_adjust
from tests.members.factories import enroll

pytestmark = pytest.mark.django_db

MADRID = ZoneInfo("Europe/Madrid")


def _expiry_on(team, *, final_reminder_days=7, zone="Europe/Madrid"):
    if zone != team.merchant.timezone:
        team.merchant.timezone = zone
        team.merchant.save(update_fields=["timezone"])
    program_settings_update(
        merchant=team.merchant,
        actor=team.manager,
        points_per_unit=10,
        expiry_months=12,
        reminder_days=30,
        final_reminder_days=final_reminder_days,
    )


def _holding(team, points: int, expires_at: datetime, **fields):
    member = enroll(team, **fields)
    points_adjust(member=member, points=points, reason="given", actor=team.manager)
    Lot.objects.filter(member=member).update(expires_at=expires_at)
    return member


def _stages(member) -> list[tuple[int, int]]:
    notices = ExpiryNotice.objects.filter(member=member).order_by("created_at", "pk")
    return list(notices.values_list("days_before", "points"))


@pytest.fixture
def published(monkeypatch):
    """The `POINTS_EXPIRING` payloads, as a campaigns handler would receive them."""
    seen = []
    monkeypatch.setattr(POINTS_EXPIRING, "subscriptions", [*POINTS_EXPIRING.subscriptions])
    subscribe(POINTS_EXPIRING, seen.append, order=61)  # beside the automations (60)
    return seen


def test_each_stage_is_announced_once_from_the_start_of_its_day(team, published):
    _expiry_on(team)
    expires = datetime(2027, 3, 31, 10, tzinfo=MADRID)
    ana = _holding(team, 120, expires)

    def at(day: int, month: int, hour: int, minute: int = 30) -> int:
        return points_expiring_announce(now=datetime(2027, month, day, hour, minute, tzinfo=MADRID))

    # 30 days before 31 March is 1 March; 7 days before, 24 March.
    assert at(28, 2, 23) == 0
    assert (at(1, 3, 0), at(1, 3, 1), at(15, 3, 12)) == (1, 0, 0)
    assert at(23, 3, 23) == 0
    assert (at(24, 3, 0), at(24, 3, 9), at(30, 3, 9)) == (1, 0, 0)

    assert _stages(ana) == [(30, 120), (7, 120)]
    notices = list(ExpiryNotice.objects.filter(member=ana).order_by("pk"))
    assert [(e.member, e.points, e.expires_at, e.days_before, e.notice_id) for e in published] == [
        (ana, 120, expires, 30, notices[0].pk),
        (ana, 120, expires, 7, notices[1].pk),
    ]


@pytest.mark.parametrize(
    ("zone", "expires_at", "before", "from_"),
    [
        # UTC+14: 1 March starts at 10:00 UTC on 28 February.
        (
            "Pacific/Kiritimati",
            datetime(2027, 3, 31, 0, tzinfo=UTC),  # 31 March, 14:00 there
            datetime(2027, 2, 28, 9, 59, tzinfo=UTC),
            datetime(2027, 2, 28, 10, tzinfo=UTC),
        ),
        # UTC-8 in winter: 1 March starts at 08:00 UTC on 1 March.
        (
            "America/Los_Angeles",
            datetime(2027, 3, 31, 8, tzinfo=UTC),  # 31 March, 01:00 there (summer time)
            datetime(2027, 3, 1, 7, 59, tzinfo=UTC),
            datetime(2027, 3, 1, 8, tzinfo=UTC),
        ),
    ],
)
def test_a_stage_is_due_from_the_start_of_the_day_in_the_merchant_s_zone_not_utc_s(
    team, zone, expires_at, before, from_
):
    _expiry_on(team, zone=zone)
    ana = _holding(team, 50, expires_at)

    assert stage_due_before(merchant=team.merchant, now=from_, days_before=30) == datetime(
        2027, 4, 1, tzinfo=ZoneInfo(zone)
    )
    assert points_expiring_announce(now=before) == 0
    assert points_expiring_announce(now=from_) == 1
    assert _stages(ana) == [(30, 50)]


def test_announcing_twice_writes_nothing_new(team, published):
    _expiry_on(team)
    now = datetime(2027, 3, 25, 12, tzinfo=MADRID)
    _holding(team, 40, now + timedelta(days=20))  # first stage due
    _holding(team, 60, now + timedelta(days=3))  # final stage due
    _holding(team, 80, now + timedelta(days=90))  # not yet

    first = points_expiring_announce(now=now)
    again = points_expiring_announce(now=now)
    later = points_expiring_announce(now=now + timedelta(hours=1))

    assert (first, again, later) == (2, 0, 0)
    assert ExpiryNotice.objects.count() == 2
    assert len(published) == 2


def test_a_member_first_due_at_the_final_stage_gets_that_one_only(team):
    """A program that just turned expiry on: no late 30-day notice beside the 7-day one."""
    _expiry_on(team)
    now = datetime(2027, 3, 25, 12, tzinfo=MADRID)
    ana = _holding(team, 60, now + timedelta(days=3))

    points_expiring_announce(now=now)
    points_expiring_announce(now=now + timedelta(days=1))

    assert _stages(ana) == [(7, 60)]


def test_without_a_final_reminder_only_the_first_stage_is_announced(team):
    _expiry_on(team, final_reminder_days=None)
    now = datetime(2027, 3, 1, 12, tzinfo=MADRID)
    ana = _holding(team, 60, now + timedelta(days=20))

    points_expiring_announce(now=now)
    points_expiring_announce(now=now + timedelta(days=17))

    assert _stages(ana) == [(30, 60)]


def test_merchants_with_expiry_are_announced_without_a_webhook(team, other_team):
    _expiry_on(team)
    now = datetime(2027, 3, 1, 12, tzinfo=MADRID)
    ana = _holding(team, 60, now + timedelta(days=20))
    # Points with a date but expiry off and no webhook: nobody to announce them to.
    _holding(other_team, 60, now + timedelta(days=20))

    assert points_expiring_announce(now=now) == 1
    assert _stages(ana) == [(30, 60)]


def test_the_webhook_fires_once_per_notice_with_its_stage(team):
    _expiry_on(team)
    endpoint = endpoint_create(
        merchant=team.merchant,
        actor=team.owner,
        url="http://127.0.0.1:9/hooks",
        events=["points.expiring"],
    )
    expires = datetime(2027, 3, 31, 10, tzinfo=MADRID)
    ana = _holding(team, 120, expires)

    for day in (datetime(2027, 3, 1, 9, tzinfo=MADRID), datetime(2027, 3, 24, 9, tzinfo=MADRID)):
        for _ in range(2):
            points_expiring_announce(now=day)

    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("pk")
    assert [(d.event, d.payload["data"]) for d in deliveries] == [
        (
            "points.expiring",
            {
                "member": ana.public_id,
                "points": 120,
                "expires_at": "2027-03-31T08:00:00Z",
                "days_before": days_before,
            },
        )
        for days_before in (30, 7)
    ]
