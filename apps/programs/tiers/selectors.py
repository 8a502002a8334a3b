"""Reads for tiers: the qualifying window, the qualifying total, placement and progress.

The qualifying total, exact from stored rows (nothing is counted on the side):

* spend: the amounts of the member's purchases that occurred in the window, minus what was
  refunded of those purchases (a refund counts against the purchase it refunds, whenever it
  happens);
* points: the points those purchases earned minus what their refunds took back, plus the
  bonus points awarded in the window. Adjustments, redemptions, voids, merges and expiry
  do not count: they neither earn nor lose status.

The window ends at a moment `end` (included): a rolling window is the 12 months before it;
a calendar window is the merchant's calendar year that `end` closes or falls in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext

from apps.core.merchant_config import merchant_config
from apps.core.models import Merchant
from apps.members.models import Member
from apps.members.read_once import read_once
from apps.programs.points.day_totals import net_totals_between
from apps.programs.tiers.models import (
    Measure,
    MemberTier,
    Tier,
    TierChange,
    TierReevaluation,
    TierSettings,
    Window,
)


def tier_settings(*, merchant: Merchant) -> TierSettings:
    """The merchant's tier settings, or the defaults (an unsaved row) when it has none
    yet: reading writes nothing. `services.tier_settings_ensure` makes the row."""
    found = TierSettings.objects.for_merchant(merchant).first()
    return found if found is not None else TierSettings(merchant=merchant)


@dataclass(frozen=True)
class TierTerms:
    """How tiers work, as purchases and the API read them: once per version of the
    merchant's configuration (apps/core/merchant_config.py), shared, never changed."""

    settings: TierSettings
    tiers: tuple[Tier, ...]  # the active ones, lowest threshold first

    def active_tier(self, tier_id: int | None) -> Tier | None:
        """The tier with this id if it is still offered."""
        return next((tier for tier in self.tiers if tier.pk == tier_id), None)


@merchant_config(Tier, TierSettings)
def tier_terms(*, merchant: Merchant) -> TierTerms:
    return TierTerms(
        settings=tier_settings(merchant=merchant), tiers=tuple(tiers_active(merchant=merchant))
    )


def member_tier_id(*, member: Member) -> int | None:
    """The id of the member's tier row's tier (active or not), in one indexed read, kept
    for the rest of the member's lock (`read_once`): a purchase asks twice."""
    return read_once(
        member=member,
        name="tier_id",
        load=lambda: next(
            iter(MemberTier.objects.filter(member=member).values_list("tier_id", flat=True)),
            None,
        ),
    )


def merchant_zone(*, merchant: Merchant) -> ZoneInfo:
    try:
        return ZoneInfo(merchant.timezone)
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def _year_start(year: int, zone: ZoneInfo) -> datetime:
    return datetime(year, 1, 1, tzinfo=zone)


def window_start(*, settings: TierSettings, merchant: Merchant, end: datetime) -> datetime:
    """Where the window that ends at `end` begins (purchases after it count; for a
    calendar year, from the first instant of the year)."""
    if settings.window == Window.CALENDAR_YEAR:
        zone = merchant_zone(merchant=merchant)
        # A review falls on the first instant of a year: it closes the year before.
        year = (end.astimezone(zone) - timedelta(microseconds=1)).year
        return _year_start(year, zone)
    return end - relativedelta(months=12)


def next_review(*, settings: TierSettings, merchant: Merchant, start: datetime) -> datetime:
    """When a tier reached or confirmed at `start` is next reviewed: 12 months later for a
    rolling window, the end of `start`'s calendar year (the merchant's) otherwise."""
    if settings.window == Window.CALENDAR_YEAR:
        zone = merchant_zone(merchant=merchant)
        return _year_start(start.astimezone(zone).year + 1, zone)
    return start + relativedelta(months=12)


def qualifying_totals(
    *, merchant: Merchant, member_ids: Iterable[int], end: datetime, settings: TierSettings
) -> dict[int, int]:
    """Each member's qualifying total for the window ending at `end`, in one query
    (members with nothing in the window are absent: their total is 0).

    The window's whole days come from the members' day totals (`points.day_totals`), its
    first and last day from the purchases (and bonuses) themselves: a member's history
    costs at most a row a day, however many purchases it holds."""
    start = window_start(settings=settings, merchant=merchant, end=end)
    return net_totals_between(
        merchant_id=merchant.pk,
        member_ids=list(member_ids),
        start=start,
        end=end,
        include_start=settings.window == Window.CALENDAR_YEAR,
        measure=settings.measure,
    )


def qualifying_total(
    *, member: Member, end: datetime | None = None, settings: TierSettings | None = None
) -> int:
    settings = settings or tier_settings(merchant=member.merchant)
    end = end or timezone.now()
    totals = qualifying_totals(
        merchant=member.merchant, member_ids=[member.pk], end=end, settings=settings
    )
    return totals.get(member.pk, 0)


def tiers_active(*, merchant: Merchant) -> list[Tier]:
    """The tiers members can reach, lowest threshold first."""
    return list(Tier.objects.for_merchant(merchant).filter(is_active=True).order_by("threshold"))


def tier_list(*, merchant: Merchant) -> list[Tier]:
    return list(
        Tier.objects.for_merchant(merchant)
        .prefetch_related("rewards")
        .order_by("-is_active", "threshold", "id")
    )


def tier_for_total(*, tiers: list[Tier], total: int) -> Tier | None:
    """The highest of the active `tiers` (lowest first) that `total` reaches."""
    reached = None
    for tier in tiers:
        if tier.threshold <= total:
            reached = tier
    return reached


def ranks_above(*, candidate: Tier | None, current: Tier | None) -> bool:
    """Whether `candidate` is a higher tier than `current` (no tier is the lowest)."""
    if candidate is None:
        return False
    return current is None or candidate.threshold > current.threshold


def member_tier(*, member: Member) -> MemberTier | None:
    return MemberTier.objects.filter(member=member).select_related("tier").first()


def current_tier(*, member: Member) -> Tier | None:
    """The member's tier if it is still offered (a deactivated tier gives nothing while
    the re-evaluation places its members)."""
    status = member_tier(member=member)
    if status is None or status.tier is None or not status.tier.is_active:
        return None
    return status.tier


_READ = object()  # member_progress: read the member's tier row


@dataclass(frozen=True)
class Progress:
    """Where a member stands: their tier, the total, and what the next tier needs."""

    tier: Tier | None
    total: int
    measure: str
    next_tier: Tier | None
    needed: int  # how much more of the measure reaches `next_tier` (0 at the top)
    review_at: datetime | None
    any_tiers: bool

    @property
    def is_top(self) -> bool:
        return self.any_tiers and self.next_tier is None

    @property
    def is_spend(self) -> bool:
        return self.measure == Measure.SPEND


def progress_for(
    *,
    tiers: list[Tier],
    settings: TierSettings,
    status: MemberTier | None,
    total: int,
) -> Progress:
    tier = status.tier if status and status.tier and status.tier.is_active else None
    floor = tier.threshold if tier else 0
    next_tier = next((t for t in tiers if t.threshold > max(floor, 0)), None)
    # A member already past the next tier's threshold (rules changed, placement pending)
    # needs nothing more: 0.
    needed = max(next_tier.threshold - total, 0) if next_tier else 0
    return Progress(
        tier=tier,
        total=total,
        measure=settings.measure,
        next_tier=next_tier,
        needed=needed,
        review_at=status.review_at if status and tier else None,
        any_tiers=bool(tiers),
    )


def member_progress(
    *, member: Member, now: datetime | None = None, status: MemberTier | None | object = _READ
) -> Progress:
    """Where the member stands now. `status`: their tier row if the caller read it already
    (None: they have none)."""
    terms = tier_terms(merchant=member.merchant)
    settings = terms.settings
    return progress_for(
        tiers=list(terms.tiers),
        settings=settings,
        status=member_tier(member=member) if status is _READ else status,
        total=qualifying_total(member=member, end=now or timezone.now(), settings=settings),
    )


def members_progress(*, merchant: Merchant, members: list[Member]) -> dict[int, Progress]:
    """Progress of several members (the counter's results) in four queries in all."""
    if not members:
        return {}
    settings = tier_settings(merchant=merchant)
    tiers = tiers_active(merchant=merchant)
    if not tiers:
        return {}
    ids = [member.pk for member in members]
    statuses = {
        status.member_id: status
        for status in MemberTier.objects.filter(member_id__in=ids).select_related("tier")
    }
    totals = qualifying_totals(
        merchant=merchant, member_ids=ids, end=timezone.now(), settings=settings
    )
    return {
        member_id: progress_for(
            tiers=tiers,
            settings=settings,
            status=statuses.get(member_id),
            total=totals.get(member_id, 0),
        )
        for member_id in ids
    }


def tier_member_counts(*, merchant: Merchant) -> dict[int, int]:
    """Members per tier (one GROUP BY on the tier index)."""
    rows = (
        MemberTier.objects.for_merchant(merchant)
        .filter(tier__isnull=False)
        .values("tier_id")
        .annotate(count=Count("id"))
        .values_list("tier_id", "count")
    )
    return dict(rows)


def tier_changes(*, member: Member, limit: int = 5) -> list[TierChange]:
    return list(TierChange.objects.filter(member=member)[:limit])


def reevaluation_latest(*, merchant: Merchant) -> TierReevaluation | None:
    return TierReevaluation.objects.for_merchant(merchant).first()


def reward_refusal_for_tier(*, reward, member: Member) -> str | None:
    """Why `member` may not redeem `reward` because of its tiers, or None."""
    allowed = list(reward.tiers.filter(is_active=True).order_by("threshold"))
    restricted = allowed or reward.tiers.exists()
    if not restricted:
        return None
    tier = current_tier(member=member)
    if tier is not None and any(t.pk == tier.pk for t in allowed):
        return None
    names = [t.name for t in allowed]
    if not names:
        # Translators: %(reward)s is the name of a reward.
        return gettext("%(reward)s is not offered to any tier at the moment.") % {
            "reward": reward.name
        }
    if len(names) == 1:
        # Translators: a reward only members of one tier may redeem, e.g.
        # "Gold members only: Free cake."
        return gettext("%(tier)s members only: %(reward)s.") % {
            "tier": names[0],
            "reward": reward.name,
        }
    # Translators: %(tiers)s is a list of tier names separated by commas, %(last_tier)s the
    # last one, e.g. "Silver, Gold and Platinum members only: Free cake."
    return gettext("%(tiers)s and %(last_tier)s members only: %(reward)s.") % {
        "tiers": ", ".join(names[:-1]),
        "last_tier": names[-1],
        "reward": reward.name,
    }


def rewards_for_member(rewards: QuerySet, member: Member) -> QuerySet:
    """`rewards` without those the member's tier may not redeem (one query still): a
    reward linked to tiers is only for members of one of them."""
    links = Tier.rewards.through.objects.filter(reward_id=OuterRef("pk"))
    # The member's tier as `current_tier` has it (only while still offered), inside the
    # same query: no round trip of its own on the pages that list rewards.
    members_tier = MemberTier.objects.filter(member=member, tier__is_active=True).values("tier_id")[
        :1
    ]
    return rewards.filter(~Exists(links) | Exists(links.filter(tier_id=Subquery(members_tier))))
