"""The sale: what the counter and the storefront API record when a member buys, paid in
part (or in full) with a coupon or not. One path for both.

The points engine (`services.purchase_record`) knows no coupons, and the coupons app
(`coupons.services.coupon_redeem`) knows no purchases being recorded: this module, at the
top of the programs app, puts the two together in one transaction, under the member's
one lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext

from apps.accounts.models import User
from apps.core.errors import Conflict, DomainError
from apps.core.models import Location, Merchant
from apps.members.models import Member
from apps.programs.coupons.models import Coupon
from apps.programs.coupons.selectors import coupon_used_on, normalize_code
from apps.programs.coupons.services import CouponRedemption, coupon_link_purchase, coupon_redeem
from apps.programs.models import Purchase
from apps.programs.points.lock_objects import points_account_lock
from apps.programs.points.models import PointsAccount
from apps.programs.selectors import purchase_by_external_id
from apps.programs.services import PurchaseResult, purchase_check, purchase_record


class CouponNotApplicable(Conflict):
    """The coupon given with a sale cannot pay any of it (unknown, void, used, expired,
    another member's, a basket below its minimum): the whole sale is refused (409) with the
    coupon's own reason code and sentence, on the `coupon` field, and nothing is recorded."""


@dataclass(frozen=True)
class SaleResult:
    result: PurchaseResult  # the purchase, at what was paid: 0 when a coupon paid it all
    coupon: Coupon | None = None  # the coupon that paid part (None without one, or given back)

    @property
    def created(self) -> bool:
        return self.result.created

    @property
    def discount(self) -> int:
        """What the coupon took off the basket (minor units)."""
        return self.result.purchase.discount

    @property
    def paid(self) -> int:
        return self.result.purchase.amount


@transaction.atomic(savepoint=False)
def sale_record(
    *,
    merchant: Merchant,
    member: Member,
    external_id: str,
    amount: int,
    coupon_code: str = "",
    actor: User | None = None,
    location: Location | None = None,
    occurred_at: datetime | None = None,
    items: list | None = None,
    currency: str | None = None,
) -> SaleResult:
    """Record a sale of `amount` minor units to `member`; without a coupon, exactly
    `purchase_record`.

    With a `coupon_code`, `amount` is the basket: the coupon's discount comes off, the
    purchase is recorded at what the customer paid (which is what earns points and
    cashback), and the coupon is redeemed and linked to it. A coupon worth the whole basket
    still records the purchase, paid 0 and earning nothing, so the history shows the sale
    and its refund can give the coupon back. All in one transaction: a coupon refused
    records nothing (`CouponNotApplicable`), a purchase refused redeems nothing.

    The ticket id makes it idempotent, as any purchase: the same ticket again (a double
    tap, a retry) answers the first result and redeems nothing more; with another member,
    basket or coupon it is a conflict (`purchase_id_reused`).
    """
    code = (coupon_code or "").strip()
    sale = {
        "merchant": merchant,
        "member": member,
        "actor": actor,
        "location": location,
        "occurred_at": occurred_at,
        "items": items,
        "currency": currency,
    }
    if not code:
        return SaleResult(purchase_record(external_id=external_id, amount=amount, **sale))
    # What the purchase would be refused for is refused first, before the coupon is touched.
    external_id = purchase_check(
        merchant=merchant,
        member=member,
        external_id=external_id,
        amount=amount,
        location=location,
        currency=currency,
    )
    account = points_account_lock(member)  # the member's one lock: a retry waits for the first
    existing = purchase_by_external_id(merchant=merchant, external_id=external_id)
    if existing is not None:
        return _replayed(existing, account=account, code=code, basket=amount, **sale)
    redemption = _redeem(
        merchant=merchant,
        code=code,
        amount=amount,
        member=member,
        actor=actor,
        location=location,
        redeem_key=f"purchase:{external_id}"[:100],
    )
    result = purchase_record(
        external_id=external_id,
        amount=amount - redemption.discount,
        discount=redemption.discount,
        account=account,
        **sale,
    )
    coupon_link_purchase(coupon=redemption.coupon, purchase=result.purchase)
    return SaleResult(result, redemption.coupon)


def _redeem(**redemption) -> CouponRedemption:
    """`coupon_redeem`, its refusals said as a sale's: on the `coupon` field, 409."""
    try:
        return coupon_redeem(**redemption)
    except DomainError as refused:
        if refused.field == "code":  # the coupon's own reason
            raise CouponNotApplicable(refused.message, field="coupon", code=refused.code) from None
        if refused.field == "redeem_key":  # used with this ticket for another basket
            raise _ticket_reused() from None
        raise


def _replayed(
    existing: Purchase, *, account: PointsAccount, code: str, basket: int, **sale
) -> SaleResult:
    """The same ticket with a coupon again: the first answer, if it is the same sale (the
    same member and basket, paid with a coupon, that coupon if it is still used on it)."""
    coupon = coupon_used_on(purchase=existing)
    same = (
        existing.member_id == sale["member"].pk
        and existing.discount > 0
        and existing.amount + existing.discount == basket
        and (coupon is None or coupon.code == normalize_code(code=code))
    )
    if not same:
        raise _ticket_reused()
    result = purchase_record(
        external_id=existing.external_id,
        amount=existing.amount,
        discount=existing.discount,
        account=account,
        **sale,
    )
    return SaleResult(result, coupon)


def _ticket_reused() -> Conflict:
    return Conflict(
        gettext("This purchase id was already recorded with another member, amount or coupon."),
        field="external_id",
        code="purchase_id_reused",
    )
