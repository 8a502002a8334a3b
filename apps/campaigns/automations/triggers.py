"""The event kinds' moments: a domain event noticed by a handler, which writes one
`AutomationOccurrence` (unique per automation, member and occurrence: a retried event
writes nothing more) and asks for the due ones to be processed after the commit.

Handlers cost nothing on the sale path while the kind is off: which automations are on
is read once per merchant configuration (`automations_on`), not per event. An after-commit
handler can lose its occurrence if the process dies between the commit and the handler
(as the referrals' does); the points-expiring one writes in the notice's transaction and
loses nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from apps.campaigns.automations.kinds import (
    KINDS,
    moment_number,
    within_reach,
)
from apps.campaigns.models import Automation, AutomationKind, AutomationOccurrence
from apps.core.events import PointsBalanceChanged, PointsExpiring, PurchaseRecorded, TierChanged
from apps.core.merchant_config import merchant_config
from apps.core.models import Merchant
from apps.messaging.models import Delivery
from apps.programs.models import Purchase
from apps.programs.referrals.models import Referral
from apps.programs.rewards.models import Reward
from apps.programs.tiers.models import ChangeCause, Direction


@dataclass(frozen=True)
class AutomationsOn:
    """The merchant's automations that are on: (kind, id, cooldown in days, the number of
    its moment or None)."""

    kinds: tuple[tuple[str, int, int, int | None], ...]

    def get(self, kind: str) -> int | None:
        return next((row[1] for row in self.kinds if row[0] == kind), None)

    def cooldown_days(self, kind: str) -> int:
        return next((row[2] for row in self.kinds if row[0] == kind), 0)

    def number(self, kind: str) -> int:
        """The number of the kind's moment (kinds.py `moment_number`)."""
        found = next((row[3] for row in self.kinds if row[0] == kind), None)
        return moment_number(kind=kind, number=found)


@merchant_config(Automation)
def automations_on(*, merchant: Merchant) -> AutomationsOn:
    rows = Automation.objects.for_merchant(merchant).filter(enabled=True)
    return AutomationsOn(tuple(rows.values_list("kind", "pk", "cooldown_days", "moment_number")))


def occurrence_notice(
    *,
    merchant_id: int,
    automation_id: int,
    member_id: int,
    occurrence: str,
    now: datetime,
    due_at: datetime | None = None,
) -> None:
    """Note the moment (once), and process it after the commit."""
    AutomationOccurrence.objects.bulk_create(
        [
            AutomationOccurrence(
                merchant_id=merchant_id,
                automation_id=automation_id,
                member_id=member_id,
                occurrence=occurrence,
                due_at=due_at or now,
                created_at=now,
            )
        ],
        ignore_conflicts=True,
    )
    transaction.on_commit(lambda: _process_later(merchant_id))


def _process_later(merchant_id: int) -> None:
    from apps.campaigns.tasks import automations_process_task

    automations_process_task.delay(merchant_id)


def automations_on_points_expiring(payload: PointsExpiring) -> None:
    """`POINTS_EXPIRING` (in the notice's transaction): a reminder per notice, that is per
    expiry and stage (`days_before`)."""
    automation_id = automations_on(merchant=payload.merchant).get(AutomationKind.POINTS_EXPIRING)
    if automation_id is None:
        return
    occurrence_notice(
        merchant_id=payload.merchant.pk,
        automation_id=automation_id,
        member_id=payload.member.pk,
        occurrence=f"n{payload.notice_id}",
        now=timezone.now(),
    )


def automations_on_purchase(payload: PurchaseRecorded) -> None:
    """`PURCHASE_RECORDED`, after the commit: the thanks for a member's first purchase
    (the earliest of theirs, so of two racing first purchases only one is); the referral
    nudge at a member's Nth purchase, if they have referred nobody; the survey the day
    after."""
    purchase = payload.purchase
    on = automations_on(merchant=purchase.merchant)
    survey = on.get(AutomationKind.SURVEY)
    if survey is not None:
        _survey(purchase, survey, on.cooldown_days(AutomationKind.SURVEY), timezone.now())
    first_purchase = on.get(AutomationKind.FIRST_PURCHASE)
    nudge = on.get(AutomationKind.REFERRAL_NUDGE)
    if first_purchase is None and nudge is None:
        return
    earliest = Purchase.objects.filter(member_id=purchase.member_id).order_by("occurred_at", "pk")
    if first_purchase is not None and earliest.values_list("pk", flat=True).first() == purchase.pk:
        _notice_now(purchase, first_purchase)
    if (
        nudge is not None
        and _is_nth_purchase(purchase, earliest, on.number(AutomationKind.REFERRAL_NUDGE))
        and not _has_referred(purchase)
    ):
        _notice_now(purchase, nudge)


# A purchase recorded this late (a storefront's backlog, an import) asks about a visit the
# member no longer has in mind.
SURVEY_RECENT = timedelta(days=2)


def _survey(purchase: Purchase, automation_id: int, cooldown_days: int, now: datetime) -> None:
    """A survey the day after the purchase, unless the member was asked within the
    cooldown or will be (processing checks the cooldown again: this only spares writing
    an occurrence for every purchase of a regular)."""
    if purchase.occurred_at < now - SURVEY_RECENT:
        return
    member_id = purchase.member_id
    pending = AutomationOccurrence.objects.filter(
        automation_id=automation_id, member_id=member_id, processed_at__isnull=True
    )
    asked = Delivery.objects.filter(
        member_id=member_id,
        source=f"automation:{automation_id}",
        created_at__gte=now - timedelta(days=cooldown_days),
    )
    if pending.exists() or asked.exists():
        return
    occurrence_notice(
        merchant_id=purchase.merchant_id,
        automation_id=automation_id,
        member_id=member_id,
        occurrence=f"p{purchase.pk}",
        now=now,
        due_at=now + KINDS[AutomationKind.SURVEY].delay,
    )


def _has_referred(purchase: Purchase) -> bool:
    return Referral.objects.filter(referrer_id=purchase.member_id).exists()


def _notice_now(purchase: Purchase, automation_id: int, occurrence: str = "") -> None:
    occurrence_notice(
        merchant_id=purchase.merchant_id,
        automation_id=automation_id,
        member_id=purchase.member_id,
        occurrence=occurrence,
        now=timezone.now(),
    )


def _is_nth_purchase(purchase: Purchase, earliest, nth: int) -> bool:
    """The member's Nth purchase (counted up to N + 1 only, on the member's index)."""
    ids = list(earliest.values_list("pk", flat=True)[: nth + 1])
    return len(ids) >= nth and ids[nth - 1] == purchase.pk


def automations_on_tier_changed(payload: TierChanged) -> None:
    """`TIER_CHANGED`, after the commit: a member moved up by their own purchases (a
    purchase, or the review), never by new tier rules or a merge, which would mail
    every member a rule change moves."""
    change = payload.change
    if change.direction != Direction.UP or change.cause not in (
        ChangeCause.PURCHASE,
        ChangeCause.REVIEW,
    ):
        return
    automation_id = automations_on(merchant=change.merchant).get(AutomationKind.TIER_UP)
    if automation_id is not None:
        occurrence_notice(
            merchant_id=change.merchant_id,
            automation_id=automation_id,
            member_id=change.member_id,
            occurrence=f"t{change.pk}",
            now=timezone.now(),
        )


@dataclass(frozen=True)
class RewardCosts:
    rewards: tuple[tuple[int, int], ...]  # (id, points cost), cheapest first


@merchant_config(Reward)
def reward_costs(*, merchant: Merchant) -> RewardCosts:
    rows = Reward.objects.for_merchant(merchant).filter(is_active=True)
    return RewardCosts(tuple(rows.order_by("points_cost", "pk").values_list("pk", "points_cost")))


def reward_reached(*, before: int, after: int, costs: RewardCosts, percent: int) -> str:
    """The occurrence a balance moving from `before` to `after` makes, or "": the cheapest
    reward it now affords for the first time ("afford:<id>"), else the cheapest it came
    within `percent` % of its cost of ("near:<id>")."""
    for reward_id, cost in costs.rewards:
        if before < cost <= after:
            return f"afford:{reward_id}"
    for reward_id, cost in costs.rewards:
        near = within_reach(cost=cost, percent=percent)
        if before < near <= after < cost:
            return f"near:{reward_id}"
    return ""


def automations_on_balance(payload: PointsBalanceChanged) -> None:
    """`POINTS_BALANCE_CHANGED`, after the commit: a balance that crossed into a reward's
    reach, or affords one."""
    if payload.points <= 0:
        return
    account = payload.account
    on = automations_on(merchant=account.merchant)
    automation_id = on.get(AutomationKind.REWARD_REACH)
    if automation_id is None:
        return
    occurrence = reward_reached(
        before=payload.balance - payload.points,
        after=payload.balance,
        costs=reward_costs(merchant=account.merchant),
        percent=on.number(AutomationKind.REWARD_REACH),
    )
    if occurrence:
        occurrence_notice(
            merchant_id=account.merchant_id,
            automation_id=automation_id,
            member_id=account.member_id,
            occurrence=occurrence,
            now=timezone.now(),
        )
