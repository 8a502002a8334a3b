"""The domain events: what happened, declared once, with a typed payload, and who listens.

Imports point down (docs/ARCHITECTURE.md), so an app cannot call the apps above it. It
publishes what happened instead, and the apps above subscribe in their
`AppConfig.ready()`. Every event is declared here, beside its payload (a frozen
dataclass), so the whole vocabulary is read in one place; the table "The events and who
listens" in docs/ARCHITECTURE.md lists each event's handlers in order.

* **Order is explicit.** A handler is subscribed with an `order`; handlers run by it,
  lowest first, never by the order of `INSTALLED_APPS`. Two handlers of one event may not
  share an order. The convention: the points engine 10, tiers 20, cashback and coupons
  30, referrals 40, campaigns and automations 50-80, webhooks 90 (they describe the state
  the others leave).
* **Answers are declared.** Some events answer their publisher (a purchase's answer
  carries what tiers, cashback and referrals did): a handler names the response keys it
  `writes`, returns a dict of those keys only, and `publish` merges them. Two handlers of
  one event writing the same key are refused at start-up (`ImproperlyConfigured`, raised
  by `subscribe` in `ready()`), so no app silently overwrites another's key; a handler
  returning a key it did not declare is refused when it runs.
* **In the transaction, or after commit.** A handler runs in the publisher's transaction
  (with whatever the publisher locked) unless it is subscribed `after_commit=True`: then
  it is queued with `transaction.on_commit` and runs only if the work commits, never on a
  rollback. What must be in the transaction (ledger entries, a webhook's outbox row)
  is in it; what must not run for work that may roll back (enqueuing a task, sending)
  runs after commit. An after-commit handler answers nothing, and its failure is logged
  without touching work already committed: keep the work it starts retryable.
* **Payloads are typed.** `publish` refuses a payload of another type (`TypeError`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.core.models import Merchant
    from apps.members.models import Member
    from apps.programs.coupons.models import Coupon
    from apps.programs.models import Purchase, Refund
    from apps.programs.points.earning import Line
    from apps.programs.points.models import PointsAccount
    from apps.programs.referrals.models import Referral
    from apps.programs.rewards.models import Redemption
    from apps.programs.tiers.models import TierChange

Handler = Callable[[Any], dict[str, Any] | None]


@dataclass(frozen=True)
class Subscription:
    handler: Handler
    order: int
    writes: frozenset[str] = frozenset()
    after_commit: bool = False

    @property
    def name(self) -> str:
        handler = self.handler
        return f"{getattr(handler, '__module__', '?')}.{getattr(handler, '__qualname__', handler)}"


@dataclass(eq=False)
class Event[P]:
    """Something that happened. `answers`: whether handlers may add keys to the
    publisher's answer (`writes`)."""

    name: str
    payload: type[P]
    answers: bool = False
    subscriptions: list[Subscription] = field(default_factory=list, repr=False)

    def writes(self) -> frozenset[str]:
        """Every response key a handler of this event declares."""
        return frozenset().union(*(sub.writes for sub in self.subscriptions))

    def __str__(self) -> str:
        return self.name


def subscribe(
    event: Event,
    handler: Handler,
    *,
    order: int,
    writes: Iterable[str] = (),
    after_commit: bool = False,
) -> None:
    """Call `handler(payload)` whenever `event` is published, at its `order`. Refuses
    (`ImproperlyConfigured`, so the process does not start) a second handler at the same
    order, a response key another handler writes, keys on an event that answers nothing,
    and keys written after commit (the answer is gone by then)."""
    writes = frozenset(writes)
    if writes and not event.answers:
        raise ImproperlyConfigured(f"{event}: its publisher takes no answer; write no keys.")
    if writes and after_commit:
        raise ImproperlyConfigured(f"{event}: a handler run after commit cannot answer.")
    new = Subscription(handler, order, writes, after_commit)
    for sub in event.subscriptions:
        if sub.order == order:
            raise ImproperlyConfigured(
                f"{event}: {new.name} and {sub.name} both have order {order}."
            )
        if shared := sub.writes & writes:
            raise ImproperlyConfigured(
                f"{event}: {new.name} and {sub.name} both write {', '.join(sorted(shared))}."
            )
    event.subscriptions.append(new)
    event.subscriptions.sort(key=lambda sub: sub.order)


def unsubscribe(event: Event, handler: Handler) -> None:
    event.subscriptions[:] = [sub for sub in event.subscriptions if sub.handler != handler]


def publish[P](event: Event[P], payload: P) -> dict[str, Any]:
    """Run the event's handlers in order; return the keys they answered, merged."""
    if not isinstance(payload, event.payload):
        raise TypeError(f"{event} takes a {event.payload.__name__}, not {type(payload).__name__}.")
    answer: dict[str, Any] = {}
    for sub in event.subscriptions:
        if sub.after_commit:
            transaction.on_commit(_later(event, sub, payload), robust=True)
            continue
        added = sub.handler(payload) or {}
        if undeclared := set(added) - sub.writes:
            raise ImproperlyConfigured(
                f"{event}: {sub.name} answered {', '.join(sorted(undeclared))} "
                "without declaring it (writes=...)."
            )
        answer |= added
    return answer


def _later(event: Event, sub: Subscription, payload: object) -> Callable[[], None]:
    """The call `on_commit` makes, named after the handler for the log if it fails (never
    the payload: it may hold a member's personal data)."""

    def run() -> None:
        sub.handler(payload)

    run.__qualname__ = f"{event} handler {sub.name}"
    return run


# The events ----------------------------------------------------------------------------
# Members (apps/members/services)


@dataclass(frozen=True)
class MemberEnrolled:
    """A customer enrolled at the counter, the public link or the API (not by import: an
    imported member joined before). In `member_enroll`'s transaction."""

    member: Member
    actor: User | None


MEMBER_ENROLLED = Event("member_enrolled", MemberEnrolled)


@dataclass(frozen=True)
class MemberProfileChanged:
    """A member's details were changed (`member_update`), in its transaction."""

    member: Member
    actor: User | None


MEMBER_PROFILE_CHANGED = Event("member_profile_changed", MemberProfileChanged)


@dataclass(frozen=True)
class MembersImported:
    """A CSV import enrolled these members, in the transaction of the batch that made
    them. They joined before (no `MEMBER_ENROLLED`, no join bonus); `send_welcome` says
    whether the person importing asked to welcome them."""

    merchant: Merchant
    member_ids: tuple[int, ...]
    send_welcome: bool


MEMBERS_IMPORTED = Event("members_imported", MembersImported)


@dataclass(frozen=True)
class MembersMerging:
    """Two records of one person are being merged: both members are locked (their points
    accounts first), the duplicate already marked merged, and its rows not re-pointed yet.
    A handler moves what the generic re-pointing must not (an append-only ledger, one row
    per member; those models are in `extensions.MERGE_KEPT_MODELS`)."""

    survivor: Member
    duplicate: Member
    actor: User | None


MEMBERS_MERGING = Event("members_merging", MembersMerging)


@dataclass(frozen=True)
class MemberErased:
    """A member's personal data was erased (GDPR art. 17), in `member_erase`'s
    transaction: the apps above forget what they copied of it (a delivery's address)."""

    member: Member
    actor: User | None


MEMBER_ERASED = Event("member_erased", MemberErased)


# The sale path (apps/programs/services.py)


@dataclass(frozen=True)
class PurchaseRecorded:
    """A purchase was recorded and its points credited, the member's points account
    locked. Not published for a retry of the same external id (see `PurchaseReplayed`).
    Handlers answer keys of the purchase's API answer (`PurchaseOut`)."""

    purchase: Purchase
    account: PointsAccount
    lines: list[Line]
    actor: User | None


PURCHASE_RECORDED = Event("purchase_recorded", PurchaseRecorded, answers=True)


@dataclass(frozen=True)
class PurchaseReplayed:
    """The same purchase again (a retry): handlers answer the keys they answered the first
    time, as they stand (the cashback it earned, the member's tier now)."""

    purchase: Purchase


PURCHASE_REPLAYED = Event("purchase_replayed", PurchaseReplayed, answers=True)


@dataclass(frozen=True)
class RefundRecorded:
    """A refund took back its share of the purchase's points (the account locked; the
    purchase's refunded amount already includes it). Handlers answer keys of `RefundOut`."""

    refund: Refund
    purchase: Purchase
    account: PointsAccount
    actor: User | None


REFUND_RECORDED = Event("refund_recorded", RefundRecorded, answers=True)


# The points ledger (apps/programs/points/ledger.py)


@dataclass(frozen=True)
class PointsBalanceChanged:
    """A member's points balance moved: one ledger entry was appended (earned, redeemed,
    refunded, expired, adjusted, merged), in the transaction that wrote it, with the
    member's points account locked. `balance` is the account's balance right after it;
    a transaction that writes several entries publishes once for each."""

    account: PointsAccount
    points: int  # the entry's, signed
    balance: int


POINTS_BALANCE_CHANGED = Event("points_balance_changed", PointsBalanceChanged)


# Rewards (apps/programs/rewards)


@dataclass(frozen=True)
class RewardRedeemed:
    """A redemption spent its points (the account locked); `points_balance` is after it."""

    redemption: Redemption
    actor: User | None
    points_balance: int


REWARD_REDEEMED = Event("reward_redeemed", RewardRedeemed)


@dataclass(frozen=True)
class RedemptionVoiding:
    """A redemption is about to be voided (its points not back yet). A handler may refuse
    the void by raising a `DomainError` (the coupon it issued was used)."""

    redemption: Redemption
    actor: User | None


REDEMPTION_VOIDING = Event("redemption_voiding", RedemptionVoiding)


# Coupons, tiers, expiry, referrals


@dataclass(frozen=True)
class CouponIssued:
    """A coupon was issued (cashback, by hand, a reward, a referral), in the transaction
    that issued it."""

    coupon: Coupon


COUPON_ISSUED = Event("coupon_issued", CouponIssued)


@dataclass(frozen=True)
class TierChanged:
    """A member moved tier (a purchase, a review, a merge, new rules): the `TierChange`,
    in the transaction that moved them, with their points account locked."""

    change: TierChange


TIER_CHANGED = Event("tier_changed", TierChanged)


@dataclass(frozen=True)
class PointsExpiring:
    """A member's points expire soon: announced once per member, expiry date and stage
    (`days_before`: the program's `reminder_days`, then its `final_reminder_days`) by the
    hourly reminder, in the transaction that writes the `ExpiryNotice` (`notice_id`)."""

    merchant: Merchant
    member: Member
    points: int
    expires_at: datetime
    days_before: int
    notice_id: int


POINTS_EXPIRING = Event("points_expiring", PointsExpiring)


@dataclass(frozen=True)
class ReferralConverted:
    """A referred member's first qualifying purchase converted their referral: the new
    member's reward is given, in the purchase's transaction. `referrer_state` is the
    referrer's side as the conversion left it (due, or nothing to give)."""

    referral: Referral
    purchase: Purchase
    referrer_state: str


REFERRAL_CONVERTED = Event("referral_converted", ReferralConverted)


@dataclass(frozen=True)
class ReferralReversed:
    """A rewarded referral was reversed (its purchase refunded below the minimum, or a
    self-referral found by a merge): the new member's reward is taken back.
    `referrer_state` is the referrer's side as the reversal left it (never paid, or to
    take back)."""

    referral: Referral
    referrer_state: str


REFERRAL_REVERSED = Event("referral_reversed", ReferralReversed)


EVENTS: tuple[Event, ...] = (
    MEMBER_ENROLLED,
    MEMBER_PROFILE_CHANGED,
    MEMBERS_MERGING,
    PURCHASE_RECORDED,
    PURCHASE_REPLAYED,
    REFUND_RECORDED,
    POINTS_BALANCE_CHANGED,
    REWARD_REDEEMED,
    REDEMPTION_VOIDING,
    COUPON_ISSUED,
    TIER_CHANGED,
    POINTS_EXPIRING,
    REFERRAL_CONVERTED,
    REFERRAL_REVERSED,
)
