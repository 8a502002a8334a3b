"""The only place cashback rows are locked for update.

A wallet changes only under its member's points lock (`programs.lock_objects`), the one
lock of a member's money: a purchase that earns points and cashback takes one lock, and a
wallet is never written by two transactions at once. The cashback terms are serialized
by locking the merchant's one `CashbackSettings` row.
"""

from apps.members.models import Member
from apps.programs.coupons.models import CashbackSettings, CashbackWallet
from apps.programs.points.models import PointsAccount


def wallet_lock(member: Member, *, account: PointsAccount) -> CashbackWallet:
    """The member's wallet, locked, created on first use (`INSERT … ON CONFLICT DO
    NOTHING`, so two first accruals end up on one row). `account` is the member's points
    account, which the caller (a purchase or refund handler) has locked already: asking for
    it proves the lock order, points first, without locking it twice."""
    if account.member_id != member.pk:
        raise ValueError("lock the member's own points account first")
    wallet = CashbackWallet.objects.select_for_update().filter(member=member).one_or_none()
    if wallet is not None:
        return wallet
    CashbackWallet.objects.bulk_create(
        [CashbackWallet(merchant_id=member.merchant_id, member=member)], ignore_conflicts=True
    )
    return CashbackWallet.objects.select_for_update().get(member=member)


def cashback_settings_lock(*, settings_id: int) -> CashbackSettings:
    """Lock the merchant's cashback terms (one row) and return them fresh."""
    return CashbackSettings.objects.select_for_update().get(pk=settings_id)
