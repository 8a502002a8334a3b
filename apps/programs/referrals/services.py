"""Writes for referrals: codes, enrolling with a code, rewards, and undoing them.

How the pieces run, and under which locks:

* Enrolling with a code (counter, public link, API) goes through `members.services.
  member_enroll(extras={"referral_code": ...})`: `enroll_extra_check` refuses a bad code
  before the member is inserted (nobody is enrolled), and the referral row is written in
  the same transaction once the member exists.
* A purchase (`hooks.PURCHASE_RECORDED`) runs with the new member's points account
  locked. If it is their first qualifying purchase, the new member's reward is written
  there and then, and the referral is marked converted with the referrer's side *due*.
* The referrer's side is settled by `referrer_settle` (a task enqueued on commit, and an
  hourly sweep as the safety net), which locks the *referrer's* account alone, then the
  referral row. Doing it inside the purchase would hold two members' account locks at
  once; referrer → referred edges do not follow any fixed lock order once merges re-point
  them (two records merged can even refer each other), so two purchases could deadlock.
  With one account lock per transaction, always taken before the referral row, no cycle
  can form. The cap ("rewarded referrals per referrer per month") is counted under that
  same referrer lock, so racing conversions cannot pass it.
* A refund (`hooks.REFUND_RECORDED`) that takes the qualifying purchase's net amount
  below the minimum takes back the new member's reward in its transaction, and marks the
  referrer's side to be taken back by the same task (or never paid, if still due).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from apps.accounts.models import User
from apps.core.errors import DomainError
from apps.core.models import Merchant
from apps.core.services import audit_record
from apps.core.stored_text import StoredText, english, stored_plural, stored_text
from apps.members.models import Member
from apps.members.services import event_record
from apps.programs.coupons.models import Coupon, CouponStatus
from apps.programs.coupons.services import coupon_issue
from apps.programs.lock_objects import points_account_lock, points_accounts_lock
from apps.programs.models import EntryKind, LedgerEntry, PointsAccount, Purchase
from apps.programs.services import _credit, _debit, program_settings

from .codes import canonical_email, new_code, normalize_code
from .lock_objects import (
    referral_lock,
    referral_rewarded_for_purchase_lock,
    referral_settings_lock,
    referrals_between_lock,
)
from .models import (
    Referral,
    ReferralCode,
    ReferralSettings,
    ReferralStatus,
    ReferrerState,
    RewardKind,
)

EXTRA_NAME = "referral_code"
MAX_POINTS = 1_000_000
MAX_COUPON = 10**9


# Settings ----------------------------------------------------------------------------


def referral_settings(merchant: Merchant) -> ReferralSettings:
    settings, _created = ReferralSettings.objects.get_or_create(merchant=merchant)
    return settings


def _check_reward(kind: str, points: int, coupon_value: int, side: str) -> None:
    if kind not in RewardKind.values:
        raise DomainError(gettext("Choose points, a coupon or nothing."), field=f"{side}_reward")
    if kind == RewardKind.POINTS and not 0 < points <= MAX_POINTS:
        raise DomainError(gettext("Give a number of points above zero."), field=f"{side}_points")
    if kind == RewardKind.COUPON and not 0 < coupon_value <= MAX_COUPON:
        raise DomainError(
            gettext("Give the coupon a value above zero."), field=f"{side}_coupon_value"
        )


@transaction.atomic
def referral_settings_update(
    *,
    merchant: Merchant,
    actor: User,
    is_enabled: bool,
    min_purchase: int,
    window_days: int,
    referrer_reward: str,
    referrer_points: int = 0,
    referrer_coupon_value: int = 0,
    referred_reward: str,
    referred_points: int = 0,
    referred_coupon_value: int = 0,
    coupon_days: int = 90,
    monthly_cap: int | None = None,
) -> ReferralSettings:
    """Change the referral terms (audited). They apply to referrals that convert from now
    on; a referral keeps the terms it converted with."""
    if not isinstance(min_purchase, int) or not 0 <= min_purchase <= MAX_COUPON * 100:
        raise DomainError(
            gettext("The minimum purchase must be zero or more."), field="min_purchase"
        )
    if not isinstance(window_days, int) or not 1 <= window_days <= 365:
        raise DomainError(gettext("The window is 1 to 365 days."), field="window_days")
    if not isinstance(coupon_days, int) or not 1 <= coupon_days <= 3650:
        raise DomainError(gettext("Coupons are valid 1 to 3650 days."), field="coupon_days")
    if monthly_cap is not None and not 1 <= monthly_cap <= 10_000:
        raise DomainError(
            gettext("The cap is 1 to 10,000, or empty for none."), field="monthly_cap"
        )
    _check_reward(referrer_reward, referrer_points or 0, referrer_coupon_value or 0, "referrer")
    _check_reward(referred_reward, referred_points or 0, referred_coupon_value or 0, "referred")
    settings = referral_settings(merchant)
    settings = referral_settings_lock(settings_id=settings.pk)
    settings.is_enabled = is_enabled
    settings.min_purchase = min_purchase
    settings.window_days = window_days
    settings.referrer_reward = referrer_reward
    settings.referrer_points = referrer_points if referrer_reward == RewardKind.POINTS else 0
    settings.referrer_coupon_value = (
        referrer_coupon_value if referrer_reward == RewardKind.COUPON else 0
    )
    settings.referred_reward = referred_reward
    settings.referred_points = referred_points if referred_reward == RewardKind.POINTS else 0
    settings.referred_coupon_value = (
        referred_coupon_value if referred_reward == RewardKind.COUPON else 0
    )
    settings.coupon_days = coupon_days
    settings.monthly_cap = monthly_cap
    settings.save()
    audit_record(
        merchant=merchant,
        actor=actor,
        action="referrals.settings_updated",
        summary=stored_text(gettext_noop("Changed the referral terms"))
        if is_enabled
        else stored_text(gettext_noop("Changed the referral terms (referrals off)")),
        data={
            "is_enabled": is_enabled,
            "min_purchase": min_purchase,
            "window_days": window_days,
            "referrer": [referrer_reward, settings.referrer_points, settings.referrer_coupon_value],
            "referred": [referred_reward, settings.referred_points, settings.referred_coupon_value],
            "monthly_cap": monthly_cap,
        },
    )
    return settings


# Codes -------------------------------------------------------------------------------


def referral_code_for(member: Member) -> ReferralCode:
    """The member's code, drawn now if they have none yet (members enrolled before
    referrals existed, or imported). Safe to call from two requests at once."""
    existing = ReferralCode.objects.filter(member_id=member.pk).first()
    if existing is not None:
        return existing
    for _attempt in range(10):
        row = ReferralCode(merchant_id=member.merchant_id, member=member, code=new_code())
        try:
            with transaction.atomic():
                row.save(force_insert=True)
            return row
        except IntegrityError:
            if same := ReferralCode.objects.filter(member_id=member.pk).first():
                return same  # drawn by a concurrent request
            # else the code belongs to someone else: draw another
    raise RuntimeError("could not draw a free referral code")


def enroll_code_handler(member: Member, actor: User | None) -> None:
    """Enrollment hook: every new member gets their code to share straight away."""
    referral_code_for(member)


def referrer_for_code(
    *,
    merchant: Merchant,
    raw_code: str,
    phone: str | None = None,
    email: str | None = None,
    member: Member | None = None,
) -> Member:
    """The member whose code this is, if a newcomer with this phone and email may use it.

    Refuses (a `DomainError` on the `referral_code` field) when this business runs no
    referrals, the code is nobody's, or the newcomer is the referrer: the same record,
    the same phone, or the same mailbox (`canonical_email`). A code of a record merged
    since leads to the record it was merged into.
    """
    settings = ReferralSettings.objects.for_merchant(merchant).first()
    if settings is None or not settings.is_enabled:
        raise DomainError(
            gettext("This business is not running referrals."),
            field=EXTRA_NAME,
            code="referrals_off",
        )
    code = normalize_code(raw_code)
    codes = ReferralCode.objects.for_merchant(merchant).select_related("member")
    row = codes.filter(code=code).first() if code else None
    referrer = row.member if row is not None else None
    for _hop in range(10):  # a merged record's code leads to the record it went into
        if referrer is None or referrer.merged_into_id is None:
            break
        referrer = Member.objects.get(pk=referrer.merged_into_id)
    if referrer is None or not referrer.is_active:
        raise DomainError(
            gettext("No member of this business has this referral code."),
            field=EXTRA_NAME,
            code="unknown_referral_code",
        )
    same_person = (
        (member is not None and member.pk is not None and member.pk == referrer.pk)
        or (phone and phone == referrer.phone)
        or (email and canonical_email(email) == canonical_email(referrer.email))
    )
    if same_person:
        raise DomainError(
            gettext(
                "This is the customer's own referral code: a code is for bringing someone else."
            ),
            field=EXTRA_NAME,
            code="self_referral",
        )
    return referrer


def enroll_extra_check(member: Member, raw_code: Any) -> Callable[[Member], None]:
    """`members.services.ENROLL_EXTRAS` check for `referral_code`: refuse before the
    insert, record the referral after it."""
    if not isinstance(raw_code, str):
        raise DomainError(gettext("Give the referral code as text."), field=EXTRA_NAME)
    merchant = member.merchant
    referrer = referrer_for_code(
        merchant=merchant, raw_code=raw_code, phone=member.phone, email=member.email
    )
    window_days = referral_settings(merchant).window_days

    def record(saved: Member) -> None:
        _referral_create(
            referrer=referrer,
            referred=saved,
            code=normalize_code(raw_code) or "",
            window_days=window_days,
        )

    return record


def _referral_create(
    *, referrer: Member, referred: Member, code: str, window_days: int
) -> Referral:
    at = referred.enrolled_at
    referral = Referral.objects.create(
        merchant_id=referred.merchant_id,
        referrer=referrer,
        referred=referred,
        code=code,
        channel=referred.channel,
        created_at=at,
        window_ends_at=at + timedelta(days=window_days),
    )
    event_record(
        member=referred,
        kind="referral",
        summary=stored_text(
            gettext_noop("Referred by %(name)s (%(card)s)"),
            name=referrer.display_name,
            card=referrer.card_code_display,
        ),
        actor=referred.enrolled_by,
        source=referred.channel,
        data={"referral": referral.pk, "referrer": referrer.public_id},
        occurred_at=at,
    )
    event_record(
        member=referrer,
        kind="referral",
        summary=stored_text(
            gettext_noop("Brought a new member: %(name)s (%(card)s)"),
            name=referred.display_name,
            card=referred.card_code_display,
        ),
        actor=referred.enrolled_by,
        source=referred.channel,
        data={"referral": referral.pk, "referred": referred.public_id},
        occurred_at=at,
    )
    return referral


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
        credited = _credit(
            account,
            EntryKind.BONUS,
            points,
            at=at,
            expiry_months=program_settings(member.merchant).expiry_months,
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
        taken = _debit(
            account, EntryKind.REFUND, points, at=at, reason=reason, actor=actor, **links
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


def referral_purchase_hook(purchase: Purchase, *, account, lines, actor) -> dict:
    """`hooks.PURCHASE_RECORDED`: the new member's first qualifying purchase converts their
    referral. Runs with their account locked; a second purchase, even at the same moment
    from another till, waits for the lock and then finds the referral converted."""
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
    if referrer_gets:
        transaction.on_commit(lambda: _enqueue_settle(referral.pk))
    reward: dict[str, Any] = {"referral": referral.pk}
    if entry is not None or settings.referred_reward == RewardKind.POINTS:
        reward["points"] = settings.referred_points
    if coupon is not None:
        reward["coupon"] = coupon.code
    return {"referral_reward": reward}


def _first_name(member: Member) -> str | StoredText:
    return member.first_name or stored_text(gettext_noop("a member"))


def _enqueue_settle(referral_pk: int) -> None:
    from .tasks import settle_referrer

    settle_referrer.delay(referral_pk)


@transaction.atomic
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
            return _settle_locked(locked, referral.referrer, referral.merchant, account)
    raise RuntimeError("the referral kept moving between referrers")


def _settle_locked(referral: Referral, referrer: Member, merchant: Merchant, account) -> str:
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
        settings = referral_settings(merchant)
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
    cap = referral_settings(merchant).monthly_cap
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


def referral_refund_hook(refund, *, purchase: Purchase, account, actor) -> dict:
    """`hooks.REFUND_RECORDED`: when the qualifying purchase's net amount falls below the
    minimum it converted with, both rewards are taken back and the referral is reversed."""
    referral = referral_rewarded_for_purchase_lock(purchase_id=purchase.pk)
    if referral is None:
        return {}
    if purchase.amount - purchase.refunded_amount >= (referral.min_purchase or 0):
        return {}
    at = timezone.now()
    _reverse(
        referral,
        account=account,
        actor=actor,
        at=at,
        reason=stored_text(gettext_noop("qualifying purchase refunded")),
        refund=refund,
        purchase=purchase,
    )
    return {"referral_reversed": referral.pk}


def _reverse(referral: Referral, *, account, actor, at, reason: StoredText, **links) -> None:
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
    if referrer_state == ReferrerState.TAKE_BACK:
        transaction.on_commit(lambda: _enqueue_settle(referral.pk))


def referral_merge(survivor: Member, duplicate: Member, actor: User | None) -> None:
    """`members.services.MERGE_HANDLERS`: two records of one person become one.

    A referral between the two was a self-referral: it is rejected if pending, reversed
    if rewarded (both sides taken back from the survivor, who now holds both records'
    points). Referrals the duplicate made move to the survivor. The duplicate's own
    referral moves too, unless the survivor was referred already (then a pending one is
    rejected, and a rewarded one stays on the merged record, as history). Codes stay
    with their records: the duplicate's code keeps leading to the survivor.
    """
    pair = {survivor.pk, duplicate.pk}
    between = referrals_between_lock(member_ids=pair)
    at = timezone.now()
    for referral in between:
        if referral.status == ReferralStatus.PENDING:
            end = stored_text(gettext_noop("self-referral: the two records were merged"))
            Referral.objects.filter(pk=referral.pk).update(
                status=ReferralStatus.REJECTED,
                ended_at=at,
                end_reason=english(end),
                end_reason_text=end,
            )
        elif referral.status == ReferralStatus.REWARDED:
            target, _source = points_accounts_lock(survivor, duplicate)
            _reverse(
                referral,
                account=target,
                actor=actor,
                at=at,
                reason=stored_text(gettext_noop("self-referral (merge)")),
            )
            referral.refresh_from_db()
            if referral.referrer_state == ReferrerState.TAKE_BACK:
                _settle_locked(referral, survivor, survivor.merchant, target)
    Referral.objects.filter(referrer=duplicate).exclude(referred_id__in=pair).update(
        referrer=survivor
    )
    moved = Referral.objects.filter(referred=duplicate).exclude(referrer_id__in=pair)
    if Referral.objects.filter(referred=survivor).exists():
        end = stored_text(gettext_noop("merged into a record that was referred already"))
        moved.filter(status=ReferralStatus.PENDING).update(
            status=ReferralStatus.REJECTED,
            ended_at=at,
            end_reason=english(end),
            end_reason_text=end,
        )
    else:
        moved.update(referred=survivor)


def referrals_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Hourly: expire pending referrals past their window, and settle referrer sides a
    lost task left due for more than ten minutes. Safe to run twice."""
    now = now or timezone.now()
    end = stored_text(gettext_noop("no qualifying purchase"))
    expired = Referral.objects.filter(status=ReferralStatus.PENDING, window_ends_at__lt=now).update(
        status=ReferralStatus.EXPIRED, ended_at=now, end_reason=english(end), end_reason_text=end
    )
    stale = Referral.objects.filter(
        referrer_state__in=[ReferrerState.DUE, ReferrerState.TAKE_BACK],
        converted_at__lt=now - timedelta(minutes=10),
    ).values_list("pk", flat=True)
    settled = 0
    for pk in list(stale[:1000]):
        referrer_settle(referral_id=pk)
        settled += 1
    return {"expired": expired, "settled": settled}
