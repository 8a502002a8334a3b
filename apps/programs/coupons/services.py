"""Writes for coupons: issue, redeem, void, restore on a full refund, and the coupon
rewards' hooks. Cashback is in cashback.py; a sale paid partly with a coupon is
`programs.sale.sale_record`, which redeems through `coupon_redeem`."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from apps.accounts.models import User
from apps.core.audit import audit_record
from apps.core.errors import Conflict, DomainError
from apps.core.events import (
    COUPON_ISSUED,
    CouponIssued,
    RedemptionVoiding,
    RewardRedeemed,
    publish,
)
from apps.core.models import Location, Merchant
from apps.core.stored_text import StoredText, english, is_stored_text, stored_text
from apps.core.webhooks.models import WebhookEvent
from apps.core.webhooks.services import webhook_emit
from apps.members.identifiers import CARD_ALPHABET
from apps.members.models import Member
from apps.members.services import event_record
from apps.programs.coupons.models import Coupon, CouponSource, CouponStatus
from apps.programs.coupons.selectors import (
    ALREADY_REDEEMED,
    CouponCheck,
    cashback_settings,
    coupon_check,
    coupon_discount,
    display_code,
    live_condition,
)
from apps.programs.models import Purchase, Refund
from apps.programs.rewards.models import RewardKind

CODE_LENGTH = 8  # 32^8 ≈ 10^12 codes per merchant, none a cashier can misread
MAX_VALUE = 10**10


def _new_code() -> str:
    return "".join(secrets.choice(CARD_ALPHABET) for _ in range(CODE_LENGTH))


@transaction.atomic(savepoint=False)
def coupon_issue(
    *,
    merchant: Merchant,
    source: str,
    value: int = 0,
    percent: int = 0,
    member: Member | None = None,
    min_spend: int = 0,
    expires_at: datetime | None = None,
    reason: str | StoredText = "",
    actor: User | None = None,
    issue_key: str = "",
    issued_at: datetime | None = None,
    **links,
) -> Coupon:
    """Issue a coupon worth `value` minor units or `percent` of the basket it is used on
    (exactly one of the two). With an `issue_key` (an automatic issue:
    "cashback-<entry>", "referral-<id>-referrer") the same key again returns the coupon
    issued the first time, so a retried task or handler never issues two. A `reason` written by
    the system is a `stored_text` (shown in the reader's language); a person's is kept as
    typed."""
    if source not in CouponSource.values:
        raise DomainError(gettext("Unknown coupon source."), field="source")
    _check_worth(value=value, percent=percent)
    if not isinstance(min_spend, int) or not 0 <= min_spend <= MAX_VALUE:
        raise DomainError(gettext("The minimum spend must be zero or more."), field="min_spend")
    if member is not None and member.merchant_id != merchant.pk:
        raise DomainError(gettext("That member belongs to another business."), field="member")
    if issue_key and (
        existing := Coupon.objects.for_merchant(merchant).filter(issue_key=issue_key).first()
    ):
        return existing
    coupon = Coupon(
        merchant=merchant,
        member=member,
        value=value,
        percent=percent,
        currency=merchant.currency,
        min_spend=min_spend,
        expires_at=expires_at,
        source=source,
        reason=(english(reason) if is_stored_text(reason) else reason or "")[:255],
        reason_text=reason if is_stored_text(reason) else {},
        issued_at=issued_at or timezone.now(),
        issued_by=actor,
        issue_key=issue_key,
        **links,
    )
    for _attempt in range(5):
        coupon.code = _new_code()
        issued = _insert_keyed(coupon) if issue_key else _insert_by_hand(coupon)
        if issued is coupon:
            publish(COUPON_ISSUED, CouponIssued(coupon))
        if issued is not None:
            return issued
    raise RuntimeError("could not draw a free coupon code")


def _whole(number) -> bool:
    return isinstance(number, int) and not isinstance(number, bool)


def _check_worth(*, value: int, percent: int) -> None:
    """A coupon takes off a fixed value or a percent of the basket: one, never both."""
    if not _whole(value) or not 0 <= value <= MAX_VALUE:
        raise DomainError(gettext("The value must be more than zero."), field="value")
    if not _whole(percent) or not 0 <= percent <= 100:
        raise DomainError(gettext("The percent must be from 1 to 100."), field="percent")
    if value and percent:
        raise DomainError(
            gettext("A coupon takes off a value or a percent of the basket, not both."),
            field="percent",
        )
    if not value and not percent:
        raise DomainError(
            gettext("Give the coupon a value (more than zero) or a percent (1 to 100)."),
            field="value",
        )


def _insert_keyed(coupon: Coupon) -> Coupon | None:
    """Insert an automatic coupon (cashback, referral, reward: the sale path) without a
    savepoint: `INSERT … ON CONFLICT DO NOTHING`, then the row holding the issue key says
    what happened. Ours (it has the code just drawn): `coupon`, now saved. A concurrent
    retry's of the same key: that one. None: the code was taken, draw another."""
    Coupon.objects.bulk_create([coupon], ignore_conflicts=True)
    holder = (
        Coupon.objects.for_merchant(coupon.merchant_id)
        .filter(issue_key=coupon.issue_key)
        .one_or_none()
    )
    if holder is None or holder.code != coupon.code:
        return holder
    coupon.pk = holder.pk
    coupon._state.adding, coupon._state.db = False, holder._state.db
    return coupon


def _insert_by_hand(coupon: Coupon) -> Coupon | None:
    """Insert a coupon without an issue key (a manager's, off the sale path), or None when
    its code was taken: a savepoint to recover from that, as nothing else tells a taken
    code from ours."""
    try:
        with transaction.atomic():
            coupon.save(force_insert=True)
    except IntegrityError:
        if Coupon.objects.for_merchant(coupon.merchant_id).filter(code=coupon.code).exists():
            return None
        raise
    return coupon


def coupon_issued_webhook(issued: CouponIssued) -> None:
    """`COUPON_ISSUED`: the `coupon.issued` webhook, queued with the coupon."""
    coupon = issued.coupon
    webhook_emit(
        merchant=coupon.merchant,
        event=WebhookEvent.COUPON_ISSUED,
        data={
            "code": coupon.code,
            "member": coupon.member.public_id if coupon.member_id else None,
            "value": coupon.value,
            "percent": coupon.percent,
            "currency": coupon.currency,
            "min_spend": coupon.min_spend,
            "expires_at": coupon.expires_at,
            "source": coupon.source,
        },
    )


# Redemption ---------------------------------------------------------------------------


class CouponRefused(DomainError):
    """A coupon that cannot be used (unknown, void, expired, another member's, basket
    below its minimum spend); `code` says which."""


class CouponAlreadyRedeemed(Conflict):
    code = ALREADY_REDEEMED


@dataclass(frozen=True)
class CouponRedemption:
    coupon: Coupon
    discount: int  # minor units taken off the basket
    created: bool  # False: a retry with the same redeem key, answered the same


def _refused(check: CouponCheck) -> DomainError:
    if check.reason_code == ALREADY_REDEEMED:
        return CouponAlreadyRedeemed(check.reason, field="code")
    return CouponRefused(check.reason, field="code", code=check.reason_code)


def _replay(coupon: Coupon, *, redeem_key: str, amount: int) -> CouponRedemption | None:
    """The first answer again, when this is a retry of the redemption that used it."""
    if not redeem_key or coupon.status != CouponStatus.REDEEMED or coupon.redeem_key != redeem_key:
        return None
    if coupon.redeemed_amount != amount:
        raise Conflict(
            gettext("This redemption id was already used with another amount."),
            field="redeem_key",
            code="redeem_key_reused",
        )
    discount = coupon.redeemed_discount
    if discount is None:  # a row marked used by other means than `coupon_redeem`
        discount = coupon_discount(coupon=coupon, amount=amount)
    return CouponRedemption(coupon, discount, created=False)


@transaction.atomic(savepoint=False)
def coupon_redeem(
    *,
    merchant: Merchant,
    code: str,
    amount: int,
    member: Member | None = None,
    purchase: Purchase | None = None,
    actor: User | None = None,
    location: Location | None = None,
    redeem_key: str = "",
    now: datetime | None = None,
) -> CouponRedemption:
    """Use a coupon on a basket of `amount` minor units: it takes off its value or its
    percent of the basket (`selectors.coupon_discount`), at most the basket, once; what it
    took off is kept on the coupon (`redeemed_discount`).

    The flip issued → redeemed is one conditional UPDATE (`WHERE status = 'issued' AND
    not expired`), so however many tills and storefronts try at once exactly one
    succeeds; the others get `CouponAlreadyRedeemed` (409, code "coupon_already_redeemed").
    With a `redeem_key` (the caller's id for this redemption), a retry answers the first
    result instead, created=False. A `purchase` (recorded already, by the caller) is linked
    to the coupon, so a full refund of it restores the coupon; its member is the member
    the coupon is checked against when none is given.
    """
    redeem_key = (redeem_key or "").strip()
    if len(redeem_key) > 100:
        raise DomainError(gettext("Keep the id within 100 characters."), field="redeem_key")
    if location is not None and location.merchant_id != merchant.pk:
        raise DomainError(gettext("That location belongs to another business."), field="location")
    if purchase is not None:
        if purchase.merchant_id != merchant.pk:
            raise DomainError(
                gettext("That purchase belongs to another business."), field="purchase"
            )
        member = member or purchase.member
    now = now or timezone.now()
    check = coupon_check(merchant=merchant, code=code, amount=amount, member=member, now=now)
    if check.coupon is not None and (
        replay := _replay(check.coupon, redeem_key=redeem_key, amount=amount)
    ):
        return replay
    if not check.valid:
        raise _refused(check)
    coupon, discount = check.coupon, check.discount
    flipped = (
        Coupon.objects.filter(pk=coupon.pk)
        .filter(live_condition(now=now))
        .update(
            status=CouponStatus.REDEEMED,
            redeemed_at=now,
            redeemed_amount=amount,
            redeemed_discount=discount,
            redeemed_location=location,
            redeemed_by=actor,
            redeem_key=redeem_key,
            redeemed_purchase=purchase,
        )
    )
    if not flipped:  # another till won meanwhile (or this is its retry)
        coupon = Coupon.objects.select_related("merchant").get(pk=coupon.pk)
        if replay := _replay(coupon, redeem_key=redeem_key, amount=amount):
            return replay
        raise _refused(
            coupon_check(merchant=merchant, code=coupon.code, amount=amount, member=member, now=now)
        )
    coupon.refresh_from_db()
    if coupon.member_id:
        event_record(
            member=coupon.member,
            kind="coupon_redeemed",
            summary=stored_text(
                # Translators: a member's timeline; %(discount)s is the amount taken off, in cents
                # (minor units).
                gettext_noop("Used coupon %(code)s (%(discount)s off)"),
                code=display_code(code=coupon.code),
                discount=discount,
            ),
            actor=actor,
            data={"coupon": coupon.pk, "amount": amount, "discount": discount},
            occurred_at=now,
        )
    return CouponRedemption(coupon, discount, created=True)


def coupon_link_purchase(*, coupon: Coupon, purchase: Purchase) -> None:
    """Link a coupon redeemed for a sale to the purchase then recorded for it, so that a
    full refund of the purchase gives the coupon back (`programs.sale.sale_record`, in its
    transaction). A coupon linked already keeps its purchase."""
    if Coupon.objects.filter(pk=coupon.pk, redeemed_purchase__isnull=True).update(
        redeemed_purchase=purchase
    ):
        coupon.redeemed_purchase = purchase


def coupons_restore_for_refund(*, purchase: Purchase, refund: Refund, actor=None) -> list[str]:
    """The rule for coupons used on a refunded purchase: a FULL refund (the refunds add up
    to the whole purchase) gives the coupon back: live again with the same code and its
    original expiry (if that date has passed, it stays expired). A partial refund keeps it
    used: the customer kept part of what the coupon paid for. Called by the refund handler,
    under the member's lock. Returns the codes restored."""
    if purchase.refunded_amount < purchase.amount:
        return []
    codes = []
    for coupon in Coupon.objects.filter(
        redeemed_purchase=purchase, status=CouponStatus.REDEEMED
    ).select_related("member"):
        restored = Coupon.objects.filter(pk=coupon.pk, status=CouponStatus.REDEEMED).update(
            status=CouponStatus.ISSUED,
            redeemed_at=None,
            redeemed_amount=None,
            redeemed_discount=None,
            redeemed_purchase=None,
            redeemed_location=None,
            redeemed_by=None,
            redeem_key="",
        )
        if not restored:
            continue
        codes.append(coupon.code)
        if coupon.member_id:
            event_record(
                member=coupon.member,
                kind="coupon_restored",
                summary=stored_text(
                    gettext_noop(
                        "Coupon %(code)s given back: purchase %(purchase)s was refunded in full "
                        "(refund %(refund)s)"
                    ),
                    code=display_code(code=coupon.code),
                    purchase=purchase.external_id,
                    refund=refund.external_id,
                ),
                actor=actor,
                data={"coupon": coupon.pk, "purchase": purchase.pk, "refund": refund.pk},
            )
    return codes


# By hand ------------------------------------------------------------------------------


@transaction.atomic(savepoint=False)
def coupon_issue_by_hand(
    *,
    member: Member,
    value: int,
    days: int | None,
    min_spend: int,
    reason: str,
    actor: User,
) -> Coupon:
    """A manager's coupon for a member (a goodwill gesture, a complaint), with a reason,
    audited."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(gettext("Say why this coupon is given."), field="reason")
    if value == 0:  # a manager's coupon has a value; "or a percent" would not help here
        raise DomainError(gettext("The value must be more than zero."), field="value")
    if days is not None and (not isinstance(days, int) or not 1 <= days <= 3650):
        raise DomainError(gettext("Valid for 1 to 3,650 days, or leave it empty."), field="days")
    if not member.is_active:
        raise DomainError(gettext("This member cannot receive coupons."), field="member")
    merchant = member.merchant
    now = timezone.now()
    coupon = coupon_issue(
        merchant=merchant,
        member=member,
        value=value,
        source=CouponSource.MANUAL,
        min_spend=min_spend,
        expires_at=now + timedelta(days=days) if days else None,
        reason=reason,
        actor=actor,
        issued_at=now,
    )
    audit_record(
        merchant=merchant,
        actor=actor,
        action="coupon.issued",
        summary=stored_text(
            # Translators: activity log; %(value)s is in cents (minor units), %(member)s a member
            # id, %(reason)s typed by the manager.
            gettext_noop("Coupon %(code)s worth %(value)s for member %(member)s: %(reason)s"),
            code=display_code(code=coupon.code),
            value=value,
            member=member.public_id,
            reason=reason,
        ),
        target=coupon,
        data={"value": value, "days": days, "min_spend": min_spend},
    )
    event_record(
        member=member,
        kind="coupon_issued",
        summary=stored_text(
            gettext_noop("Coupon %(code)s given: %(reason)s"),
            code=display_code(code=coupon.code),
            reason=reason,
        ),
        actor=actor,
        data={"coupon": coupon.pk, "value": value},
        occurred_at=now,
    )
    return coupon


@transaction.atomic(savepoint=False)
def coupon_void(
    *, coupon: Coupon, actor: User | None, reason: str | StoredText = "", audit: bool = True
) -> bool:
    """Cancel a live (or expired) coupon. A used coupon cannot be voided (Conflict); a void
    coupon again changes nothing (False). Audited when a person does it. The `reason` is
    a person's text, or a `stored_text` when the system cancels it."""
    stored = reason if is_stored_text(reason) else None
    reason = (english(stored) if stored else (reason or "").strip())[:255]
    at = timezone.now()
    voided = Coupon.objects.filter(pk=coupon.pk, status=CouponStatus.ISSUED).update(
        status=CouponStatus.VOID, voided_at=at, void_reason=reason
    )
    coupon.refresh_from_db()
    if not voided:
        if coupon.status == CouponStatus.REDEEMED:
            raise CouponAlreadyRedeemed(
                # Translators: %(code)s is a coupon code such as ABCD-EFGH.
                gettext("Coupon %(code)s was already used: it cannot be cancelled.")
                % {"code": display_code(code=coupon.code)},
                field="code",
            )
        return False
    if audit:
        audit_record(
            merchant=coupon.merchant,
            actor=actor,
            action="coupon.voided",
            summary=_void_summary(
                gettext_noop("Cancelled coupon %(code)s"),
                gettext_noop("Cancelled coupon %(code)s: %(reason)s"),
                coupon,
                stored or reason,
            ),
            target=coupon,
            data={"reason": reason},
        )
    if coupon.member_id:
        event_record(
            member=coupon.member,
            kind="coupon_voided",
            summary=_void_summary(
                gettext_noop("Coupon %(code)s cancelled"),
                gettext_noop("Coupon %(code)s cancelled: %(reason)s"),
                coupon,
                stored or reason,
            ),
            actor=actor,
            data={"coupon": coupon.pk},
            occurred_at=at,
        )
    return True


def _void_summary(
    without_reason: str, with_reason: str, coupon: Coupon, reason: str | StoredText
) -> StoredText:
    if reason:
        return stored_text(with_reason, code=display_code(code=coupon.code), reason=reason)
    return stored_text(without_reason, code=display_code(code=coupon.code))


# Rewards of kind "coupon" (REWARD_REDEEMED / REDEMPTION_VOIDING) -----------------------


def on_reward_redeemed(redeemed: RewardRedeemed) -> None:
    """A coupon reward issues its coupon: worth the reward's discount, for the member,
    valid for the merchant's coupon days (the cashback terms), no minimum spend."""
    redemption, actor = redeemed.redemption, redeemed.actor
    reward = redemption.reward
    if reward.kind != RewardKind.COUPON or not reward.discount_amount:
        return
    days = cashback_settings(merchant=redemption.merchant_id).coupon_days
    coupon_issue(
        merchant=redemption.merchant,
        member=redemption.member,
        value=reward.discount_amount,
        source=CouponSource.REWARD,
        expires_at=redemption.created_at + timedelta(days=days),
        reason=reward.name,
        actor=actor,
        issue_key=f"redemption-{redemption.pk}",
        source_redemption=redemption,
    )


def on_redemption_voiding(voiding: RedemptionVoiding) -> None:
    """Voiding a coupon reward voids its coupon, or is refused if the coupon was used."""
    redemption, actor = voiding.redemption, voiding.actor
    for coupon in Coupon.objects.filter(source_redemption=redemption):
        if coupon.status == CouponStatus.REDEEMED:
            raise CouponAlreadyRedeemed(
                # Translators: refusing to void a reward redemption; %(code)s is the code
                # of the coupon the reward issued.
                gettext("Its coupon %(code)s was already used: the redemption cannot be voided.")
                % {"code": display_code(code=coupon.code)},
                field="code",
            )
        coupon_void(
            coupon=coupon,
            actor=actor,
            reason=stored_text(gettext_noop("redemption voided")),
            audit=False,
        )
