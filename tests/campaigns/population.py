"""A merchant's members with varied histories, made through the services on dates in the
past, for the segment tests: purchases near the day boundaries of the merchant's time
zone, members who never bought, birthdays or none, tags, tiers, home locations,
languages, consents, points with expiry dates, referrals; erased and merged records; a
few members enrolled after the analytics refresh (no `MemberStats` row yet); and another
merchant trading alongside, whose rows must change nothing."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from django.core.cache import cache

from apps.analytics.services import analytics_settings_update
from apps.members.models import Channel, Member
from apps.members.services import member_erase, member_merge
from apps.programs.models import Purchase
from apps.programs.points.models import PointsAccount
from apps.programs.points.rules import program_settings_update
from apps.programs.points.services import lots_expire, points_adjust
from apps.programs.services import refund_record
from tests.analytics.factories import refresh
from tests.campaigns.factories import survey_answered
from tests.core.factories import LocationFactory
from tests.members.factories import enroll
from tests.programs.factories import buy
from tests.referrals.conftest import code_of, referrals_on
from tests.tiers.factories import set_up_tiers

# 00:30 on Friday 3 April 2026 in Madrid (summer time since Sunday 29 March): still the 2nd
# in UTC, so a day counted in UTC is off by one, and recent windows cross the change of
# time.
NOW = datetime(2026, 4, 2, 22, 30, tzinfo=UTC)
TODAY = date(2026, 4, 3)
ZONE = ZoneInfo("Europe/Madrid")  # the test merchants' (tests/core/factories.py)
AT_RISK_DAYS, LAPSED_DAYS = 30, 75

# Tags as staff type them; "İzmir" lower-cases differently in Python and in PostgreSQL.
TAGS = ("VIP", "Café", "Ñandú", "İzmir", "weekend shopper")
# Days before NOW: around the thresholds (30, 75), the windows' ends, and the change of time.
DAYS_AGO = (0, 0, 1, 2, 5, 6, 7, 8, 29, 30, 31, 45, 74, 75, 76, 120, 200, 364, 366, 900)
# Minutes before NOW's time of day (00:30 in summer time, 23:30 the day before in winter
# time): on a summer day, 30 is midnight exactly and 31 the minute before it.
MINUTES = (0, 15, 30, 31, 90, 600, 1200)
AMOUNTS = (500, 1250, 1250, 2000, 4999, 12_000, 30_000)
BIRTHDAY_MONTHS = (None, None, 1, 3, 4, 4, 5, 12)


@dataclass
class Population:
    team: object
    tiers: dict
    locations: list
    late: set[int] = field(default_factory=set)  # enrolled after the refresh: no stats row
    gone: set[int] = field(default_factory=set)  # erased or merged: never in a segment
    others: set[int] = field(default_factory=set)  # another merchant's members

    def __repr__(self) -> str:  # Hypothesis prints the test's arguments
        return f"Population of {self.team.merchant}"

    @property
    def merchant(self):
        return self.team.merchant


def before_now(days: int, minutes: int = 0) -> datetime:
    return NOW - timedelta(days=days, minutes=minutes)


class _Builder:
    def __init__(self, team, rng: random.Random, locations: list):
        self.team, self.rng, self.locations = team, rng, locations
        self.numbers = 0
        self.members: list[Member] = []

    def member(self, *, days: int, referrer: Member | None = None, **fields) -> Member:
        rng = self.rng
        self.numbers += 1
        number = self.numbers
        contact = rng.choice(["phone", "email", "both"])
        month = rng.choice(BIRTHDAY_MONTHS)
        values = {
            "first_name": f"Member {number}",
            "phone": "" if contact == "email" else f"+34 622 {number:06d}",
            "email": "" if contact == "phone" else f"member{number}@example.com",
            "birthday": date(1960 + number, month, 1 + number % 28) if month else None,
            "language": rng.choice(["", "", "es", "ro", "en"]),
            "consent_email": rng.random() < 0.5,
            "consent_sms": rng.random() < 0.3,
            "channel": rng.choice(Channel.values),
            "location": rng.choice([None, *self.locations]),
            "tags": rng.sample(TAGS, rng.choice([0, 0, 1, 2])),
            "enrolled_at": before_now(days, rng.choice(MINUTES)),
        }
        if referrer is not None:
            values["extras"] = {"referral_code": code_of(referrer)}
        member = enroll(self.team, **(values | fields))
        self.members.append(member)
        return member

    def purchases(self, member: Member, *, days: int, count: int) -> list[Purchase]:
        rng = self.rng
        moments = sorted(
            max(
                member.enrolled_at,
                before_now(rng.choice([d for d in DAYS_AGO if d <= days]), rng.choice(MINUTES)),
            )
            for _ in range(count)
        )
        return [
            buy(
                self.team,
                member,
                rng.choice(AMOUNTS),
                at=moment,
                location=rng.choice([None, *self.locations]),
            ).purchase
            for moment in moments
        ]


def build_population(team, other_team, *, seed: int = 2026) -> Population:
    """About 55 members of `team`'s merchant (52 still members), built at NOW (the
    caller freezes `timezone.now`), then the analytics refresh, then the late members."""
    rng = random.Random(seed)
    merchant, manager = team.merchant, team.manager
    program_settings_update(merchant=merchant, actor=manager, points_per_unit=1, expiry_months=12)
    tiers = set_up_tiers(
        team, tiers=[("Bronze", 3_000, 100), ("Silver", 10_000, 110), ("Gold", 30_000, 125)]
    )
    referrals_on(team)
    locations = [team.merchant_location, LocationFactory(merchant=merchant)]
    population = Population(team, tiers, locations)
    builder = _Builder(team, rng, population.locations)
    purchases: list[Purchase] = []
    for index in range(40):
        if index == 20:  # the later purchases' points expire within a month
            program_settings_update(
                merchant=merchant, actor=manager, points_per_unit=1, expiry_months=1
            )
        days = rng.choice(DAYS_AGO)
        earlier = [m for m in builder.members if m.enrolled_at <= before_now(days)]
        referrer = rng.choice(earlier) if earlier and rng.random() < 0.25 else None
        member = builder.member(days=days, referrer=referrer)
        purchases += builder.purchases(member, days=days, count=rng.choice([0, 0, 1, 1, 2, 3, 5]))

    _edge_members(builder)
    _points_moves(builder, rng)
    _survey_answers(builder, rng)
    refund_record(purchase=purchases[3], external_id="refund-1", amount=purchases[3].amount)
    refund_record(purchase=purchases[10], external_id="refund-2", amount=1)
    _erasures_and_merges(builder, population)
    _other_merchant(other_team, population)

    analytics_settings_update(
        merchant=merchant, actor=manager, at_risk_days=AT_RISK_DAYS, lapsed_days=LAPSED_DAYS
    )
    refresh()
    _late_members(builder, population)
    cache.clear()  # the rank cut points are cached per merchant and day
    return population


def midnight(days: int) -> datetime:
    """The first instant of the merchant's day `days` before today."""
    return datetime.combine(TODAY - timedelta(days=days), time.min, tzinfo=ZONE)


def _edge_members(builder: _Builder) -> None:
    """Members on the very boundaries: enrolled or buying at a merchant's midnight or the
    second before it, at the status thresholds and the window ends, in winter time and in
    summer time; points that expire at a midnight, or later today."""
    second = timedelta(seconds=1)
    soon = (NOW + timedelta(hours=1)).astimezone(ZONE)
    for enrolled_at, bought_at in [
        (midnight(AT_RISK_DAYS), []),  # new and active, just
        (midnight(AT_RISK_DAYS) - second, []),  # neither: at risk
        (midnight(200), [midnight(AT_RISK_DAYS)]),
        (midnight(200), [midnight(LAPSED_DAYS)]),  # at risk, just
        (midnight(200), [midnight(LAPSED_DAYS) - second]),  # lapsed
        (midnight(200), [midnight(6) - second, midnight(6)]),  # in 7 days: one
        (midnight(200), [midnight(29)]),  # points expire at a midnight, in 2 days
        (midnight(40), [midnight(1) - second, midnight(0)]),
        (midnight(40), [soon - relativedelta(months=1)]),  # points expire later today
    ]:
        member = builder.member(days=0, enrolled_at=enrolled_at)
        for moment in bought_at:
            buy(builder.team, member, 2500, at=moment)


def _points_moves(builder: _Builder, rng: random.Random) -> None:
    """Points given now (expiring in a month), points taken from the oldest lots, and lots
    that expired 20 days ago and more written off: those that expired since stay, unexpired
    on paper, and must not count as expiring."""
    manager = builder.team.manager
    for member in rng.sample(builder.members, 6):
        points_adjust(member=member, points=rng.choice([5, 50]), reason="Goodwill", actor=manager)
    for member in builder.members:
        account = PointsAccount.objects.filter(member=member).first()
        balance = account.balance if account else 0
        if balance > 10 and rng.random() < 0.3:
            points_adjust(member=member, points=-(balance // 2), reason="Correction", actor=manager)
    lots_expire(now=NOW - timedelta(days=20))


def _survey_answers(builder: _Builder, rng: random.Random) -> None:
    """Answers to the survey from about half the members, some twice (the latest counts,
    even when it is lower; two at the same instant: the later row), every score given."""
    team = builder.team
    answering = rng.sample(builder.members, len(builder.members) // 2)
    for number, member in enumerate(answering):
        score = number % 11
        at = before_now(rng.choice([1, 5, 40, 200]), rng.choice(MINUTES))
        survey_answered(team, member, score, at=at)
        if number % 4 == 0:
            later = at if number % 8 == 0 else at + timedelta(hours=1)
            survey_answered(team, member, (score + 7) % 11, at=later)


def _erasures_and_merges(builder: _Builder, population: Population) -> None:
    team = builder.team
    for _erased in range(2):
        member = builder.member(days=45, tags=["VIP"])
        builder.purchases(member, days=45, count=2)
        member_erase(member=member, actor=team.manager)
        population.gone.add(member.pk)
    for survivor in builder.members[5:7]:
        # No email: two welcome emails cannot be merged yet (messaging_delivery_once).
        duplicate = builder.member(
            days=200, tags=["Café"], email="", phone=f"+34 699 000 {len(population.gone):03d}"
        )
        builder.purchases(duplicate, days=200, count=2)
        # the duplicate's answer, the survivor's latest once merged
        survey_answered(team, duplicate, 2 + len(population.gone), at=before_now(0))
        member_merge(survivor=survivor, duplicate=duplicate, actor=team.manager)
        population.gone.add(duplicate.pk)


def _other_merchant(other_team, population: Population) -> None:
    """Big spenders with the same tags, referrals and points: a leak of any of their rows
    into the first merchant's segment, or into its rank cut points, shows."""
    referrals_on(other_team)
    first = None
    for number in range(5):
        member = enroll(
            other_team,
            first_name=f"Other {number}",
            tags=list(TAGS),
            enrolled_at=before_now(100),
            extras={"referral_code": code_of(first)} if first else {},
        )
        first = first or member
        for days in (1, 10, 50):
            buy(other_team, member, 900_000 + number, at=before_now(days))
        survey_answered(other_team, member, 10, at=before_now(0))
        population.others.add(member.pk)


def _late_members(builder: _Builder, population: Population) -> None:
    """Enrolled since the refresh: no stats row, read as seen today with no purchase, even
    the one imported with an enrollment date long past."""
    for fields in [
        {"days": 0},
        {"days": 100, "channel": Channel.IMPORT},
        {"days": 0, "referrer": builder.members[0]},
    ]:
        member = builder.member(**fields)
        points_adjust(member=member, points=20, reason="Welcome", actor=builder.team.manager)
        population.late.add(member.pk)
