"""Segment rules evaluated in plain Python, member by member, from the rows: what
`segment_members` must answer, worked out without the compiler.

Each member's figures are read from the source rows (purchases, lots, tiers, tags,
referrals), not from the analytics rollups, and the rules are walked as the docstrings of
apps/campaigns say: every condition is true or false; a member without a value (no
purchase, no birthday, no points that expire) fails every condition on it and passes its
negation; counts and sums over a window or of referrals are 0 when there are none; days
are whole days of the merchant's calendar. The RFM scores come from cut points computed
here from the buyers' figures, as apps/campaigns/ranks.py defines them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from apps.campaigns.models import SurveyAnswer
from apps.members.models import Member
from apps.programs.models import Purchase
from apps.programs.points.models import Lot, PointsAccount
from apps.programs.referrals.models import Referral
from apps.programs.tiers.models import MemberTier


@dataclass
class Facts:
    """One member as the rows tell it."""

    pk: int
    enrolled_on: date
    has_stats: bool  # False: enrolled since the last analytics refresh
    purchase_days: list[tuple[date, int]]  # (the merchant's day, amount) of each purchase
    balance: int
    first_expiry_on: date | None  # the day the next unexpired points expire
    tier_id: int | None
    tags: frozenset[str]  # case-folded
    location_id: int | None
    channel: str
    language: str  # "" read as the merchant's
    birthday_month: int | None
    consent_email: bool
    consent_sms: bool
    has_email: bool
    has_phone: bool
    referrals: int
    nps: int | None = None  # the score of the latest survey answer

    @property
    def purchases(self) -> int:
        return len(self.purchase_days)

    @property
    def spent(self) -> int:
        return sum(amount for _day, amount in self.purchase_days)

    @property
    def last_purchase_on(self) -> date | None:
        return max((day for day, _amount in self.purchase_days), default=None)


def cut_points(figures: list, parts: int) -> tuple:
    """The k-th of `parts` - 1 cut points: the figure at 1-based position ceil(k × n / parts)
    of the sorted figures."""
    ordered, count = sorted(figures), len(figures)
    if not count:
        return ()
    return tuple(ordered[math.ceil(Fraction(k * count, parts)) - 1] for k in range(1, parts))


def score(figure, cuts: tuple) -> int:
    """1 + the number of cut points strictly below the figure."""
    return 1 + sum(1 for cut in cuts if cut < figure)


@dataclass
class World:
    today: date
    at_risk_days: int
    lapsed_days: int
    members: list[Facts]
    cuts: dict[str, tuple] = field(default_factory=dict)

    def __repr__(self) -> str:  # Hypothesis prints the test's arguments
        return f"World of {len(self.members)} members on {self.today}"

    def __post_init__(self):
        buyers = [facts for facts in self.members if facts.has_stats and facts.purchases]
        spent = [facts.spent for facts in buyers]
        self.cuts = {
            "recency_score": cut_points([facts.last_purchase_on for facts in buyers], 5),
            "frequency_score": cut_points([facts.purchases for facts in buyers], 5),
            "monetary_score": cut_points(spent, 5),
            "top_spend_percent": cut_points(spent, 100),
        }


def _local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def world_of(*, merchant, now: datetime, late: set[int], at_risk_days: int, lapsed_days: int):
    """Every member of `merchant` who is still one (not erased, not merged), read from the
    rows; `late`: those enrolled since the analytics refresh."""
    zone = ZoneInfo(merchant.timezone)
    today = _local_day(now, zone)
    purchases = defaultdict(list)
    for member_id, occurred_at, amount in Purchase.objects.filter(merchant=merchant).values_list(
        "member_id", "occurred_at", "amount"
    ):
        purchases[member_id].append((_local_day(occurred_at, zone), amount))
    expiries = defaultdict(list)
    for member_id, expires_at in Lot.objects.filter(
        merchant=merchant, remaining__gt=0, expires_at__isnull=False
    ).values_list("member_id", "expires_at"):
        if expires_at > now:
            expiries[member_id].append(expires_at)
    balances = dict(
        PointsAccount.objects.filter(member__merchant=merchant).values_list("member_id", "balance")
    )
    tiers = dict(
        MemberTier.objects.filter(member__merchant=merchant).values_list("member_id", "tier_id")
    )
    tags = defaultdict(set)
    for member_id, name in Member.tags.through.objects.filter(
        member__merchant=merchant
    ).values_list("member_id", "tag__name"):
        tags[member_id].add(name.casefold())
    latest_answer = {}
    for member_id, score in (
        SurveyAnswer.objects.filter(merchant=merchant)
        .order_by("answered_at", "pk")
        .values_list("member_id", "score")
    ):
        latest_answer[member_id] = score  # the last one read is the latest
    referrals = defaultdict(int)
    for referrer_id in Referral.objects.filter(merchant=merchant).values_list(
        "referrer_id", flat=True
    ):
        referrals[referrer_id] += 1

    members = [
        Facts(
            pk=member.pk,
            enrolled_on=_local_day(member.enrolled_at, zone),
            has_stats=member.pk not in late,
            purchase_days=purchases[member.pk],
            balance=balances.get(member.pk, 0),
            first_expiry_on=_local_day(min(expiries[member.pk]), zone)
            if expiries[member.pk]
            else None,
            tier_id=tiers.get(member.pk),
            tags=frozenset(tags[member.pk]),
            location_id=member.location_id,
            channel=member.channel,
            language=member.language or merchant.language,
            birthday_month=member.birthday.month if member.birthday else None,
            consent_email=member.consent_email,
            consent_sms=member.consent_sms,
            has_email=bool(member.email),
            has_phone=bool(member.phone),
            referrals=referrals[member.pk],
            nps=latest_answer.get(member.pk),
        )
        for member in Member.objects.filter(merchant=merchant).order_by("pk")
        if member.erased_at is None and member.merged_into_id is None
    ]
    return World(today, at_risk_days, lapsed_days, members)


# The figures a condition reads -----------------------------------------------------------


def number(name: str, facts: Facts, world: World, within_days: int | None = None) -> int | None:
    """The member's figure for a number field; None: the member has none."""
    today = world.today
    if within_days is not None:
        first = today - timedelta(days=within_days - 1)
        window = [amount for day, amount in facts.purchase_days if day >= first]
        return len(window) if name == "purchase_count" else sum(window)
    last = facts.last_purchase_on
    if name == "days_since_last_purchase":
        return None if last is None else (today - last).days
    if name == "purchase_count":
        return facts.purchases
    if name == "total_spent":
        return facts.spent
    if name == "average_order":
        return facts.spent // facts.purchases if facts.purchases else None
    if name == "points_balance":
        return facts.balance
    if name == "points_expiring_within_days":
        return None if facts.first_expiry_on is None else (facts.first_expiry_on - today).days
    if name == "enrolled_days_ago":
        return (today - facts.enrolled_on).days
    if name == "birthday_month":
        return facts.birthday_month
    if name == "referrals_made":
        return facts.referrals
    if name == "nps":
        return facts.nps
    return _ranked(name, facts, world)


def _ranked(name: str, facts: Facts, world: World) -> int | None:
    if not (facts.has_stats and facts.purchases):
        return None  # never bought (as far as the rollups know): no score
    figure = {
        "recency_score": facts.last_purchase_on,
        "frequency_score": facts.purchases,
        "monetary_score": facts.spent,
        "top_spend_percent": facts.spent,
    }[name]
    found = score(figure, world.cuts[name])
    return 101 - found if name == "top_spend_percent" else found


def statuses(facts: Facts, world: World) -> set[str]:
    """New (joined within the active days) and one of active, at risk and lapsed by the
    days since the member was last seen: their last purchase or enrollment, whichever is
    later; today for a member the refresh has not reached."""
    today = world.today
    seen = max([facts.enrolled_on, *(day for day, _amount in facts.purchase_days)])
    away = (today - (seen if facts.has_stats else today)).days
    found = {"new"} if (today - facts.enrolled_on).days <= world.at_risk_days else set()
    if away <= world.at_risk_days:
        return found | {"active"}
    return found | {"at_risk" if away <= world.lapsed_days else "lapsed"}


CHOICES = {
    "tier": lambda facts, world: facts.tier_id,
    "location": lambda facts, world: facts.location_id,
    "enrollment_channel": lambda facts, world: facts.channel,
    "language": lambda facts, world: facts.language,
}
FLAGS = {
    "consent_email": lambda facts, world: facts.consent_email,
    "consent_sms": lambda facts, world: facts.consent_sms,
    "has_email": lambda facts, world: facts.has_email,
    "has_phone": lambda facts, world: facts.has_phone,
    "birthday_this_month": lambda facts, world: facts.birthday_month == world.today.month,
}


# The rules -------------------------------------------------------------------------------


def holds(rules: dict, facts: Facts, world: World) -> bool:
    if "all" in rules:
        return all(holds(rule, facts, world) for rule in rules["all"])
    if "any" in rules:
        return any(holds(rule, facts, world) for rule in rules["any"])
    if "not" in rules:
        return not holds(rules["not"], facts, world)
    return _condition_holds(rules, facts, world)


def _condition_holds(condition: dict, facts: Facts, world: World) -> bool:
    name, op, value = condition["field"], condition["op"], condition["value"]
    if name in FLAGS:
        return FLAGS[name](facts, world) == value
    if name == "status":
        return _choice(op, value, lambda wanted: wanted in statuses(facts, world))
    if name == "tag":
        return _choice(op, value, lambda wanted: wanted.casefold() in facts.tags)
    if name in CHOICES:
        return _choice(op, value, lambda wanted: CHOICES[name](facts, world) == wanted)
    figure = number(name, facts, world, condition.get("within_days"))
    return _number_holds(op, value, figure)


def _choice(op: str, value, has) -> bool:
    """A choice's `is_not` is the negation of its `is`: a member without a tier, a tag or
    a location is "not" any of them."""
    if op == "is":
        return has(value)
    if op == "is_not":
        return not has(value)
    return any(has(item) for item in value)


def _number_holds(op: str, value, figure: int | None) -> bool:
    if figure is None:
        return False
    if op == "is":
        return figure == value
    if op == "is_not":
        return figure != value
    if op == "in":
        return figure in value
    if op == "gte":
        return figure >= value
    if op == "lte":
        return figure <= value
    low, high = value
    return low <= figure <= high
