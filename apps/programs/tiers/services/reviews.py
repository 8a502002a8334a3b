"""Reviews (the nightly task): members whose review date plus grace days has passed keep,
gain or lose their tier by the better of two totals."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from apps.core.models import Merchant
from apps.core.stored_text import stored_text
from apps.members.models import Member
from apps.members.services import event_record
from apps.programs.tiers.lock_objects import member_tier_lock
from apps.programs.tiers.models import ChangeCause, MemberTier, TierChange, TierSettings, Window
from apps.programs.tiers.selectors import (
    next_review,
    qualifying_total,
    tier_for_total,
    tier_settings,
    tiers_active,
)
from apps.programs.tiers.services.moves import member_tier_move

# Reviews (the nightly task) ----------------------------------------------------------


def _review_after(settings: TierSettings, merchant: Merchant, review_at, now) -> datetime:
    upcoming = next_review(settings=settings, merchant=merchant, start=review_at)
    while upcoming <= now:
        upcoming = next_review(settings=settings, merchant=merchant, start=upcoming)
    return upcoming


@transaction.atomic(savepoint=False)
def member_tier_review(*, member: Member, now: datetime) -> TierChange | None:
    """Review one member whose review (plus grace days) is due. Re-checked under the
    member's lock, so running it twice, or from two workers, acts once."""
    status = member_tier_lock(member)
    merchant = member.merchant
    settings = tier_settings(merchant=merchant)
    if status.review_at is None or status.review_at + timedelta(days=settings.grace_days) > now:
        return None
    tiers = tiers_active(merchant=merchant)
    total = max(
        qualifying_total(member=member, end=status.review_at, settings=settings),
        qualifying_total(member=member, end=now, settings=settings),
    )
    target = tier_for_total(tiers=tiers, total=total)
    following = _review_after(settings, merchant, status.review_at, now)
    if target is not None and status.tier is not None and target.pk == status.tier.pk:
        status.review_at = following
        status.save(update_fields=["review_at", "updated_at"])
        event_record(
            member=member,
            kind="tier_confirmed",
            summary=stored_text(
                # Translators: a member's timeline; %(tier)s is a tier name, %(date)s a date such
                # as "05 Mar 2027".
                gettext_noop("%(tier)s confirmed until the next review, %(date)s"),
                tier=target.name,
                date=f"{following:%d %b %Y}",
            ),
            data={"tier": target.name, "total": total},
            occurred_at=now,
        )
        return None
    if settings.window == Window.ROLLING_12:
        # Translators: why a member changed tier at their yearly review.
        reason = stored_text(gettext_noop("review of the last 12 months"))
    else:
        reason = stored_text(gettext_noop("review of the calendar year"))
    return member_tier_move(
        member=member,
        status=status,
        to_tier=target,
        cause=ChangeCause.REVIEW,
        reason=reason,  # the total is on the change: formatted by pages
        total=total,
        at=now,
        settings=settings,
        review_at=following,
    )


def tiers_review(*, now: datetime | None = None, batch: int = 500) -> int:
    """Review every member whose review date plus their merchant's grace days has passed.
    Safe to run twice or concurrently: each member is re-checked under its lock and gets
    a later review date. Returns the number of tier changes."""
    now = now or timezone.now()
    changes = 0
    merchant_ids = (
        MemberTier.objects.filter(review_at__lte=now)
        .order_by()
        .values_list("merchant_id", flat=True)
        .distinct()
    )
    for merchant in Merchant.objects.filter(pk__in=list(merchant_ids)).order_by("pk"):
        cutoff = now - timedelta(days=tier_settings(merchant=merchant).grace_days)
        after = 0
        while True:
            due = list(
                MemberTier.objects.for_merchant(merchant)
                .filter(review_at__lte=cutoff, member_id__gt=after)
                .select_related("member__merchant")
                .order_by("member_id")[:batch]
            )
            if not due:
                break
            for status in due:
                if member_tier_review(member=status.member, now=now):
                    changes += 1
            after = due[-1].member_id
    return changes
