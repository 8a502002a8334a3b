"""Moving a member between tiers: the move itself (a `TierChange`, a timeline event and
the `TIER_CHANGED` event, in the caller's transaction with the member locked), and the
handlers that move members on a purchase or a merge."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext_noop

from apps.accounts.models import User
from apps.core.events import TIER_CHANGED, MembersMerging, PurchaseRecorded, TierChanged, publish
from apps.core.stored_text import StoredText, english, is_stored_text, stored_text
from apps.members.models import Member
from apps.members.read_once import read_once_replace
from apps.members.services import event_record
from apps.programs.models import Purchase
from apps.programs.points.lock_objects import points_accounts_lock
from apps.programs.rewards.models import Reward
from apps.programs.tiers.lock_objects import member_tier_lock
from apps.programs.tiers.models import (
    ChangeCause,
    Direction,
    MemberTier,
    Tier,
    TierChange,
    TierSettings,
)
from apps.programs.tiers.selectors import (
    member_tier_id,
    next_review,
    qualifying_total,
    ranks_above,
    tier_for_total,
    tier_settings,
    tier_terms,
)

# Moving a member (in the caller's transaction, with the member locked) ----------------


def member_tier_move(
    *,
    member: Member,
    status: MemberTier,
    to_tier: Tier | None,
    cause: str,
    reason: str | StoredText,
    total: int,
    at: datetime,
    settings: TierSettings,
    review_at: datetime | None = None,
    actor: User | None = None,
    purchase: Purchase | None = None,
) -> TierChange:
    from_tier = status.tier
    up = ranks_above(candidate=to_tier, current=from_tier)
    reason_text = reason if is_stored_text(reason) else {}
    reason_english = english(reason) if is_stored_text(reason) else reason
    status.tier = to_tier
    status.since = at if to_tier else None
    if to_tier is None:
        status.review_at = None
    else:
        status.review_at = review_at or next_review(
            settings=settings, merchant=member.merchant, start=at
        )
    status.save(update_fields=["tier", "since", "review_at", "updated_at"])
    read_once_replace(member=member, name="tier_id", value=to_tier.pk if to_tier else None)
    change = TierChange.objects.create(
        merchant=member.merchant,
        member=member,
        from_tier=from_tier,
        to_tier=to_tier,
        from_name=from_tier.name if from_tier else "",
        to_name=to_tier.name if to_tier else "",
        direction=Direction.UP if up else Direction.DOWN,
        cause=cause,
        reason=reason_english[:255],
        reason_text=reason_text,
        qualifying_total=total,
        purchase=purchase,
        actor=actor,
        occurred_at=at,
    )
    summary, data = tier_change_line(change=change, reason=reason)
    event_record(
        member=member,
        kind="tier_changed",
        summary=summary,
        actor=actor,
        data=data,
        occurred_at=at,
    )
    publish(TIER_CHANGED, TierChanged(change))
    return change


def tier_change_line(*, change: TierChange, reason: str | StoredText) -> tuple[StoredText, dict]:
    """The member's timeline line for a tier change: its summary and data."""
    no_tier = stored_text(gettext_noop("no tier"))
    before = change.from_name or no_tier
    after = change.to_name or no_tier
    if change.direction == Direction.UP:
        summary = stored_text(
            # Translators: a member's timeline; before and after are tier names (or "no tier"),
            # reason says why, e.g. "purchase 1042 reached Gold".
            gettext_noop("Tier up: %(before)s → %(after)s (%(reason)s)"),
            before=before,
            after=after,
            reason=reason,
        )
    else:
        summary = stored_text(
            gettext_noop("Tier down: %(before)s → %(after)s (%(reason)s)"),
            before=before,
            after=after,
            reason=reason,
        )
    data = {
        "change": change.pk,
        "from": change.from_name,
        "to": change.to_name,
        "cause": change.cause,
        "total": change.qualifying_total,
    }
    return summary, data


def tiers_on_purchase(recorded: PurchaseRecorded) -> dict:
    """`PURCHASE_RECORDED`: move the member up if this purchase made their qualifying
    total (the window ending at the purchase) reach a higher tier. The member's points
    account is locked by the purchase, so two purchases crossing at once move the member
    once. Answers `tier` and `tier_changed`."""
    purchase, actor = recorded.purchase, recorded.actor
    member = purchase.member
    terms = tier_terms(merchant=purchase.merchant)
    if not terms.tiers:
        return {"tier": None, "tier_changed": False}
    current = terms.active_tier(member_tier_id(member=member))
    if current == terms.tiers[-1]:  # at the top: no total can move them
        return {"tier": current.name, "tier_changed": False}
    settings = terms.settings
    total = qualifying_total(member=member, end=purchase.occurred_at, settings=settings)
    target = tier_for_total(tiers=list(terms.tiers), total=total)
    if not ranks_above(candidate=target, current=current):
        return {"tier": current.name if current else None, "tier_changed": False}
    status = member_tier_lock(member)  # locked by the purchase already: re-read under it
    if not ranks_above(
        candidate=target, current=status.tier if status.tier and status.tier.is_active else None
    ):
        return {"tier": status.tier.name if status.tier else None, "tier_changed": False}
    member_tier_move(
        member=member,
        status=status,
        to_tier=target,
        cause=ChangeCause.PURCHASE,
        reason=stored_text(
            # Translators: why a member moved up a tier; %(purchase)s is the ticket or order
            # number.
            gettext_noop("purchase %(purchase)s reached %(tier)s"),
            purchase=purchase.external_id,
            tier=target.name,
        ),
        total=total,
        at=purchase.occurred_at,
        settings=settings,
        actor=actor,
        purchase=purchase,
    )
    return {"tier": target.name, "tier_changed": True}


def tier_earn_percent(member: Member, at: datetime) -> int:
    """`extensions.EARN_PERCENT`: the member's tier's percent (100 without an active tier)."""
    tier = tier_terms(merchant=member.merchant).active_tier(member_tier_id(member=member))
    return tier.earn_percent if tier else 100


def tier_reward_check(reward: Reward, member: Member) -> str | None:
    """`extensions.REWARD_REFUSALS`: "Gold members only" for a reward linked to tiers."""
    from apps.programs.tiers.selectors import reward_refusal_for_tier

    return reward_refusal_for_tier(reward=reward, member=member)


def tiers_merge(merging: MembersMerging) -> None:
    """`MEMBERS_MERGING`: the survivor keeps the higher of the two tiers (with that tier's
    review date); the duplicate's row is emptied, not re-pointed (one per member)."""
    survivor, duplicate, actor = merging.survivor, merging.duplicate, merging.actor
    points_accounts_lock(survivor, duplicate)
    theirs = MemberTier.objects.select_related("tier").filter(member=duplicate).first()
    if theirs is None or theirs.tier is None:
        return
    ours = member_tier_lock(survivor)
    current = ours.tier if ours.tier and ours.tier.is_active else None
    if theirs.tier.is_active and ranks_above(candidate=theirs.tier, current=current):
        settings = tier_settings(merchant=survivor.merchant)
        member_tier_move(
            member=survivor,
            status=ours,
            to_tier=theirs.tier,
            cause=ChangeCause.MERGE,
            reason=stored_text(
                # Translators: why a member changed tier; %(card)s is the card code of the record
                # merged into theirs.
                gettext_noop("merged with %(card)s, who was %(tier)s"),
                card=duplicate.card_code_display,
                tier=theirs.tier.name,
            ),
            total=qualifying_total(member=duplicate, settings=settings),
            at=timezone.now(),
            settings=settings,
            review_at=theirs.review_at,
            actor=actor,
        )
    MemberTier.objects.filter(pk=theirs.pk).update(
        tier=None, since=None, review_at=None, updated_at=timezone.now()
    )
