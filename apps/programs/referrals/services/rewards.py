"""Rewards: the new member's on the qualifying purchase, the referrer's by `referrer_settle`,
and taking both back when a refund undoes the purchase."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from apps.accounts.models import User
from apps.core.events import (
    REFERRAL_CONVERTED,
    REFERRAL_REVERSED,
    PurchaseRecorded,
    ReferralConverted,
    ReferralReversed,
    RefundRecorded,
    publish,
)
from apps.core.models import Merchant
from apps.core.stored_text import StoredText, english, stored_plural, stored_text
from apps.members.models import Member
from apps.members.services import event_record
from apps.programs.coupons.models import Coupon, CouponStatus
from apps.programs.coupons.services import coupon_issue
from apps.programs.models import Purchase
from apps.programs.points.ledger import ledger_credit, ledger_debit
from apps.programs.points.lock_objects import points_account_lock
from apps.programs.points.models import EntryKind, LedgerEntry, PointsAccount
from apps.programs.points.services import program_settings
from apps.programs.referrals.lock_objects import referral_lock, referral_rewarded_for_purchase_lock
from apps.programs.referrals.models import (
    Referral,
    ReferralSettings,
    ReferralStatus,
    ReferrerState,
    RewardKind,
)
from apps.programs.referrals.services.settings_and_codes import referral_settings

# Rewards -----------------------------------------------------------------------------


def _give(
    *,
    referral: Referral,
    account: PointsAccount,
    member: Member,
    kind: str,
    points: int,
    coupon_value: int,
    side: str,
    reason: StoredText,
    actor: User | None,
    at: datetime,
    coupon_days: int,
    purchase: Purchase | None,
) -> tuple[LedgerEntry | None, Coupon | None]:
    """One side's reward, with the member's account locked by the caller."""
    if kind == RewardKind.POINTS and points > 0:
        credited = ledger_credit(
            account=account,
            kind=EntryKind.BONUS,
            points=points,
            at=at,
            expiry_months=program_settings(merchant=member.merchant).expiry_months,
            reason=reason,
            actor=actor,
        )
        entry = (
            LedgerEntry.objects.filter(member_id=member.pk).order_by("-id").first()
            if credited
            else None
        )
        event_record(
            member=member,
            kind="referral",
            summary=stored_plural(
                # Translators: a member's timeline; %(reason)s says why, e.g. "referral of Ana".
                "Referral reward: %(count)s point (%(reason)s)",
                "Referral reward: %(count)s points (%(reason)s)",
                points,
                reason=reason,
            ),
            actor=actor,
            data={"referral": referral.pk, "points": points},
            occurred_at=at,
        )
        return entry, None
    if kind == RewardKind.COUPON and coupon_value > 0:
        coupon = coupon_issue(
            merchant=member.merchant,
            value=coupon_value,
            source="referral",
            member=member,
            expires_at=at + timedelta(days=coupon_days),
            reason=reason,
            actor=actor,
            issue_key=f"referral-{referral.pk}-{side}",
            source_purchase=purchase,
        )
        event_record(
            member=member,
            kind="referral",
            summary=stored_text(
                gettext_noop("Referral reward: coupon %(code)s (%(reason)s)"),
                code=coupon.code,
                reason=reason,
            ),
            actor=actor,
            data={"referral": referral.pk, "coupon": coupon.pk, "value": coupon_value},
            occurred_at=at,
        )
        return None, coupon
    return None, None


def _take_back(
    *,
    referral: Referral,
    account: PointsAccount,
    points: int,
    coupon: Coupon | None,
    reason: StoredText,
    actor: User | None,
    at: datetime,
    **links,
) -> int:
    """Undo one side's reward: points debited (what was spent becomes a shortfall, as a
    refund does), an unused coupon voided. Returns the value of a coupon already used."""
    if points:
        taken = ledger_debit(
            account=account,
            kind=EntryKind.REFUND,
            points=points,
            at=at,
            reason=reason,
            actor=actor,
            **links,
        )
        if points - taken:
            account.shortfall += points - taken
            account.save(update_fields=["shortfall"])
    lost = 0
    if coupon is not None:
        voided = Coupon.objects.filter(pk=coupon.pk, status=CouponStatus.ISSUED).update(
            status=CouponStatus.VOID, voided_at=at, void_reason=english(reason)[:255]
        )
        if not voided and Coupon.objects.filter(pk=coupon.pk, status="redeemed").exists():
            lost = coupon.value
    if points or coupon is not None:
        event_record(
            member=Member.objects.get(pk=account.member_id),
            kind="referral",
            summary=_taken_back_summary(reason, points=points, coupon=coupon, lost=lost),
            actor=actor,
            data={"referral": referral.pk, "points": -points, "coupon_lost": lost},
            occurred_at=at,
        )
    return lost


def _taken_back_summary(
    reason: StoredText, *, points: int, coupon: Coupon | None, lost: int
) -> StoredText:
    taken = []
    if points:
        taken.append(stored_plural("%(count)s point", "%(count)s points", points))
    if coupon is not None:
        if lost:
            # Translators: part of "Referral reward taken back: ..."; %(code)s is a coupon code.
            taken.append(
                stored_text(gettext_noop("coupon %(code)s already used"), code=coupon.code)
            )
        else:
            # Translators: part of "Referral reward taken back: ..."; %(code)s is a coupon code.
            taken.append(stored_text(gettext_noop("coupon %(code)s voided"), code=coupon.code))
    if len(taken) == 2:
        return stored_text(
            gettext_noop("Referral reward taken back: %(reason)s, %(points)s, %(coupon)s"),
            reason=reason,
            points=taken[0],
            coupon=taken[1],
        )
    if taken:
        return stored_text(
            gettext_noop("Referral reward taken back: %(reason)s, %(taken)s"),
            reason=reason,
            taken=taken[0],
        )
    return stored_text(gettext_noop("Referral reward taken back: %(reason)s"), reason=reason)


def referral_purchase_hook(recorded: PurchaseRecorded) -> dict:
    """`PURCHASE_RECORDED`: the new member's first qualifying purchase converts their
    referral (`REFERRAL_CONVERTED`). Runs with their account locked; a second purchase,
    even at the same moment from another till, waits for the lock and then finds the
    referral converted. Answers `referral_reward`."""
    purchase, account, actor = recorded.purchase, recorded.account, recorded.actor
    referral = (
        Referral.objects.filter(referred_id=purchase.member_id, status=ReferralStatus.PENDING)
        .select_related("referrer")
        .one_or_none()
    )
    if referral is None:
        return {}
    settings = ReferralSettings.objects.for_merchant(purchase.merchant_id).first()
    if (
        settings is None
        or not settings.is_enabled
        or purchase.occurred_at > referral.window_ends_at
        or purchase.occurred_at < referral.created_at
        or purchase.amount < settings.min_purchase
        # A sale a coupon paid in full brought nothing in: it converts no referral (else a
        # new member's welcome coupon alone would pay their referrer).
        or purchase.amount == 0
    ):
        return {}
    at = timezone.now()
    referrer_gets = settings.referrer_reward != RewardKind.NONE and (
        settings.referrer_points or settings.referrer_coupon_value
    )
    converted = Referral.objects.filter(pk=referral.pk, status=ReferralStatus.PENDING).update(
        status=ReferralStatus.REWARDED,
        qualifying_purchase=purchase,
        converted_at=purchase.occurred_at,
        min_purchase=settings.min_purchase,
        referred_reward=settings.referred_reward,
        referred_points=settings.referred_points,
        referrer_reward=settings.referrer_reward,
        referrer_points=settings.referrer_points,
        referrer_coupon_value=settings.referrer_coupon_value,
        referred_coupon_value=settings.referred_coupon_value,
        referrer_state=ReferrerState.DUE if referrer_gets else ReferrerState.NOTHING,
    )
    if not converted:  # expired by the sweep a moment ago
        return {}
    referral.refresh_from_db()
    referred = purchase.member
    entry, coupon = _give(
        referral=referral,
        account=account,
        member=referred,
        kind=settings.referred_reward,
        points=settings.referred_points,
        coupon_value=settings.referred_coupon_value,
        side="referred",
        reason=stored_text(
            # Translators: why the new member got a reward; %(name)s is the referrer's first name,
            # or "a member".
            gettext_noop("welcome: referred by %(name)s"),
            name=_first_name(referral.referrer),
        ),
        actor=actor,
        at=at,
        coupon_days=settings.coupon_days,
        purchase=purchase,
    )
    Referral.objects.filter(pk=referral.pk).update(referred_entry=entry, referred_coupon=coupon)
    publish(REFERRAL_CONVERTED, ReferralConverted(referral, purchase, referral.referrer_state))
    reward: dict[str, Any] = {"referral": referral.pk}
    if entry is not None or settings.referred_reward == RewardKind.POINTS:
        reward["points"] = settings.referred_points
    if coupon is not None:
        reward["coupon"] = coupon.code
    return {"referral_reward": reward}


def _first_name(member: Member) -> str | StoredText:
    return member.first_name or stored_text(gettext_noop("a member"))


def referrer_settle_later(happened: ReferralConverted | ReferralReversed) -> None:
    """After the commit of a conversion or a reversal (`after_commit`): the referrer's side
    due, or to take back, is settled by a task that takes the referrer's lock alone (see
    services/__init__.py). A lost task is picked up by the hourly sweep."""
    if happened.referrer_state in (ReferrerState.DUE, ReferrerState.TAKE_BACK):
        from apps.programs.referrals.tasks import settle_referrer

        settle_referrer.delay(happened.referral.pk)


@transaction.atomic(savepoint=False)
def referrer_settle(*, referral_id: int) -> str:
    """Give (or take back) the referrer's side of a converted referral. Idempotent: the
    state moves due → paid/capped/nothing and take_back → taken_back once, under the
    referrer's account lock. Returns the state it leaves."""
    for _attempt in range(3):
        referral = Referral.objects.select_related("referrer", "merchant").get(pk=referral_id)
        if referral.referrer_state not in (ReferrerState.DUE, ReferrerState.TAKE_BACK):
            return referral.referrer_state
        account = points_account_lock(referral.referrer)
        locked = referral_lock(referral_id=referral_id)
        if locked.referrer_id == referral.referrer_id:  # else a merge moved it: again
            return referrer_settle_locked(
                referral=locked,
                referrer=referral.referrer,
                merchant=referral.merchant,
                account=account,
            )
    raise RuntimeError("the referral kept moving between referrers")


def referrer_settle_locked(
    *, referral: Referral, referrer: Member, merchant: Merchant, account
) -> str:
    """Settle the referrer's side with their account (`account`) and the referral row
    locked by the caller."""
    at = timezone.now()
    if referral.referrer_state == ReferrerState.TAKE_BACK:
        lost = _take_back(
            referral=referral,
            account=account,
            points=referral.referrer_points if referral.referrer_reward == RewardKind.POINTS else 0,
            coupon=referral.referrer_coupon,
            reason=stored_text(
                # Translators: why a referral reward is taken back; %(name)s is the new member's
                # first name, or "a member".
                gettext_noop("referral of %(name)s reversed"),
                name=_first_name(referral.referred),
            ),
            actor=None,
            at=at,
        )
        Referral.objects.filter(pk=referral.pk).update(
            referrer_state=ReferrerState.TAKEN_BACK,
            coupons_lost=referral.coupons_lost + lost,
        )
        return ReferrerState.TAKEN_BACK
    if referral.referrer_state != ReferrerState.DUE:
        return referral.referrer_state
    if not referrer.is_active:
        state = ReferrerState.NOTHING
    elif _cap_reached(referral, merchant):
        state = ReferrerState.CAPPED
    else:
        state = ReferrerState.PAID
    entry = coupon = None
    if state == ReferrerState.PAID:
        settings = referral_settings(merchant=merchant)
        entry, coupon = _give(
            referral=referral,
            account=account,
            member=referrer,
            kind=referral.referrer_reward,
            points=referral.referrer_points,
            coupon_value=referral.referrer_coupon_value,
            side="referrer",
            reason=stored_text(
                # Translators: why a member got a referral reward; %(name)s is the new member's
                # first name, or "a member".
                gettext_noop("referral of %(name)s"),
                name=_first_name(referral.referred),
            ),
            actor=None,
            at=at,
            coupon_days=settings.coupon_days,
            purchase=None,
        )
    else:
        event_record(
            member=referrer,
            kind="referral",
            summary=stored_text(
                gettext_noop("No referral reward for %(name)s: the monthly cap is reached"),
                name=referral.referred.display_name,
            )
            if state == ReferrerState.CAPPED
            else stored_text(
                gettext_noop("No referral reward for %(name)s: inactive"),
                name=referral.referred.display_name,
            ),
            data={"referral": referral.pk},
            occurred_at=at,
        )
    Referral.objects.filter(pk=referral.pk).update(
        referrer_state=state, referrer_entry=entry, referrer_coupon=coupon, referrer_settled_at=at
    )
    return state


def _month_bounds(at: datetime, zone: str) -> tuple[datetime, datetime]:
    local = at.astimezone(ZoneInfo(zone))
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (start + timedelta(days=32)).replace(day=1)
    return start, following


def _cap_reached(referral: Referral, merchant: Merchant) -> bool:
    """Whether the referrer was already rewarded `monthly_cap` times in the calendar month
    (the business's time zone) of this referral's qualifying purchase."""
    cap = referral_settings(merchant=merchant).monthly_cap
    if cap is None:
        return False
    start, end = _month_bounds(referral.converted_at, merchant.timezone)
    paid = (
        Referral.objects.filter(
            referrer_id=referral.referrer_id,
            referrer_state=ReferrerState.PAID,
            converted_at__gte=start,
            converted_at__lt=end,
        )
        .exclude(pk=referral.pk)
        .count()
    )
    return paid >= cap


# Undoing -----------------------------------------------------------------------------


def referral_refund_hook(recorded: RefundRecorded) -> dict:
    """`REFUND_RECORDED`: when the qualifying purchase's net amount falls below the minimum
    it converted with, both rewards are taken back and the referral is reversed. Answers
    `referral_reversed`."""
    refund, purchase, account, actor = (
        recorded.refund,
        recorded.purchase,
        recorded.account,
        recorded.actor,
    )
    referral = referral_rewarded_for_purchase_lock(purchase_id=purchase.pk)
    if referral is None:
        return {}
    if purchase.amount - purchase.refunded_amount >= (referral.min_purchase or 0):
        return {}
    at = timezone.now()
    referral_reverse(
        referral=referral,
        account=account,
        actor=actor,
        at=at,
        reason=stored_text(gettext_noop("qualifying purchase refunded")),
        refund=refund,
        purchase=purchase,
    )
    return {"referral_reversed": referral.pk}


def referral_reverse(
    *, referral: Referral, account, actor, at, reason: StoredText, **links
) -> None:
    """Take back the new member's side now (their account is locked by the caller) and
    mark the referrer's side: never paid if it was still due, taken back by the task if
    it was paid."""
    lost = _take_back(
        referral=referral,
        account=account,
        points=referral.referred_points if referral.referred_reward == RewardKind.POINTS else 0,
        coupon=referral.referred_coupon,
        reason=stored_text(gettext_noop("referral reward: %(reason)s"), reason=reason),
        actor=actor,
        at=at,
        **links,
    )
    referrer_state = {
        ReferrerState.DUE: ReferrerState.NOTHING,
        ReferrerState.PAID: ReferrerState.TAKE_BACK,
    }.get(referral.referrer_state, referral.referrer_state)
    Referral.objects.filter(pk=referral.pk).update(
        status=ReferralStatus.REVERSED,
        ended_at=at,
        end_reason=english(reason)[:255],
        end_reason_text=reason,
        coupons_lost=referral.coupons_lost + lost,
        referrer_state=referrer_state,
    )
    publish(REFERRAL_REVERSED, ReferralReversed(referral, referrer_state))
