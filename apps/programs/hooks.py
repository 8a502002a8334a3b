"""Extension points of the points engine.

The tiers, coupons and referrals apps (and later the API's webhooks) act on purchases,
refunds and redemptions without this app knowing them: each registers its functions
here in its `AppConfig.ready()`. Every hook runs inside the caller's transaction, with
the member's points account locked (`lock_objects.points_account_lock`), so what a hook
writes commits or rolls back with the purchase, refund or redemption that caused it.
Work that the answer does not need belongs in a task enqueued with
`transaction.on_commit`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.members.models import Member
    from apps.programs.rewards.models import Redemption, Reward

# A whole percent applied to the points a member's basket earns (100: no change; a Gold
# tier's 150 earns half again). Several multiply together.
EarnPercent = Callable[["Member", datetime], int]
EARN_PERCENT: list[EarnPercent] = []

# After a purchase is recorded and its points credited: returns what it added to the
# answer (say {"cashback_earned": 120, "coupons_issued": [...]}), merged into
# `PurchaseResult.extras`. Not called for a retry of the same external id.
PurchaseHook = Callable[..., dict[str, Any]]
# called as hook(purchase, account=..., lines=..., actor=...)
PURCHASE_RECORDED: list[PurchaseHook] = []

# What a retried purchase (the same external id again) answers besides its points: the
# cashback and coupons it earned the first time, the member's tier now.
# called as hook(purchase) -> dict
PURCHASE_REPLAYED: list[Callable[..., dict[str, Any]]] = []

# After a refund took back its points: same shape, merged into `RefundResult.extras`.
# called as hook(refund, purchase=..., account=..., actor=...)
REFUND_RECORDED: list[PurchaseHook] = []

# Why this member may not redeem this reward (a tier restriction), or None.
RewardCheck = Callable[["Reward", "Member"], str | None]
REWARD_CHECKS: list[RewardCheck] = []

# After a redemption spent its points (a coupon reward issues its coupon), and before a
# void gives them back (may raise a DomainError to refuse: a coupon already used).
RedemptionHook = Callable[["Redemption", "User | None"], None]
REDEMPTION_CREATED: list[RedemptionHook] = []
REDEMPTION_VOIDING: list[RedemptionHook] = []


def earn_percent(member: Member, at: datetime) -> int:
    """Every registered percent for this member, multiplied together (150 and 120 make
    180), rounded down at each step so a member never earns a fraction more."""
    percent = 100
    for hook in EARN_PERCENT:
        percent = percent * hook(member, at) // 100
    return percent


def reward_refusal(reward: Reward, member: Member) -> str | None:
    for check in REWARD_CHECKS:
        if reason := check(reward, member):
            return reason
    return None


def collect(hooks: list[PurchaseHook], subject, **context) -> dict[str, Any]:
    extras: dict[str, Any] = {}
    for hook in hooks:
        extras |= hook(subject, **context) or {}
    return extras
