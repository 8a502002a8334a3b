"""The demo merchant's tiers: Bronce, Plata and Oro (the demo café is in Madrid and speaks
Spanish) on the amount spent in a rolling 12 months, so the counter shows tiers and
progress after `make run`."""

from datetime import datetime
from itertools import batched

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from apps.core.models import Merchant
from apps.core.stored_text import english, stored_text, summary_and_data
from apps.demo.bulk import bulk_transaction
from apps.members.models import Member, MemberEvent
from apps.programs.rewards.models import Reward
from apps.programs.tiers.models import (
    ChangeCause,
    Direction,
    Measure,
    MemberTier,
    Tier,
    TierChange,
    Window,
)
from apps.programs.tiers.selectors import (
    next_review,
    qualifying_totals,
    ranks_above,
    tier_for_total,
    tier_settings,
    tiers_active,
)
from apps.programs.tiers.services import tier_create, tier_settings_update
from apps.programs.tiers.services.moves import tier_change_line

DEMO_TIERS = [
    ("Bronce", 10_000, 100, "Bienvenida con café gratis el día de tu cumpleaños."),
    ("Plata", 30_000, 110, "Acceso anticipado a las novedades de temporada."),
    ("Oro", 60_000, 125, "Acceso anticipado, envío gratis y una tarta reservada para ti."),
]
GOLD_ONLY_REWARD = "Tarta entera"


def configure_demo_tiers(merchant: Merchant) -> list[Tier]:
    """Idempotent: tiers already there (by name, or an active one at the same threshold,
    such as the English-named tiers of a demo seeded before) are left as they are."""
    tier_settings_update(
        merchant=merchant,
        actor=None,
        measure=Measure.SPEND,
        window=Window.ROLLING_12,
        grace_days=30,
    )
    tiers = []
    for name, threshold, percent, perks in DEMO_TIERS:
        existing = Tier.objects.for_merchant(merchant).filter(
            Q(name=name) | Q(threshold=threshold, is_active=True)
        )
        tier = existing.order_by("-is_active", "pk").first() or tier_create(
            merchant=merchant,
            actor=None,
            name=name,
            threshold=threshold,
            earn_percent=percent,
            perks=perks,
        )
        tiers.append(tier)
    gold_reward = Reward.objects.for_merchant(merchant).filter(name=GOLD_ONLY_REWARD).first()
    if gold_reward is not None:
        tiers[-1].rewards.add(gold_reward)
    return tiers


def place_demo_members_in_tiers(
    *, merchant: Merchant, at: datetime | None = None, batch_size: int = 5_000
) -> int:
    """Seeded purchases bypass the purchase events (COPY): place every member in the tier
    their window supports, as a re-evaluation of the rules would (a tier change, its
    reason, a line on the timeline), written in bulk a batch of members at a time instead
    of one member at a time: 1,000,000 members in minutes, not hours. Only upwards, as the
    re-evaluation; nothing else runs meanwhile (the demo is being seeded). Returns the
    members moved."""
    settings = tier_settings(merchant=merchant)
    tiers = tiers_active(merchant=merchant)
    if not tiers:
        return 0
    at = at or timezone.now()
    ids = list(
        Member.objects.for_merchant(merchant).active().order_by("pk").values_list("pk", flat=True)
    )
    moved = 0
    for batch in batched(ids, batch_size, strict=False):
        with bulk_transaction():
            moved += _place_batch(merchant, list(batch), at=at, settings=settings, tiers=tiers)
    return moved


def _place_batch(merchant: Merchant, member_ids: list[int], *, at, settings, tiers) -> int:
    totals = qualifying_totals(merchant=merchant, member_ids=member_ids, end=at, settings=settings)
    current = dict(
        MemberTier.objects.filter(member_id__in=member_ids).values_list("member_id", "tier_id")
    )
    by_id = {tier.pk: tier for tier in tiers}
    moves = []
    for member_id in member_ids:
        target = tier_for_total(tiers=tiers, total=totals.get(member_id, 0))
        before = by_id.get(current.get(member_id))
        if ranks_above(candidate=target, current=before):
            moves.append((member_id, before, target, totals.get(member_id, 0)))
    if not moves:
        return 0
    review_at = next_review(settings=settings, merchant=merchant, start=at)
    MemberTier.objects.bulk_create(
        [
            MemberTier(
                merchant=merchant, member_id=member_id, tier=target, since=at, review_at=review_at
            )
            for member_id, _before, target, _total in moves
        ],
        update_conflicts=True,
        unique_fields=["member"],
        update_fields=["tier", "since", "review_at", "updated_at"],
    )
    reason = stored_text(gettext_noop("demo purchases"))
    reason_english = english(reason)
    changes = TierChange.objects.bulk_create(
        [
            TierChange(
                merchant=merchant,
                member_id=member_id,
                from_tier=before,
                to_tier=target,
                from_name=before.name if before else "",
                to_name=target.name,
                direction=Direction.UP,
                cause=ChangeCause.RULES,
                reason=reason_english,
                reason_text=reason,
                qualifying_total=total,
                occurred_at=at,
            )
            for member_id, before, target, total in moves
        ]
    )
    MemberEvent.objects.bulk_create([_timeline_line(change, reason) for change in changes])
    return len(moves)


def _timeline_line(change: TierChange, reason) -> MemberEvent:
    summary, data = summary_and_data(*tier_change_line(change=change, reason=reason))
    return MemberEvent(
        merchant_id=change.merchant_id,
        member_id=change.member_id,
        kind="tier_changed",
        summary=summary[:255],
        data=data,
        occurred_at=change.occurred_at,
    )
