"""Reads for the rewards catalog and redemptions."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from apps.core.extensions import rewards_narrowed
from apps.core.formatting import format_day
from apps.core.models import Merchant
from apps.members.models import Member
from apps.programs.rewards.models import Redemption, Reward


def merchant_today(*, merchant: Merchant, at: datetime | None = None) -> date:
    """The merchant's calendar day at `at` (now by default): validity days are theirs."""
    try:
        zone = ZoneInfo(merchant.timezone)
    except (ValueError, KeyError):  # an unknown zone name: fall back to the server's
        return timezone.localdate(at)
    return timezone.localdate(at, timezone=zone)


def reward_unavailable_reason(*, reward: Reward, today: date) -> str | None:
    """Why the reward cannot be redeemed today, or None (in the active language). (The
    balance is checked apart.)"""
    if not reward.is_active:
        # Translators: %(name)s is a reward's name.
        return gettext("%(name)s is no longer offered.") % {"name": reward.name}
    if reward.valid_from and today < reward.valid_from:
        # Translators: %(name)s is a reward's name; %(day)s a date.
        return gettext("%(name)s can be redeemed from %(day)s.") % {
            "name": reward.name,
            "day": format_day(reward.valid_from),
        }
    if reward.valid_until and today > reward.valid_until:
        # Translators: %(name)s is a reward's name; %(day)s a date.
        return gettext("%(name)s could be redeemed until %(day)s.") % {
            "name": reward.name,
            "day": format_day(reward.valid_until),
        }
    if reward.stock is not None and reward.stock <= 0:
        return gettext("%(name)s is out of stock.") % {"name": reward.name}
    return None


def reward_list(*, merchant: Merchant, include_inactive: bool = True) -> QuerySet[Reward]:
    """The catalog, cheapest first; offered rewards before the ones taken off."""
    rewards = Reward.objects.for_merchant(merchant)
    if not include_inactive:
        rewards = rewards.filter(is_active=True)
    return rewards.order_by("-is_active", "points_cost", "name", "id")


def _available_condition(today: date) -> Q:
    return (
        Q(is_active=True)
        & (Q(stock__isnull=True) | Q(stock__gt=0))
        & (Q(valid_from__isnull=True) | Q(valid_from__lte=today))
        & (Q(valid_until__isnull=True) | Q(valid_until__gte=today))
    )


def rewards_available(*, merchant: Merchant, today: date | None = None) -> QuerySet[Reward]:
    """What can be redeemed today (active, in stock, within its days), cheapest first."""
    today = today or merchant_today(merchant=merchant)
    return (
        Reward.objects.for_merchant(merchant)
        .filter(_available_condition(today))
        .order_by("points_cost", "name", "id")
    )


def rewards_affordable(
    *, merchant: Merchant, balance: int, today: date | None = None, member: Member | None = None
) -> QuerySet[Reward]:
    """What a member with `balance` points can redeem today (and, given the member, may:
    `extensions.MEMBER_REWARD_FILTERS`)."""
    rewards = rewards_available(merchant=merchant, today=today).filter(points_cost__lte=balance)
    if member is not None:
        rewards = rewards_narrowed(rewards, member)
    return rewards


def redemptions_recent(*, member: Member, limit: int = 10) -> list[Redemption]:
    return list(Redemption.objects.filter(member=member).select_related("reward")[:limit])


def redemption_list(*, merchant: Merchant) -> QuerySet[Redemption]:
    return Redemption.objects.for_merchant(merchant).select_related("member", "actor")


def reward_by_public_id(*, merchant: Merchant, public_id: str) -> Reward | None:
    return Reward.objects.for_merchant(merchant).filter(public_id=public_id).one_or_none()


def redemption_by_code(*, merchant: Merchant, code: str) -> Redemption | None:
    """A redemption by the code shown at the counter (typed in any case)."""
    return (
        Redemption.objects.for_merchant(merchant)
        .select_related("reward", "member")
        .filter(code=code.upper()[:8])
        .one_or_none()
    )
