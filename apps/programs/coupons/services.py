"""Writes for coupons and cashback wallets."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.core.errors import DomainError
from apps.core.models import Merchant
from apps.members.identifiers import CARD_ALPHABET
from apps.members.models import Member

from .models import Coupon, CouponSource

CODE_LENGTH = 8  # 32^8 ≈ 10^12 codes per merchant, none a cashier can misread
MAX_VALUE = 10**10


def _new_code() -> str:
    return "".join(secrets.choice(CARD_ALPHABET) for _ in range(CODE_LENGTH))


@transaction.atomic
def coupon_issue(
    *,
    merchant: Merchant,
    value: int,
    source: str,
    member: Member | None = None,
    min_spend: int = 0,
    expires_at: datetime | None = None,
    reason: str = "",
    actor: User | None = None,
    issue_key: str = "",
    **links,
) -> Coupon:
    """Issue a coupon worth `value` minor units. With an `issue_key` (an automatic issue:
    "cashback-<entry>", "referral-<id>-referrer") the same key again returns the coupon
    issued the first time, so a retried task or hook never issues two."""
    if source not in CouponSource.values:
        raise DomainError("Unknown coupon source.", field="source")
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= MAX_VALUE:
        raise DomainError("The value must be more than zero.", field="value")
    if not isinstance(min_spend, int) or not 0 <= min_spend <= MAX_VALUE:
        raise DomainError("The minimum spend must be zero or more.", field="min_spend")
    if member is not None and member.merchant_id != merchant.pk:
        raise DomainError("That member belongs to another business.", field="member")
    if issue_key and (
        existing := Coupon.objects.for_merchant(merchant).filter(issue_key=issue_key).first()
    ):
        return existing
    coupon = Coupon(
        merchant=merchant,
        member=member,
        value=value,
        currency=merchant.currency,
        min_spend=min_spend,
        expires_at=expires_at,
        source=source,
        reason=(reason or "")[:255],
        issued_at=timezone.now(),
        issued_by=actor,
        issue_key=issue_key,
        **links,
    )
    for _attempt in range(5):
        coupon.code = _new_code()
        try:
            with transaction.atomic():
                coupon.save(force_insert=True)
            return coupon
        except IntegrityError:
            if issue_key and (
                same := Coupon.objects.for_merchant(merchant).filter(issue_key=issue_key).first()
            ):
                return same  # issued by a concurrent retry of the same key
            if not Coupon.objects.for_merchant(merchant).filter(code=coupon.code).exists():
                raise
    raise RuntimeError("could not draw a free coupon code")
