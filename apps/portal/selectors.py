"""What a member's card shows, read in a number of queries that does not grow with the
member's history (tests/portal/test_card_page.py counts them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone

from apps.core.extensions import rewards_narrowed
from apps.core.models import Location
from apps.core.selectors import location_list
from apps.members.models import Member
from apps.messaging.links import CARD, absolute, member_token
from apps.programs.coupons.models import Coupon
from apps.programs.coupons.selectors import coupons_live, display_code
from apps.programs.points.models import EntryKind
from apps.programs.points.selectors import ledger_list, lots_open, points_balance
from apps.programs.referrals.selectors import referral_code_of, referral_settings_get
from apps.programs.rewards.models import Reward
from apps.programs.rewards.selectors import rewards_available
from apps.programs.tiers.models import Window
from apps.programs.tiers.selectors import Progress, member_progress, next_review, tier_terms

LEDGER_LINES = 20
EXPIRY_HORIZONS = (30, 60, 90)


def card_url(*, member: Member) -> str:
    """The member's private link to their card (its version is the member's current)."""
    return absolute(reverse("portal:card", args=[member_token(member=member, purpose=CARD)]))


@dataclass(frozen=True)
class Expiring:
    days: int
    points: int


@dataclass(frozen=True)
class LedgerLine:
    created_at: datetime
    kind: str  # as the member reads it (`EntryKind`'s label)
    points: int


@dataclass(frozen=True)
class CardView:
    member: Member
    balance: int
    progress: Progress
    progress_deadline: datetime | None  # the tier must be reached by then (calendar years)
    coupons: list[tuple[Coupon, str]]  # with the code as it is shown
    affordable: list[Reward]
    next_reward: Reward | None  # the cheapest one not yet affordable
    expiring: list[Expiring]
    ledger: list[LedgerLine]
    referral_link: str
    locations: list[Location]
    read_at: datetime


def _expiring(member: Member, now: datetime) -> list[Expiring]:
    # Summed by the database: a regular holds a hundred open lots or more, and making a
    # model of each took a third of the card's reads for them (bench/card_page.py).
    horizons = {days: now + timedelta(days) for days in EXPIRY_HORIZONS}
    sums = (
        lots_open(member=member)
        .filter(expires_at__lte=horizons[max(horizons)])
        .aggregate(
            **{
                f"within_{days}": Sum("remaining", filter=Q(expires_at__lte=until))
                for days, until in horizons.items()
            }
        )
    )
    return [Expiring(days, sums[f"within_{days}"] or 0) for days in EXPIRY_HORIZONS]


def _ledger_lines(member: Member) -> list[LedgerLine]:
    # When, what and how many; no model per line: `get_kind_display` translated every
    # kind's label for each line, a fifth of the page's rendering.
    rows = (
        ledger_list(member=member)
        .select_related(None)
        .values_list("created_at", "kind", "points")[:LEDGER_LINES]
    )
    return [LedgerLine(at, EntryKind(kind).label, points) for at, kind, points in rows]


def _referral_link(member: Member) -> str:
    terms = referral_settings_get(merchant=member.merchant)
    code = referral_code_of(member=member) if terms and terms.is_enabled else None
    if code is None:
        return ""
    return absolute(reverse("referrals:join", args=[member.merchant.slug, code.code]))


def _deadline(member: Member, progress: Progress, now: datetime) -> datetime | None:
    if progress.next_tier is None:
        return None
    settings = tier_terms(merchant=member.merchant).settings
    if settings.window != Window.CALENDAR_YEAR:
        return None  # a rolling year has no end: the sentence needs no date
    return next_review(settings=settings, merchant=member.merchant, start=now) - timedelta(
        microseconds=1
    )


def card_view(*, member: Member, now: datetime | None = None) -> CardView:
    now = now or timezone.now()
    balance = points_balance(member=member)
    progress = member_progress(member=member, now=now)
    # One query for both lists (a shop has tens of rewards), narrowed to what the member's
    # tier may redeem: the next reward within reach is one they could really have.
    rewards = list(rewards_narrowed(rewards_available(merchant=member.merchant), member))
    affordable = [reward for reward in rewards if reward.points_cost <= balance]
    next_reward = next((reward for reward in rewards if reward.points_cost > balance), None)
    return CardView(
        member=member,
        balance=balance,
        progress=progress,
        progress_deadline=_deadline(member, progress, now),
        coupons=[
            (coupon, display_code(code=coupon.code))
            for coupon in coupons_live(member=member, now=now)[:10]
        ],
        affordable=affordable[:10],
        next_reward=next_reward,
        expiring=_expiring(member, now),
        ledger=_ledger_lines(member),
        referral_link=_referral_link(member),
        locations=list(location_list(merchant=member.merchant)),
        read_at=now,
    )
