"""Reads for coupons and cashback wallets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy

from apps.core.errors import DomainError
from apps.core.formatting import format_day, format_merchant_money, format_moment, format_percent
from apps.core.models import Merchant
from apps.core.money import Rounding, divide
from apps.members.models import Member
from apps.programs.coupons.models import (
    CashbackCategoryRate,
    CashbackEntry,
    CashbackSettings,
    CashbackWallet,
    Coupon,
    CouponSource,
    CouponStatus,
    PurchaseCashback,
)

# Why a coupon cannot be used: stable codes for the API, sentences for people.
NOT_FOUND = "coupon_not_found"
VOID = "coupon_void"
ALREADY_REDEEMED = "coupon_already_redeemed"
EXPIRED = "coupon_expired"
OTHER_MEMBER = "coupon_other_member"
BELOW_MIN_SPEND = "coupon_below_min_spend"
NOTHING_OFF = "coupon_nothing_off"

STATUS_FILTERS = {
    "live": pgettext_lazy("coupon status", "Live"),
    "redeemed": pgettext_lazy("coupon status", "Redeemed"),
    "void": pgettext_lazy("coupon status", "Void"),
    "expired": pgettext_lazy("coupon status", "Expired"),
}


def normalize_code(*, code: str) -> str:
    """What a cashier types ("abcd-efgh ", "ABCD EFGH") as stored: upper case, no
    separators."""
    return "".join(ch for ch in str(code or "").upper() if ch.isalnum())


def display_code(*, code: str) -> str:
    return f"{code[:4]}-{code[4:]}" if len(code) == 8 else code


@dataclass(frozen=True)
class CouponCheck:
    """Whether a coupon can take `discount` off a basket now, and if not, why."""

    code: str  # as typed, normalized
    coupon: Coupon | None
    valid: bool
    discount: int  # minor units; 0 when not valid
    reason_code: str = ""
    reason: str = ""


def live_condition(*, now: datetime) -> Q:
    return Q(status=CouponStatus.ISSUED) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))


def coupon_find(*, merchant: Merchant, code: str) -> Coupon | None:
    normalized = normalize_code(code=code)
    if not normalized:
        return None
    return (
        Coupon.objects.for_merchant(merchant)
        .filter(code=normalized)
        .select_related("merchant")
        .first()
    )


def _money(minor: int, coupon: Coupon) -> str:
    """An amount in a refusal's sentence, as the merchant writes money."""
    return format_merchant_money(minor, coupon.merchant)


def _when(at: datetime, coupon: Coupon, fmt: Callable[[datetime], str]) -> str:
    """A date in a refusal's sentence, in the merchant's time zone and the reader's
    language (`format_day` or `format_moment`)."""
    try:
        zone = ZoneInfo(coupon.merchant.timezone)
    except (ValueError, KeyError):  # an unknown zone name: the active one
        return fmt(at)
    with timezone.override(zone):
        return fmt(at)


def coupon_discount(*, coupon: Coupon, amount: int) -> int:
    """What `coupon` takes off a basket of `amount` minor units: its value, or its percent
    of the basket rounded down to the minor unit (15 % of 9.99 is 1.49: the shop never
    gives more than the percent), and never more than the basket."""
    if coupon.percent:
        return min(divide(amount * coupon.percent, 100, rounding=Rounding.DOWN), amount)
    return min(coupon.value, amount)


def coupon_refusal(
    *, coupon: Coupon, amount: int, member: Member | None, now: datetime
) -> tuple[str, str] | None:
    """(code, sentence) saying why `coupon` cannot pay part of `amount` now, or None."""
    shown = display_code(code=coupon.code)
    if coupon.status == CouponStatus.VOID:
        # Translators: %(code)s is a coupon code such as ABCD-EFGH.
        return VOID, gettext("Coupon %(code)s was cancelled and cannot be used.") % {"code": shown}
    if coupon.status == CouponStatus.REDEEMED:
        when = _when(coupon.redeemed_at, coupon, format_moment)
        # Translators: %(code)s is a coupon code; %(when)s a date and time.
        return ALREADY_REDEEMED, gettext("Coupon %(code)s was already used on %(when)s.") % {
            "code": shown,
            "when": when,
        }
    if coupon.expires_at is not None and coupon.expires_at <= now:
        when = _when(coupon.expires_at, coupon, format_day)
        # Translators: %(code)s is a coupon code; %(when)s a date.
        return EXPIRED, gettext("Coupon %(code)s expired on %(when)s.") % {
            "code": shown,
            "when": when,
        }
    if member is not None and coupon.member_id is not None and coupon.member_id != member.pk:
        return OTHER_MEMBER, gettext("Coupon %(code)s belongs to another member.") % {"code": shown}
    if amount < coupon.min_spend:
        return (
            BELOW_MIN_SPEND,
            # Translators: %(code)s is a coupon code; %(min_spend)s and %(amount)s are
            # amounts of money (the coupon's minimum basket, the basket presented).
            gettext(
                "Coupon %(code)s needs a basket of at least %(min_spend)s; this one is %(amount)s."
            )
            % {
                "code": shown,
                "min_spend": _money(coupon.min_spend, coupon),
                "amount": _money(amount, coupon),
            },
        )
    if coupon_discount(coupon=coupon, amount=amount) == 0:
        # A single-use coupon is not spent on a basket it would take nothing off.
        return (
            NOTHING_OFF,
            # Translators: %(code)s is a coupon code; %(percent)s a percentage such as
            # "15 %"; %(amount)s an amount of money (the basket presented).
            gettext("Coupon %(code)s takes %(percent)s off: nothing on a basket of %(amount)s.")
            % {
                "code": shown,
                "percent": format_percent(coupon.percent),
                "amount": _money(amount, coupon),
            },
        )
    return None


def coupon_check(
    *,
    merchant: Merchant,
    code: str,
    amount: int,
    member: Member | None = None,
    now: datetime | None = None,
) -> CouponCheck:
    """Validate a coupon for a basket of `amount` minor units (optionally for a member):
    valid with its discount (`coupon_discount`: its value or its percent of the basket,
    at most the basket), or why not. A code of another business answers like an unknown
    one."""
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise DomainError(gettext("The basket amount must be more than zero."), field="amount")
    if member is not None and member.merchant_id != merchant.pk:
        raise DomainError(gettext("That member belongs to another business."), field="member")
    normalized = normalize_code(code=code)
    coupon = coupon_find(merchant=merchant, code=normalized)
    if coupon is None:
        return CouponCheck(
            normalized,
            None,
            False,
            0,
            NOT_FOUND,
            gettext("No coupon has that code here. Check it."),
        )
    refusal = coupon_refusal(coupon=coupon, amount=amount, member=member, now=now or timezone.now())
    if refusal:
        return CouponCheck(normalized, coupon, False, 0, *refusal)
    return CouponCheck(normalized, coupon, True, coupon_discount(coupon=coupon, amount=amount))


def coupon_used_on(*, purchase) -> Coupon | None:
    """The coupon that paid part of this purchase, while it stays used (a full refund gives
    it back and unlinks it)."""
    return (
        Coupon.objects.for_merchant(purchase.merchant_id).filter(redeemed_purchase=purchase).first()
    )


def coupons_live(*, member: Member, now: datetime | None = None) -> QuerySet[Coupon]:
    """The member's coupons they can use now, soonest to expire first."""
    return (
        Coupon.objects.for_merchant(member.merchant_id)
        .filter(live_condition(now=now or timezone.now()), member=member)
        .order_by("expires_at", "id")
    )


def live_coupon_counts(*, members) -> dict[int, int]:
    """Member id → number of live coupons, in one query for all of them."""
    ids = [member.pk for member in members]
    if not ids:
        return {}
    rows = (
        Coupon.objects.filter(live_condition(now=timezone.now()), member_id__in=ids)
        .values("member_id")
        .annotate(count=Count("id"))
        .values_list("member_id", "count")
    )
    return dict(rows)


def coupon_list(
    *, merchant: Merchant, status: str = "", source: str = "", now: datetime | None = None
) -> QuerySet[Coupon]:
    """All the merchant's coupons, newest first, by status (live, redeemed, void, expired:
    issued but past its date) and source."""
    now = now or timezone.now()
    coupons = Coupon.objects.for_merchant(merchant).select_related("member")
    match status:
        case "live":
            coupons = coupons.filter(live_condition(now=now))
        case "redeemed":
            coupons = coupons.filter(status=CouponStatus.REDEEMED)
        case "void":
            coupons = coupons.filter(status=CouponStatus.VOID)
        case "expired":
            coupons = coupons.filter(status=CouponStatus.ISSUED, expires_at__lte=now)
    if source:
        coupons = coupons.filter(source=source)
    return coupons.order_by("-issued_at", "-id")


def coupon_state(*, coupon: Coupon, now: datetime | None = None) -> str:
    """live, redeemed, void or expired."""
    if coupon.status == CouponStatus.ISSUED:
        now = now or timezone.now()
        return "expired" if coupon.expires_at and coupon.expires_at <= now else "live"
    return coupon.status


def wallet_get(*, member: Member) -> CashbackWallet | None:
    return CashbackWallet.objects.filter(member=member).first()


def cashback_entries(*, member: Member) -> QuerySet[CashbackEntry]:
    return (
        CashbackEntry.objects.for_merchant(member.merchant_id).filter(member=member).order_by("-id")
    )


def purchase_cashback_extras(*, purchase) -> dict:
    """What a purchase earned in cashback and the coupons it issued, as the purchase handler
    answered the first time: for the answer to a retried purchase."""
    record = PurchaseCashback.objects.filter(purchase=purchase).first()
    codes = (
        Coupon.objects.filter(source_purchase=purchase, source=CouponSource.CASHBACK)
        .order_by("id")
        .values_list("code", flat=True)
    )
    return {"cashback_earned": record.earned if record else 0, "coupons_issued": list(codes)}


def category_rate_list(*, merchant: Merchant) -> QuerySet[CashbackCategoryRate]:
    return CashbackCategoryRate.objects.for_merchant(merchant).order_by("category")


def cashback_settings(*, merchant: Merchant | int) -> CashbackSettings:
    """The merchant's terms, or the defaults (an unsaved row, cashback off) when it has
    none yet: reading writes nothing. `cashback_settings_ensure` makes the row."""
    found = CashbackSettings.objects.for_merchant(merchant).one_or_none()
    if found is not None:
        return found
    return CashbackSettings(merchant_id=merchant if isinstance(merchant, int) else merchant.pk)


def coupons_personal_data(member: Member) -> list[dict]:
    """`extensions.PERSONAL_DATA_PARTS`: the member's coupons."""
    return [
        {
            "code": display_code(code=coupon.code),
            "value": coupon.value,
            "percent": coupon.percent,
            "currency": coupon.currency,
            "status": coupon.status,
            "issued_at": coupon.issued_at,
            "expires_at": coupon.expires_at,
        }
        for coupon in Coupon.objects.filter(member=member).order_by("issued_at", "pk")
    ]
