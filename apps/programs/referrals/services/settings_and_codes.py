"""Referral terms and members' codes, and finding the referrer behind a code."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext, gettext_noop

from apps.accounts.models import User
from apps.core.audit import audit_record
from apps.core.errors import DomainError
from apps.core.events import MemberEnrolled
from apps.core.models import Merchant
from apps.core.stored_text import stored_text
from apps.members.models import Member
from apps.programs.referrals.codes import canonical_email, new_code, normalize_code
from apps.programs.referrals.lock_objects import referral_settings_lock
from apps.programs.referrals.models import ReferralCode, ReferralSettings, RewardKind

EXTRA_NAME = "referral_code"
MAX_POINTS = 1_000_000
MAX_COUPON = 10**9


# Settings ----------------------------------------------------------------------------


def referral_settings(*, merchant: Merchant) -> ReferralSettings:
    """The merchant's terms, or the defaults (an unsaved row, referrals off) when it has
    none yet: reading writes nothing. `referral_settings_ensure` makes the row."""
    found = ReferralSettings.objects.for_merchant(merchant).one_or_none()
    return found if found is not None else ReferralSettings(merchant=merchant)


def referral_settings_ensure(*, merchant: Merchant) -> ReferralSettings:
    """The merchant's settings row, created with the defaults if it has none yet
    (`INSERT … ON CONFLICT DO NOTHING`, so two first uses at once make one row)."""
    found = ReferralSettings.objects.for_merchant(merchant).one_or_none()
    if found is None:
        ReferralSettings.objects.bulk_create(
            [ReferralSettings(merchant=merchant)], ignore_conflicts=True
        )
        found = ReferralSettings.objects.for_merchant(merchant).get()
    return found


def _check_reward(kind: str, points: int, coupon_value: int, side: str) -> None:
    if kind not in RewardKind.values:
        raise DomainError(gettext("Choose points, a coupon or nothing."), field=f"{side}_reward")
    if kind == RewardKind.POINTS and not 0 < points <= MAX_POINTS:
        raise DomainError(gettext("Give a number of points above zero."), field=f"{side}_points")
    if kind == RewardKind.COUPON and not 0 < coupon_value <= MAX_COUPON:
        raise DomainError(
            gettext("Give the coupon a value above zero."), field=f"{side}_coupon_value"
        )


@transaction.atomic(savepoint=False)
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
    settings = referral_settings_ensure(merchant=merchant)
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


def referral_code_for(*, member: Member) -> ReferralCode:
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


def enroll_code_handler(enrolled: MemberEnrolled) -> None:
    """`MEMBER_ENROLLED`: every new member gets their code to share straight away."""
    referral_code_for(member=enrolled.member)


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
